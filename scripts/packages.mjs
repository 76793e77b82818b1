// The public packages: packages/* whose package.json is not private, with their public modules
// (src/<Module>.ts; index.ts is the package root). Used by check-packages.mjs and docs.mjs, so a
// new package is picked up by being added under packages/.
import fs from "node:fs"
import path from "node:path"

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")

export const publicPackages = () =>
  fs.readdirSync(path.join(root, "packages")).sort()
    .map((dir) => ({ dir, path: path.join(root, "packages", dir) }))
    .filter((pkg) => fs.existsSync(path.join(pkg.path, "package.json")))
    .map((pkg) => ({ ...pkg, manifest: JSON.parse(fs.readFileSync(path.join(pkg.path, "package.json"), "utf8")) }))
    .filter((pkg) => pkg.manifest.private !== true)
    .map((pkg) => ({
      ...pkg,
      name: pkg.manifest.name,
      modules: fs.readdirSync(path.join(pkg.path, "src"))
        .filter((file) => file.endsWith(".ts") && file !== "index.ts")
        .map((file) => file.slice(0, -3))
        .sort()
    }))

// What a user installs is what CI runs. For every public package (packages/* whose package.json is
// not private):
//   1. check the manifest's release shape (exports, files, peers, ...);
//   2. build it to dist/ from scratch (tsc -b tsconfig.build.json);
//   3. `npm pack` it, check the tarball's files, and `npm publish --dry-run` it;
//   4. install the tarballs, with their peers at the versions the workspace tests against, into a
//      scratch project in the OS temp directory (no workspace links, no source condition);
//   5. there, run plain-Node ESM consumers (every public module imported by name, internals
//      refused, then scripts/consumers/<package>.mjs) and type-check TypeScript consumers
//      (every module, then scripts/consumers/<package>.ts) under moduleResolution NodeNext and
//      Bundler, with skipLibCheck off so our declaration files are checked as a user sees them.
// A new package (platform, redis) is picked up by being public under packages/; it adds its own
// scripts/consumers/<dir>.mjs and .ts. KEEP_CONSUMER=1 keeps the scratch project for a look.
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { publicPackages, root } from "./packages.mjs"

const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
const SOURCE_CONDITION = "@effect-resilience/source"

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"))
const run = (command, args, options = {}) => {
  console.log(`$ ${command} ${args.join(" ")}${options.cwd ? `   (in ${options.cwd})` : ""}`)
  return execFileSync(command, args, { stdio: "inherit", ...options })
}
const capture = (command, args, options = {}) =>
  execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], ...options })

const problems = []
const problem = (pkg, message) => problems.push(`${pkg.name}: ${message}`)
const failIfProblems = (stage) => {
  if (problems.length === 0) return
  console.error(`\n${stage}:\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  throw new Error(`${stage}: ${problems.length} problem(s)`)
}

// --- discover -------------------------------------------------------------------------------

const packages = publicPackages()
if (packages.length === 0) {
  console.error("no public package under packages/")
  process.exit(1)
}
const ours = new Set(packages.map((pkg) => pkg.name))
console.log(`public packages: ${packages.map((pkg) => `${pkg.name} (${pkg.modules.length} modules)`).join(", ")}`)

// --- 1. manifest ----------------------------------------------------------------------------

const rootBuild = readJson(path.join(root, "tsconfig.build.json"))
for (const pkg of packages) {
  const m = pkg.manifest
  const entry = (key, dts, js) => {
    const e = m.exports?.[key]
    if (!e || typeof e !== "object") return problem(pkg, `exports["${key}"] is missing`)
    const keys = Object.keys(e)
    if (keys[0] !== SOURCE_CONDITION || e[SOURCE_CONDITION] !== js.replace("./dist/", "./src/").replace(".js", ".ts")) {
      problem(pkg, `exports["${key}"] must start with "${SOURCE_CONDITION}" pointing at src`)
    }
    if (e.types !== dts) problem(pkg, `exports["${key}"].types must be "${dts}"`)
    if (e.default !== js) problem(pkg, `exports["${key}"].default must be "${js}"`)
  }
  entry(".", "./dist/index.d.ts", "./dist/index.js")
  entry("./*", "./dist/*.d.ts", "./dist/*.js")
  if (m.exports?.["./internal/*"] !== null) problem(pkg, `exports["./internal/*"] must be null`)
  if (m.type !== "module") problem(pkg, `"type" must be "module"`)
  if (JSON.stringify(m.files) !== JSON.stringify(["dist", "src"])) problem(pkg, `"files" must be ["dist", "src"]`)
  if (!Array.isArray(m.sideEffects) || m.sideEffects.length > 0) problem(pkg, `"sideEffects" must be []`)
  for (const field of ["description", "license", "repository", "homepage", "engines", "keywords", "publishConfig"]) {
    if (m[field] === undefined) problem(pkg, `"${field}" is missing`)
  }
  if (m.peerDependencies?.effect === undefined) problem(pkg, `"effect" must be a peer dependency`)
  for (const name of Object.keys(m.dependencies ?? {})) {
    if (name === "effect" || name.startsWith("@effect/") || ours.has(name)) {
      problem(pkg, `"${name}" must be a peer dependency, not a dependency (one copy per program)`)
    }
  }
  for (const [name, range] of Object.entries(m.peerDependencies ?? {})) {
    if (/^(\*|latest|)$/.test(range.trim())) problem(pkg, `peer "${name}" needs a version range (got "${range}")`)
  }
  if (!fs.existsSync(path.join(pkg.path, "tsconfig.build.json"))) problem(pkg, "tsconfig.build.json is missing")
  if (
    !rootBuild.references.some((ref) => path.resolve(root, ref.path) === path.join(pkg.path, "tsconfig.build.json"))
  ) {
    problem(pkg, "the root tsconfig.build.json does not reference its tsconfig.build.json")
  }
  for (const file of ["README.md", "LICENSE", "CHANGELOG.md", "docgen.json"]) {
    if (!fs.existsSync(path.join(pkg.path, file))) problem(pkg, `${file} is missing`)
  }
}
failIfProblems("package.json release shape")

// --- 2. build -------------------------------------------------------------------------------

for (const pkg of packages) {
  // tsc -b trusts its build info: without it gone a deleted dist/ would not be rebuilt
  fs.rmSync(path.join(pkg.path, "dist"), { recursive: true, force: true })
  fs.rmSync(path.join(pkg.path, "build", "tsconfig.build.tsbuildinfo"), { force: true })
}
run(process.execPath, [tsc, "-b", ...packages.map((pkg) => path.join(pkg.path, "tsconfig.build.json"))])

// --- 3. pack, check the tarballs, publish --dry-run ---------------------------------------------

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "effect-resilience-packages-"))
try {
  const tarballs = path.join(scratch, "tarballs")
  fs.mkdirSync(tarballs)
  for (const pkg of packages) {
    const [packed] = JSON.parse(capture("npm", ["pack", "--json", "--pack-destination", tarballs], { cwd: pkg.path }))
    pkg.tarball = path.join(tarballs, packed.filename)
    const files = new Set(packed.files.map((f) => f.path))
    const expected = ["package.json", "README.md", "LICENSE", "src/index.ts"]
    for (const module of ["index", ...pkg.modules]) {
      expected.push(`dist/${module}.js`, `dist/${module}.js.map`, `dist/${module}.d.ts`, `dist/${module}.d.ts.map`)
      if (module !== "index") expected.push(`src/${module}.ts`)
    }
    for (const file of expected) if (!files.has(file)) problem(pkg, `the tarball lacks ${file}`)
    for (const file of files) {
      if (/(^|\/)(test|dtslint|build|docs)\//.test(file) || file.endsWith(".tsbuildinfo")) {
        problem(pkg, `the tarball should not contain ${file}`)
      }
    }
    console.log(`${packed.filename}: ${packed.files.length} files, ${(packed.size / 1024).toFixed(1)} kB`)
    run("npm", ["publish", "--dry-run", "--loglevel", "warn"], { cwd: pkg.path })
  }
  failIfProblems("npm pack")

  // --- 4. a scratch project with the tarballs and their peers ------------------------------------

  // Peers (and their own peers, recursively) at the versions installed in the workspace: the
  // versions the tests ran against, and no surprise resolution of a newer OpenTelemetry. Optional
  // peers (e.g. a Redis client) are installed too when the workspace has them, so consumers can
  // use them and declaration files that mention them type-check.
  const workspaceVersion = (name) => {
    const file = path.join(root, "node_modules", name, "package.json")
    return fs.existsSync(file) ? readJson(file) : undefined
  }
  const peers = {}
  const addPeers = (manifest) => {
    for (const name of Object.keys(manifest.peerDependencies ?? {})) {
      if (ours.has(name) || peers[name]) continue
      const installed = workspaceVersion(name)
      if (!installed) continue // npm resolves it from the range
      peers[name] = installed.version
      addPeers(installed)
    }
  }
  for (const pkg of packages) addPeers(pkg.manifest)

  const consumer = path.join(scratch, "consumer")
  fs.mkdirSync(consumer)
  fs.writeFileSync(
    path.join(consumer, "package.json"),
    JSON.stringify(
      {
        name: "effect-resilience-consumer",
        private: true,
        type: "module",
        dependencies: {
          ...Object.fromEntries(packages.map((pkg) => [pkg.name, `file:${pkg.tarball}`])),
          ...peers
        },
        devDependencies: { "@types/node": workspaceVersion("@types/node").version }
      },
      null,
      2
    )
  )
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel", "error"], { cwd: consumer })

  // One copy of effect and of each of our packages: a nested one would split instanceof checks,
  // the registry and FiberRefs.
  const nested = []
  const walk = (dir, depth) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const full = path.join(dir, entry.name)
      if (entry.name === "node_modules" && depth > 0) {
        for (const name of ["effect", ...ours]) {
          if (fs.existsSync(path.join(full, name, "package.json"))) {
            nested.push(path.relative(consumer, path.join(full, name)))
          }
        }
      }
      walk(full, entry.name === "node_modules" ? depth + 1 : depth)
    }
  }
  walk(path.join(consumer, "node_modules"), 1)
  if (nested.length > 0) {
    throw new Error(`duplicate copies installed:\n  ${nested.join("\n  ")}`)
  }

  // --- 5. consumers ---------------------------------------------------------------------------

  const ident = (name) => name.replace(/[^A-Za-z0-9]/g, "_")
  const consumersDir = path.join(root, "scripts", "consumers")

  // plain Node: every module by name, resolved into dist/, internals refused
  const importLines = ["import assert from \"node:assert/strict\"", ""]
  for (const pkg of packages) {
    const entry = JSON.stringify(`/node_modules/${pkg.name}/dist/index.js`)
    importLines.push(
      `{`,
      `  const root = await import("${pkg.name}")`,
      `  assert.ok(import.meta.resolve("${pkg.name}").endsWith(${entry}), "resolved into dist/")`
    )
    for (const module of pkg.modules) {
      importLines.push(
        `  {`,
        `    const m = await import("${pkg.name}/${module}")`,
        `    assert.ok(Object.keys(m).length > 0, "${pkg.name}/${module} exports nothing")`,
        // the root's namespace re-export is the very same module instance
        `    assert.ok(root.${module} === undefined || root.${module} === m, "one instance of ${pkg.name}/${module}")`,
        `  }`
      )
    }
    importLines.push(
      `  await assert.rejects(import("${pkg.name}/internal/x"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" })`,
      `  console.log("${pkg.name}: root and ${pkg.modules.length} modules import, internals are refused")`,
      `}`
    )
  }
  fs.writeFileSync(path.join(consumer, "imports.mjs"), importLines.join("\n") + "\n")
  run(process.execPath, ["imports.mjs"], { cwd: consumer })
  for (const pkg of packages) {
    const script = path.join(consumersDir, `${pkg.dir}.mjs`)
    if (!fs.existsSync(script)) continue
    fs.copyFileSync(script, path.join(consumer, `${pkg.dir}.mjs`))
    run(process.execPath, [`${pkg.dir}.mjs`], { cwd: consumer })
  }

  // TypeScript: every module's declarations, then the hand-written consumers
  const typeLines = [
    "type IsAny<T> = 0 extends 1 & T ? true : false",
    "const notAny = <T>(_: T & (IsAny<T> extends true ? never : unknown)) => {}",
    "type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false",
    "// a module's subpath import has the same type as the root's namespace re-export of it",
    "type SameAsRoot<Root, K extends string, M> = K extends keyof Root ? Equals<Root[K], M> : true",
    "const sameAsRoot = <_ extends true>() => {}",
    ""
  ]
  for (const pkg of packages) {
    typeLines.push(`import * as ${ident(pkg.name)} from "${pkg.name}"`, `notAny(${ident(pkg.name)})`)
    for (const module of pkg.modules) {
      const id = `${ident(pkg.name)}_${module}`
      typeLines.push(
        `import * as ${id} from "${pkg.name}/${module}"`,
        `notAny(${id})`,
        `sameAsRoot<SameAsRoot<typeof ${ident(pkg.name)}, "${module}", typeof ${id}>>()`
      )
    }
  }
  fs.writeFileSync(path.join(consumer, "imports.ts"), typeLines.join("\n") + "\nexport {}\n")
  for (const pkg of packages) {
    const file = path.join(consumersDir, `${pkg.dir}.ts`)
    if (fs.existsSync(file)) fs.copyFileSync(file, path.join(consumer, `${pkg.dir}.ts`))
  }
  const compilerOptions = {
    target: "ES2022",
    // @effect/platform's declarations name DOM types (Transferable, MessagePort), so its users
    // compile with the DOM library, as its own templates do
    lib: ["ES2022", "DOM", "DOM.Iterable"],
    types: ["node"],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    noUnusedLocals: true
  }
  const configs = {
    "tsconfig.nodenext.json": {
      ...compilerOptions,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      exactOptionalPropertyTypes: true
    },
    "tsconfig.bundler.json": { ...compilerOptions, module: "ESNext", moduleResolution: "Bundler" }
  }
  for (const [file, options] of Object.entries(configs)) {
    fs.writeFileSync(
      path.join(consumer, file),
      JSON.stringify({ compilerOptions: options, include: ["*.ts"] }, null, 2)
    )
    run(process.execPath, [tsc, "-p", file], { cwd: consumer })
    console.log(`types: ${file} compiles`)
  }
} finally {
  if (process.env.KEEP_CONSUMER) console.log(`kept ${scratch}`)
  else fs.rmSync(scratch, { recursive: true, force: true })
}
console.log(
  `packages: ${packages.map((pkg) => pkg.name).join(", ")} pack, install, run and type-check as a user gets them`
)

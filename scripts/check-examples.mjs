// Type-checks every ```ts block in the JSDoc of public modules (packages/*/src/*.ts), as
// @effect/docgen does: each example becomes a module under scratchpad/build/examples and is
// compiled against the workspace packages.
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const out = path.join(root, "scratchpad", "build", "examples")
fs.rmSync(out, { recursive: true, force: true })
fs.mkdirSync(out, { recursive: true })
let count = 0
for (const pkg of fs.readdirSync(path.join(root, "packages"))) {
  const src = path.join(root, "packages", pkg, "src")
  if (!fs.existsSync(src)) continue
  for (const file of fs.readdirSync(src).filter((f) => f.endsWith(".ts"))) {
    const text = fs.readFileSync(path.join(src, file), "utf8")
    const blocks = text.matchAll(/```ts\n([\s\S]*?)```/g)
    let i = 0
    for (const [, block] of blocks) {
      const code = block.split("\n").map((line) => line.replace(/^\s*\* ?/, "")).join("\n")
      fs.writeFileSync(path.join(out, `${pkg}-${file.replace(/\.ts$/, "")}-${++i}.ts`), `${code}\nexport {}\n`)
      count++
    }
  }
}
fs.writeFileSync(
  path.join(out, "tsconfig.json"),
  JSON.stringify({
    extends: "../../../tsconfig.base.json",
    compilerOptions: {
      noEmit: true,
      composite: false,
      incremental: false,
      declaration: false,
      declarationMap: false,
      emitDeclarationOnly: false,
      noUnusedLocals: false
    },
    include: ["*.ts"]
  })
)
try {
  execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", out], {
    stdio: "inherit"
  })
} catch {
  console.error(`\nJSDoc examples do not compile (generated in ${path.relative(root, out)})`)
  process.exit(1)
}
console.log(`examples: ${count} JSDoc examples compile`)

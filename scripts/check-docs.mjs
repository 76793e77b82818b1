// Every export of a public module (packages/*/src/*.ts, not internal/) has JSDoc with @since and
// @category (index.ts re-exports need only @since). @effect/docgen (npm run docs) enforces @since
// and compiles and runs the examples but does not require a @category; this quick check, part of
// npm run lint, does both tags.
import fs from "node:fs"
import path from "node:path"
import ts from "typescript"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const problems = []
for (const pkg of fs.readdirSync(path.join(root, "packages"))) {
  const src = path.join(root, "packages", pkg, "src")
  if (!fs.existsSync(src)) continue
  for (const file of fs.readdirSync(src).filter((f) => f.endsWith(".ts"))) {
    const full = path.join(src, file)
    const source = ts.createSourceFile(full, fs.readFileSync(full, "utf8"), ts.ScriptTarget.Latest, true)
    const isIndex = file === "index.ts"
    const check = (node, name) => {
      const tags = ts.getJSDocTags(node).map((t) => t.tagName.text)
      const missing = ["since", ...(isIndex ? [] : ["category"])].filter((t) => !tags.includes(t))
      if (missing.length > 0) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart())
        problems.push(`${path.relative(root, full)}:${line + 1} ${name}: missing @${missing.join(", @")}`)
      }
    }
    for (const statement of source.statements) {
      const exported = ts.canHaveModifiers(statement) &&
        (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      if (ts.isExportDeclaration(statement)) {
        if (statement.exportClause && ts.isNamedExports(statement.exportClause)) {
          // docgen reads a named re-export's docs from the specifier: `export { /** ... */ a } from`
          for (const specifier of statement.exportClause.elements) check(specifier, specifier.name.text)
        } else {
          check(statement, statement.exportClause?.getText() ?? "*")
        }
      } else if (exported) {
        if (ts.isVariableStatement(statement)) {
          for (const d of statement.declarationList.declarations) check(statement, d.name.getText())
        } else if (ts.isModuleDeclaration(statement)) {
          check(statement, statement.name.getText())
          // members of an exported namespace are exports too
          statement.body?.forEachChild?.((member) => {
            if (ts.isInterfaceDeclaration(member) || ts.isTypeAliasDeclaration(member)) check(member, member.name.text)
          })
        } else {
          check(statement, statement.name?.getText() ?? "(anonymous)")
        }
      }
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"))
  console.error(`\n${problems.length} export(s) without @since / @category`)
  process.exit(1)
}
console.log("docs: every public export has @since and @category")

// Bundles the benchmarks with esbuild before they run. Running them through tsx would measure our
// TypeScript as tsx compiles it, with esbuild's `keepNames` wrapping every closure (a
// `defineProperty` per closure created per call), which compiled library code never pays; the
// peers and Effect, plain JavaScript in node_modules, would not pay it either.
import * as esbuild from "esbuild"
import fs from "node:fs"

const pkg = JSON.parse(fs.readFileSync(new URL("./package.json", import.meta.url), "utf8"))
const external = Object.keys(pkg.dependencies)
  .filter((name) => !name.startsWith("@effect-resilience/") && !name.startsWith("@types/"))
  .flatMap((name) => [name, `${name}/*`])

await esbuild.build({
  entryPoints: [new URL("./src/main.ts", import.meta.url).pathname],
  // BENCH_OUTFILE: another bundle path, so two builds (e.g. two checkouts' experiments) do not collide
  outfile: process.env.BENCH_OUTFILE ?? new URL("./build/bench.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external,
  keepNames: false,
  logLevel: "warning"
})

// the soak run (npm run soak), bundled the same way
await esbuild.build({
  entryPoints: [new URL("./src/soak.ts", import.meta.url).pathname],
  outfile: new URL("./build/soak.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external,
  keepNames: false,
  logLevel: "warning"
})

// the overload run (npm run overload): fixed and adaptive bulkheads on a simulated dependency
await esbuild.build({
  entryPoints: [new URL("./src/overload.ts", import.meta.url).pathname],
  outfile: new URL("./build/overload.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external,
  keepNames: false,
  logLevel: "warning"
})

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

const bundle = (entry, outfile) =>
  esbuild.build({
    entryPoints: [new URL(entry, import.meta.url).pathname],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external,
    // our packages from their TypeScript sources (the "exports" condition the workspace uses)
    conditions: ["@effect-resilience/source"],
    keepNames: false,
    logLevel: "warning"
  })

const out = (name) => new URL(`./build/${name}`, import.meta.url).pathname

// BENCH_OUTFILE: another bundle path, so two builds (e.g. two checkouts' experiments) do not collide
await bundle("./src/main.ts", process.env.BENCH_OUTFILE ?? out("bench.mjs"))
// the soak run (npm run soak)
await bundle("./src/soak.ts", out("soak.mjs"))
// the server load test (npm run load): middleware code runs as users run it
await bundle("./src/serverLoad.ts", out("server-load.mjs"))
// the Redis store's benchmark, on its own: it needs a redis-server
await bundle("./src/redis.ts", out("redis.mjs"))
// the overload run of fixed and adaptive bulkheads (npm run overload)
await bundle("./src/overload.ts", out("overload.mjs"))

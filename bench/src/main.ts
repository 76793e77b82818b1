/**
 * `npm run bench`: every group (ours, Effect's built-ins and the peer libraries in the same
 * process), the bursts through each bulkhead and the bytes per instance; writes RESULTS.md and
 * results.svg beside package.json. Run under `node --expose-gc` (the scripts do).
 *
 * - `--smoke`: every case once, small bursts, 100 instances; the report and chart are rendered
 *   into a temporary directory and removed (CI keeps everything compiling and running; no
 *   timing is asserted).
 * - `--only <regex>`: only the groups whose id matches (`bursts` and `memory` name the other two
 *   sections); prints, writes nothing. To profile one group:
 *   `npm run build --workspace bench && node --expose-gc --cpu-prof bench/build/bench.mjs --only '^breaker-fiber$'`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { renderChart } from "./chart.js"
import { burstSpecs, fullPlan, gcExposed, runBursts, smokePlan } from "./concurrency.js"
import * as breaker from "./groups/breaker.js"
import * as bulkhead from "./groups/bulkhead.js"
import * as fallback from "./groups/fallback.js"
import * as floors from "./groups/floors.js"
import * as http from "./groups/http.js"
import * as limiter from "./groups/limiter.js"
import * as metrics from "./groups/metrics.js"
import * as retry from "./groups/retry.js"
import * as stack from "./groups/stack.js"
import * as timeout from "./groups/timeout.js"
import { disposeAll, type Group, settings } from "./harness.js"
import { fullTiming, type GroupResult, measureGroup, smokeGroup } from "./measure.js"
import { measureMemory, memorySpecs } from "./memory.js"
import { renderReport } from "./report.js"
import { formatBytes, formatNs, type Measurements } from "./targets.js"

const args = process.argv.slice(2)
const smoke = args.includes("--smoke")
const onlyIndex = args.indexOf("--only")
const only = onlyIndex >= 0 ? new RegExp(args[onlyIndex + 1] ?? ".") : undefined
const selected = (id: string) => only === undefined || only.test(id)

const allGroups: ReadonlyArray<Group> = [
  ...floors.groups,
  ...retry.groups,
  ...fallback.groups,
  ...breaker.groups,
  ...bulkhead.groups,
  ...limiter.groups,
  ...timeout.groups,
  ...stack.groups,
  ...metrics.groups,
  ...http.groups
]

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const outDir = smoke ? fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-")) : benchDir
const started = performance.now()
const loadAverage = os.loadavg()
const log = (line: string) => console.log(line)

if (!gcExposed()) log("warning: run with node --expose-gc; heap figures include garbage")
log(`bench${smoke ? " (smoke)" : ""}: node ${process.version}, ${os.cpus()[0]?.model}, load ${loadAverage[0]}`)

const groups: Array<GroupResult> = []
for (const group of allGroups.filter((g) => selected(g.id))) {
  const groupStarted = performance.now()
  const result = smoke ? await smokeGroup(group) : await measureGroup(group, fullTiming)
  log(`\n${group.title} [${group.id}] (${((performance.now() - groupStarted) / 1000).toFixed(1)} s)`)
  for (const c of result.cases) {
    log(
      `  ${c.case.name.padEnd(48)} ${formatNs(c.ns).padStart(10)}  ${c.ratioToFloor.toFixed(2).padStart(7)}× floor` +
        (c.ratioToBestPeer === undefined ? "" : `  ${c.ratioToBestPeer.toFixed(2).padStart(6)}× best peer`)
    )
  }
  groups.push(result)
}

const plan = smoke ? smokePlan : fullPlan
let bursts: Measurements["bursts"] = []
const sectionStarted = performance.now()
if (selected("bursts")) {
  log(`\ncalls at once through a bulkhead of ${settings.maxConcurrent} [bursts]`)
  bursts = await runBursts(burstSpecs(plan), (b) =>
    log(
      `  ${`${b.spec.name}, ${b.spec.calls}`.padEnd(40)} ${b.finished ? `${b.wallMs.toFixed(1)} ms` : "stopped"}  ${
        b.ratioToUnbounded?.toFixed(2) ?? "-"
      }× unbounded  heap ${formatBytes(b.heapBefore)} → ${formatBytes(b.heapAfter)}`
    ))
}

if (bursts.length > 0) log(`  (${((performance.now() - sectionStarted) / 1000).toFixed(1)} s)`)

const instances = smoke ? 100 : 100_000
let memory: Measurements["memory"] = []
if (selected("memory")) {
  log(`\nheap bytes per instance, ${instances.toLocaleString("en-US")} instances [memory]`)
  memory = await measureMemory(
    memorySpecs,
    instances,
    (r) =>
      log(
        `  ${r.spec.name.padEnd(48)} ${formatBytes(r.bytesPerInstance).padStart(10)}  (${r.ms.toFixed(0)} ms + ${
          r.disposeMs.toFixed(0)
        } ms)`
      )
  )
}

await disposeAll()

const measurements: Measurements = { groups, bursts, memory }
const seconds = (performance.now() - started) / 1000
if (only === undefined) {
  const notesFile = path.join(benchDir, "NOTES.md")
  const notes = fs.existsSync(notesFile) ? fs.readFileSync(notesFile, "utf8") : undefined
  const report = renderReport(measurements, {
    date: new Date(),
    loadAverage,
    seconds,
    timing: fullTiming,
    plan,
    instances
  }, notes)
  fs.writeFileSync(path.join(outDir, "RESULTS.md"), report)
  fs.writeFileSync(path.join(outDir, "results.svg"), await renderChart(groups, bursts))
  if (smoke) {
    const sizes = ["RESULTS.md", "results.svg"].map((file) => `${file} ${fs.statSync(path.join(outDir, file)).size} B`)
    log(`\nsmoke: rendered ${sizes.join(", ")} (not kept)`)
    fs.rmSync(outDir, { recursive: true, force: true })
  } else {
    log(`\nwrote ${path.join(outDir, "RESULTS.md")} and results.svg`)
  }
}
const cases = groups.reduce((n, g) => n + g.cases.length, 0)
log(
  `bench${smoke ? " smoke" : ""}: ${cases} cases, ${bursts.length} bursts, ${memory.length} memory rows in ${
    seconds.toFixed(1)
  } s`
)

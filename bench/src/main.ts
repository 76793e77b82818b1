/**
 * `npm run bench`: runs every group with mitata in one process and prints each case's median
 * and its ratio to the group's floor. `--smoke` runs each case once (CI keeps them compiling
 * and running; no timing is asserted anywhere).
 */
import { bench, group, run } from "mitata"
import { groups } from "./cases.js"

const smoke = process.argv.includes("--smoke")

if (smoke) {
  for (const g of groups) {
    for (const c of g.cases) await c.run()
  }
  console.log(`bench smoke: ${groups.reduce((n, g) => n + g.cases.length, 0)} cases ran once`)
} else {
  for (const g of groups) {
    group(g.name, () => {
      for (const c of g.cases) bench(c.name, c.run)
    })
  }
  const { benchmarks } = await run({ format: "mitata" })
  const medians = new Map<string, number>()
  for (const trial of benchmarks) {
    const stats = trial.runs[0]?.stats
    if (stats !== undefined) medians.set(trial.alias, stats.p50)
  }
  console.log("\nratios to each group's floor (median time):")
  for (const g of groups) {
    const floor = medians.get(g.floor)
    console.log(`  ${g.name}`)
    for (const c of g.cases) {
      const median = medians.get(c.name)
      if (median === undefined || floor === undefined) continue
      console.log(`    ${c.name.padEnd(42)} ${(median / floor).toFixed(2)}×`)
    }
  }
}

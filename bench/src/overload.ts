/**
 * `npm run overload --workspace bench`: goodput and latency under overload for fixed and adaptive
 * bulkheads, on a simulated dependency whose latency rises with concurrency
 * (latency = base × max(1, inFlight / capacity)). Runs on the real clock (a TestClock pays a
 * real timer turn per instant it advances through: far too slow for this many calls), so the
 * figures carry the machine's timer noise. Prints a markdown table.
 *
 * The load: 4 × capacity clients, each calling in a loop; a call is cut at 3 × base (the callers'
 * budget: a later answer is useless); a rejected client waits 2 ms before trying again. Goodput
 * counts the calls that succeeded, per second; latencies are those of the successful calls.
 */
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"

const CAPACITY = 10
const BASE = 20
const CLIENTS = 4 * CAPACITY
const WARMUP_SECONDS = Number(process.env.OVERLOAD_WARMUP ?? 3)
const SECONDS = Number(process.env.OVERLOAD_SECONDS ?? 10)

interface Row {
  readonly setting: string
  readonly make: Effect.Effect<Bulkhead.Bulkhead, never, Scope.Scope>
}

const rows: ReadonlyArray<Row> = [
  { setting: "fixed, too high (maxConcurrent 40)", make: Bulkhead.make({ maxConcurrent: 40 }) },
  { setting: "fixed, too low (maxConcurrent 5)", make: Bulkhead.make({ maxConcurrent: 5 }) },
  { setting: "fixed, right (maxConcurrent 10 = capacity)", make: Bulkhead.make({ maxConcurrent: 10 }) },
  {
    setting: "adaptive gradient2 (1..200, from 1)",
    make: Bulkhead.adaptive({ algorithm: "gradient2", initialLimit: 1, minLimit: 1, maxLimit: 200 })
  },
  {
    setting: "adaptive aimd (1..200, from 1, timeout 30 ms)",
    make: Bulkhead.adaptive({ algorithm: "aimd", initialLimit: 1, minLimit: 1, maxLimit: 200, timeout: "150 millis" })
  }
]

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]

const measure = (row: Row) =>
  Effect.gen(function*() {
    const bulkhead = yield* row.make
    let inFlight = 0
    let measuring = false
    const latencies: Array<number> = []
    let failed = 0
    let rejected = 0
    const dependency = Effect.suspend(() => {
      inFlight++
      return Effect.sleep(BASE * Math.max(1, inFlight / CAPACITY)).pipe(
        Effect.ensuring(Effect.sync(() => inFlight--))
      )
    })
    const call = Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const exit = yield* Effect.exit(dependency.pipe(Timeout.timeout(3 * BASE), bulkhead.protect))
      const end = yield* Clock.currentTimeMillis
      if (exit._tag === "Success") {
        if (measuring) latencies.push(end - start)
        return
      }
      const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
      if (error !== undefined && error._tag === "BulkheadRejected") {
        if (measuring) rejected++
        yield* Effect.sleep(2)
      } else if (measuring) {
        failed++
      }
    })
    const clients = yield* Effect.forEach(Array.from({ length: CLIENTS }), () => Effect.fork(Effect.forever(call)))
    yield* Effect.sleep(`${WARMUP_SECONDS} seconds`)
    measuring = true
    yield* Effect.sleep(`${SECONDS} seconds`)
    measuring = false
    const { limit } = yield* bulkhead.stats
    yield* Fiber.interruptAll(clients)
    const sorted = latencies.sort((a, b) => a - b)
    return {
      setting: row.setting,
      goodput: latencies.length / SECONDS,
      failed: failed / SECONDS,
      rejected: rejected / SECONDS,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      limit
    }
  }).pipe(Effect.scoped)

const program = Effect.gen(function*() {
  const results = []
  for (const row of rows) results.push(yield* measure(row))
  const best = Math.max(...results.map((r) => r.goodput))
  const lines = [
    `Dependency: capacity ${CAPACITY} at once, base latency ${BASE} ms (at most ${
      (CAPACITY * 1000) / BASE
    } calls/s); ` +
    `${CLIENTS} clients; calls cut at ${3 * BASE} ms; ${SECONDS} s measured after ${WARMUP_SECONDS} s of warm-up ` +
    `(real time).`,
    "",
    "| bulkhead | goodput (ok/s) | vs best | p50 (ms) | p99 (ms) | failed/s | rejected/s | limit at end |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map((r) =>
      `| ${r.setting} | ${r.goodput.toFixed(1)} | ${(100 * r.goodput / best).toFixed(0)} % | ${r.p50} | ${r.p99} | ` +
      `${r.failed.toFixed(1)} | ${r.rejected.toFixed(0)} | ${r.limit} |`
    )
  ]
  console.log(lines.join("\n"))
})

await Effect.runPromise(program)

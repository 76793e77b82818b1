/**
 * The soak run: a million calls (SOAK_CALLS to change it) through the whole stack under the
 * registry's events and metrics, with chaos injecting faults, latency and interruptions and the
 * harness interrupting random calls on top. It runs on the live Clock (a million calls on the
 * TestClock would spend their time in its bookkeeping), with milliseconds for every duration, and
 * a seeded Random.
 *
 * At the end it checks that nothing is held (no bulkhead permit or queue slot, a breaker probe
 * slot free, the limiter back to full), that the harness's counts balance and agree with the
 * `resilience_*` metrics that count the same thing, and that the heap after GC when the last call
 * starts is within 5 % of where it was after the warm-up (both with the same number of calls in
 * flight). Exits 1 when a check fails.
 *
 *   npm run soak                       # 1,000,000 calls
 *   SOAK_CALLS=100000 npm run soak     # the version CI runs
 */
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as Chaos from "@effect-resilience/core/Chaos"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Fallback from "@effect-resilience/core/Fallback"
import * as Hedge from "@effect-resilience/core/Hedge"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Resilience from "@effect-resilience/core/Resilience"
import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import type * as MetricLabel from "effect/MetricLabel"
import * as Random from "effect/Random"
import * as Stream from "effect/Stream"

const CALLS = Number(process.env.SOAK_CALLS ?? 1_000_000)
const SEED = Number(process.env.SOAK_SEED ?? 1)
const CONCURRENCY = 200
const WARM_UP = Math.min(50_000, Math.floor(CALLS / 10))

class Unavailable {
  readonly _tag = "Unavailable"
}

interface Counts {
  calls: number
  success: number
  failure: number
  interrupted: number
  defect: number
  rejected: Record<"BulkheadRejected" | "RateLimited" | "CircuitBreakerOpen", number>
}

const counts: Counts = {
  calls: 0,
  success: 0,
  failure: 0,
  interrupted: 0,
  defect: 0,
  rejected: { BulkheadRejected: 0, RateLimited: 0, CircuitBreakerOpen: 0 }
}

const classify = (exit: Exit.Exit<unknown, unknown>): void => {
  counts.calls++
  if (Exit.isSuccess(exit)) {
    counts.success++
    return
  }
  if (Cause.isInterruptedOnly(exit.cause)) {
    counts.interrupted++
    return
  }
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") {
    counts.defect++
    if (counts.defect <= 3) console.error(Cause.pretty(exit.cause))
    return
  }
  const error = failure.value
  if (ResilienceError.isResilienceError(error) && error._tag in counts.rejected) {
    counts.rejected[error._tag as keyof Counts["rejected"]]++
  } else {
    counts.failure++
  }
}

const metric = (name: string, labels: Record<string, string>) =>
  Effect.map(
    Metric.snapshot,
    (pairs) =>
      pairs.filter((pair) =>
        pair.metricKey.name === name &&
        Object.entries(labels).every(([key, value]) =>
          pair.metricKey.tags.some((tag: MetricLabel.MetricLabel) => tag.key === key && tag.value === value)
        )
      ).reduce((sum, pair) => {
        const state = pair.metricState as { readonly count?: number | bigint }
        return sum + Number(state.count ?? 0)
      }, 0)
  )

const heapAfterGc = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run with node --expose-gc")
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

const program = Effect.gen(function*() {
  const bulkhead = yield* Resilience.bulkhead("soak")
  const limiter = yield* Resilience.rateLimiter("soak")
  const breaker = yield* Resilience.circuitBreaker("soak")
  const budget = yield* Resilience.retryBudget("soak")
  const seen = { events: 0 }
  yield* Effect.forkScoped(Stream.runForEach(Resilience.events, () => Effect.sync(() => seen.events++)))

  // the dependency: answers in 1–10 ms
  const work = Effect.flatMap(Random.nextIntBetween(1, 11), (millis) => Effect.as(Effect.sleep(millis), "answer"))
  const stacked = work.pipe(
    Chaos.behavior({ name: "soak-interrupt", rate: 0.005, enabled: true, effect: Effect.interrupt }),
    Chaos.latency({ name: "soak-latency", rate: 0.05, enabled: true, delay: "60 millis" }),
    Chaos.fault({ name: "soak-fault", rate: 0.1, enabled: true, error: () => new Unavailable() }),
    Hedge.hedge({ delay: "15 millis", budget, name: "soak" }),
    Timeout.timeout({ duration: "40 millis", name: "soak" }),
    Retry.retry({
      schedule: Retry.exponential({ base: "2 millis", jitter: "full", maxRetries: 2 }),
      budget,
      name: "soak"
    }),
    CircuitBreaker.protect(breaker),
    Fallback.fallback({ when: (e) => e._tag === "TimeoutError", to: () => Effect.succeed("cached"), name: "soak" }),
    RateLimiter.protect(limiter),
    Bulkhead.protect(bulkhead)
  )

  // one call: the harness interrupts 1 % of them after 0–30 ms
  const call = Effect.gen(function*() {
    const interruptAfter = (yield* Random.next) < 0.01 ? yield* Random.nextIntBetween(0, 31) : undefined
    const fiber = yield* Effect.fork(stacked)
    if (interruptAfter !== undefined) {
      yield* Effect.sleep(interruptAfter)
      yield* Fiber.interrupt(fiber)
    }
    classify(yield* Fiber.await(fiber))
  })

  let started = 0
  let baseline = 0
  let heapEnd = 0
  // a client that thinks 0–3 ms between calls, so a rejected call does not spin
  const think = Effect.flatMap(Random.nextIntBetween(0, 4), (millis) => Effect.sleep(millis))
  const worker = Effect.whileLoop({
    while: () => started < CALLS,
    body: () => {
      started++
      if (started === WARM_UP) baseline = heapAfterGc()
      if (started === CALLS) heapEnd = heapAfterGc()
      return Effect.zipRight(call, think)
    },
    step: () => {}
  })
  const t0 = performance.now()
  yield* Effect.all(Array.from({ length: CONCURRENCY }, () => worker), { concurrency: "unbounded", discard: true })
  const wallSeconds = (performance.now() - t0) / 1000

  // nothing held: bulkhead empty; after the break a probe is admitted and closes the breaker;
  // the limiter refills to its limit
  const stats = yield* bulkhead.stats
  yield* Effect.sleep("150 millis")
  const probe = yield* Effect.exit(breaker.protect(Effect.void))
  const state = yield* breaker.state
  const available = yield* limiter.available

  const bulkheadMetric = (outcome: string) =>
    metric("resilience_calls_total", { name: "soak", policy: "Bulkhead", outcome })
  const m = {
    success: yield* bulkheadMetric("success"),
    failure: yield* bulkheadMetric("failure"),
    rejected: yield* bulkheadMetric("rejected"),
    interrupted: yield* bulkheadMetric("interrupted"),
    limiterRejected: yield* metric("resilience_rate_limiter_decisions_total", { name: "soak", outcome: "rejected" }),
    breakerRejected: yield* metric("resilience_calls_total", {
      name: "soak",
      policy: "CircuitBreaker",
      outcome: "rejected"
    }),
    chaos: yield* metric("resilience_chaos_injections_total", {}),
    retries: yield* metric("resilience_retry_attempts_total", { name: "soak" }),
    hedges: yield* metric("resilience_hedges_total", { name: "soak", outcome: "launched" }),
    timeouts: yield* metric("resilience_timeouts_total", { name: "soak" }),
    fallbacks: yield* metric("resilience_fallbacks_total", { name: "soak" })
  }
  const rejectedTotal = counts.rejected.BulkheadRejected + counts.rejected.RateLimited +
    counts.rejected.CircuitBreakerOpen
  const heapChange = (heapEnd - baseline) / baseline

  const checks: Array<[string, boolean]> = [
    [`every call accounted for: ${counts.calls} = ${CALLS}`, counts.calls === CALLS],
    [
      `calls = successes + failures + rejections + interruptions`,
      counts.calls === counts.success + counts.failure + rejectedTotal + counts.interrupted
    ],
    [`no defects (${counts.defect})`, counts.defect === 0],
    [`bulkhead successes: harness ${counts.success} = metric ${m.success}`, counts.success === m.success],
    [
      `bulkhead rejections: harness ${counts.rejected.BulkheadRejected} = metric ${m.rejected}`,
      counts.rejected.BulkheadRejected === m.rejected
    ],
    [
      `limiter rejections: harness ${counts.rejected.RateLimited} = metric ${m.limiterRejected}`,
      counts.rejected.RateLimited === m.limiterRejected
    ],
    [
      `breaker rejections: harness ${counts.rejected.CircuitBreakerOpen} = metric ${m.breakerRejected}`,
      counts.rejected.CircuitBreakerOpen === m.breakerRejected
    ],
    [
      `failures inside the bulkhead: harness ${
        counts.failure + counts.rejected.RateLimited + counts.rejected.CircuitBreakerOpen
      } = metric ${m.failure}`,
      counts.failure + counts.rejected.RateLimited + counts.rejected.CircuitBreakerOpen === m.failure
    ],
    [
      `interruptions: harness ${counts.interrupted} ≥ metric ${m.interrupted} (queued ones hold no permit)`,
      counts.interrupted >= m.interrupted
    ],
    [`no permit or queue slot held: active ${stats.active}, queued ${stats.queued}`, stats.active + stats.queued === 0],
    [
      `a probe is admitted after the break and closes the breaker (${state})`,
      Exit.isSuccess(probe) && state === "Closed"
    ],
    [`the limiter refilled to ${available}`, available >= 1],
    [`heap after GC within 5 % of the warm-up's: ${(heapChange * 100).toFixed(2)} %`, Math.abs(heapChange) <= 0.05]
  ]

  console.log(`soak: ${CALLS.toLocaleString("en")} calls, seed ${SEED}, ${CONCURRENCY} at a time`)
  console.log(
    `  ${wallSeconds.toFixed(1)} s, ${Math.round(CALLS / wallSeconds).toLocaleString("en")} calls/s`
  )
  console.log(
    `  outcomes: ${counts.success} success, ${counts.failure} failure, ${counts.rejected.BulkheadRejected} bulkhead / ${counts.rejected.RateLimited} limiter / ${counts.rejected.CircuitBreakerOpen} breaker rejections, ${counts.interrupted} interrupted`
  )
  console.log(
    `  inside: ${m.chaos} chaos injections, ${m.retries} retries, ${m.hedges} hedges, ${m.timeouts} timeouts, ${m.fallbacks} fallbacks, ${seen.events} events seen`
  )
  console.log(
    `  heap after GC: ${(baseline / 1e6).toFixed(1)} MB after ${WARM_UP.toLocaleString("en")} calls, ${
      (heapEnd / 1e6).toFixed(1)
    } MB when the last call started`
  )
  for (const [text, ok] of checks) console.log(`  ${ok ? "ok  " : "FAIL"} ${text}`)
  return checks.every(([, ok]) => ok)
})

const ok = await Effect.runPromise(
  program.pipe(
    Effect.withRandom(Random.make(SEED)),
    Effect.scoped,
    Effect.provide(
      Resilience.layer({
        instances: {
          bulkhead: { soak: { maxConcurrent: 150, maxQueue: 30, queueTimeout: "20 millis" } },
          rateLimiter: { soak: { limit: 200, interval: "100 millis", maxWait: "5 millis" } },
          circuitBreaker: {
            soak: {
              trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 50, window: { calls: 200 } }),
              breakDuration: "100 millis",
              halfOpenMaxCalls: 1
            }
          },
          retryBudget: { soak: { ratio: 0.2, minPerSecond: 100, window: "1 second" } }
        }
      })
    )
  )
)
process.exitCode = ok ? 0 : 1

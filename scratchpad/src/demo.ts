/**
 * The demo: a simulated flaky inventory service called through retry → timeout → hedge, on
 * embedded defaults (no external service). Prints a timeline of every attempt, then a summary.
 *
 *   npm run demo                 # seed 7, 6 requests
 *   DEMO_SEED=3 DEMO_REQUESTS=10 npm run demo
 */
import * as Fallback from "@effect-resilience/core/Fallback"
import * as Hedge from "@effect-resilience/core/Hedge"
import * as Policy from "@effect-resilience/core/Policy"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Timeline from "./timeline.js"

class ServiceUnavailable {
  readonly _tag = "ServiceUnavailable"
}

interface Stats {
  calls: number
  hedges: number
  timeouts: number
  failures: number
  ok: number
  fallbacks: number
  latencies: Array<number>
}

const program = Effect.gen(function*() {
  const seed = yield* Config.integer("DEMO_SEED").pipe(Config.withDefault(7))
  const requests = yield* Config.integer("DEMO_REQUESTS").pipe(Config.withDefault(6))
  const timeline = yield* Timeline.make
  const stats: Stats = { calls: 0, hedges: 0, timeouts: 0, failures: 0, ok: 0, fallbacks: 0, latencies: [] }

  yield* Console.log(
    [
      "effect-resilience demo: a flaky inventory service behind retry → timeout → hedge",
      "  service: 55% answer in 20–80ms, 25% hang for 1.5s, 20% fail at once with 503",
      "  policy:  Retry.exponential(50ms, ×2, equal jitter, 3 retries) around",
      "           Timeout(250ms per attempt) around Hedge(after 120ms, 1 hedge)",
      `  seed ${seed}, ${requests} requests\n`
    ].join("\n")
  )

  // One call to the simulated service; its behaviour is drawn from the seeded Random.
  const inventoryCall = (label: string) =>
    Effect.gen(function*() {
      stats.calls++
      const roll = yield* Random.next
      if (roll < 0.2) {
        yield* timeline.log(`${label} ✗ 503 Service Unavailable`)
        return yield* Effect.fail(new ServiceUnavailable())
      }
      if (roll < 0.45) {
        yield* timeline.log(`${label} … hanging`)
        yield* Effect.sleep("1500 millis")
        return 0
      }
      const latency = yield* Random.nextIntBetween(20, 81)
      yield* Effect.sleep(latency)
      const stock = yield* Random.nextIntBetween(1, 100)
      yield* timeline.log(`${label} ✓ ${stock} in stock (${latency}ms)`)
      return stock
    }).pipe(Effect.onInterrupt(() => timeline.log(`${label} ⨯ interrupted`)))

  const request = (id: number) =>
    Effect.gen(function*() {
      let attempt = 0
      const started = yield* timeline.elapsed
      // Each attempt: the primary call, hedged after 120ms by a second call.
      const oneAttempt = Effect.suspend(() => {
        attempt++
        const n = attempt
        let call = 0
        const hedged = Effect.suspend(() => {
          call++
          if (call > 1) stats.hedges++
          return inventoryCall(`request ${id} · attempt ${n}${call > 1 ? " · hedge" : ""}`)
        })
        return hedged.pipe(
          Hedge.hedge({ delay: "120 millis" }),
          Timeout.timeout("250 millis"),
          Effect.tapError((error) => {
            if (error._tag === "TimeoutError") stats.timeouts++
            else stats.failures++
            return timeline.log(`request ${id} · attempt ${n} ✗ ${error._tag}`)
          })
        )
      })
      const resilient = Policy.wrap(
        Retry.retry({ schedule: Retry.exponential({ base: "50 millis", jitter: "equal", maxRetries: 3 }) })
      )
      const stock = yield* resilient(oneAttempt).pipe(
        Effect.tap(() => Effect.sync(() => stats.ok++)),
        Fallback.fallback({
          to: (error) =>
            Effect.zipRight(
              Effect.sync(() => stats.fallbacks++),
              Effect.as(timeline.log(`request ${id} ↩ fallback to cached stock after ${error._tag}`), -1)
            )
        })
      )
      const took = (yield* timeline.elapsed) - started
      stats.latencies.push(took)
      yield* timeline.log(
        `request ${id} done: ${stock < 0 ? "cached value" : `${stock} in stock`} after ${attempt} attempt(s), ${
          Math.round(took)
        }ms\n`
      )
    })

  for (let id = 1; id <= requests; id++) yield* request(id)

  const sorted = [...stats.latencies].sort((a, b) => a - b)
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0
  const max = sorted[sorted.length - 1] ?? 0
  yield* Console.log(
    [
      "summary",
      `  requests:   ${requests} (${stats.ok} answered, ${stats.fallbacks} from fallback)`,
      `  calls:      ${stats.calls} to the service (${stats.hedges} of them hedges)`,
      `  attempts ✗: ${stats.timeouts} timeouts, ${stats.failures} failures (retried)`,
      `  latency:    p50 ${Math.round(p50)}ms, max ${Math.round(max)}ms (a hanging call would take 1500ms)`
    ].join("\n")
  )
})

// The seed from DEMO_SEED replaces the default one.
const main = Effect.flatMap(
  Config.integer("DEMO_SEED").pipe(Config.withDefault(7)),
  (seed) => Effect.withRandom(program, Random.make(seed))
)

Effect.runPromise(main).catch((error) => {
  console.error(error)
  process.exitCode = 1
})

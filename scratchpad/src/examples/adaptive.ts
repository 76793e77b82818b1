/**
 * Bulkhead.adaptive: the limit follows the dependency's latency. A dependency that serves 10
 * calls at once in 100ms gets slower beyond that (latency = 100ms × in flight / 10); 40 clients
 * call it in a loop, each call cut at 300ms. Runs on a TestClock (virtual seconds).
 */
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"

const CAPACITY = 10
const BASE = 100

const run = (label: string, bulkhead: Bulkhead.Bulkhead) =>
  Effect.gen(function*() {
    let inFlight = 0
    let ok = 0
    let failed = 0
    const call = Effect.suspend(() => {
      inFlight++
      return Effect.sleep(BASE * Math.max(1, inFlight / CAPACITY)).pipe(Effect.ensuring(Effect.sync(() => inFlight--)))
    }).pipe(
      Timeout.timeout(3 * BASE),
      bulkhead.protect,
      Effect.matchEffect({
        onFailure: () => Effect.sync(() => failed++),
        onSuccess: () => Effect.sync(() => ok++)
      })
    )
    const clients = yield* Effect.forEach(Array.from({ length: 4 * CAPACITY }), () => Effect.fork(Effect.forever(call)))
    yield* Console.log(`\n${label}`)
    for (let second = 1; second <= 8; second++) {
      ok = failed = 0
      yield* TestClock.adjust("1 second")
      const { limit } = yield* bulkhead.stats
      {
        yield* Console.log(
          `  t=${String(second).padStart(2)}s  limit ${String(limit).padStart(3)}  ` +
            `${String(ok).padStart(4)} ok/s  ${String(failed).padStart(4)} failed/s`
        )
      }
    }
    yield* Fiber.interruptAll(clients)
  })

export const program: Effect.Effect<void> = Effect.gen(function*() {
  yield* Console.log(`The dependency's capacity: ${CAPACITY} at once, ${(CAPACITY * 1000) / BASE} calls/s at most`)
  yield* run(
    "Fixed at 40: every call runs beside too many, passes the 300ms cut and fails",
    yield* Bulkhead.make({ maxConcurrent: 40, maxQueue: 1000 })
  )
  yield* run(
    "gradient2 from 5: grows while latency is flat, stops where it rises",
    yield* Bulkhead.adaptive({ algorithm: "gradient2", initialLimit: 5, minLimit: 1, maxLimit: 200, maxQueue: 1000 })
  )
  yield* run(
    "aimd from 40, timeout 150ms: cut by 10% when calls get slow, +1 per success",
    yield* Bulkhead.adaptive({
      algorithm: "aimd",
      initialLimit: 40,
      minLimit: 1,
      maxLimit: 200,
      maxQueue: 1000,
      timeout: "150 millis"
    })
  )
}).pipe(Effect.scoped, Effect.provide(TestContext.TestContext))

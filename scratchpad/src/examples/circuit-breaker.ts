/**
 * CircuitBreaker: Closed → Open → HalfOpen → Closed.
 *
 * A payments API fails three times in a row, so the breaker opens and rejects calls at once
 * (never calling the API) with the time left in the break. Once the break has passed, reading
 * the state shows HalfOpen — no timer involved — and two successful probes close it again.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Timeline from "../timeline.js"

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const start = yield* Clock.currentTimeMillis
  const timeline = yield* Timeline.make
  const breaker = yield* CircuitBreaker.make({
    name: "payments-api",
    trip: CircuitBreaker.consecutive(3),
    breakDuration: "400 millis",
    halfOpenMaxCalls: 2
  })

  // every transition, stamped with the Clock time at which it happened
  yield* breaker.changes.pipe(
    Stream.runForEach((t) => Console.log(`${Timeline.stamp(t.at - start)} ⚡ ${t.from} → ${t.to}`)),
    Effect.forkScoped
  )
  // let the subscriber print before the next line
  const flush = Effect.repeatN(Effect.yieldNow(), 4)
  yield* flush

  let healthy = false
  const charge = (id: number) =>
    Effect.gen(function*() {
      yield* Effect.sleep("30 millis")
      if (!healthy) return yield* Effect.fail(`payment ${id}: 503 Service Unavailable`)
      return `payment ${id}: charged`
    })
  const call = (id: number) =>
    breaker.protect(charge(id)).pipe(
      Effect.matchEffect({
        onSuccess: (message) => timeline.log(`  ✓ ${message}`),
        onFailure: (error) =>
          typeof error === "string"
            ? timeline.log(`  ✗ ${error}`)
            : timeline.log(
              `  ⛔ payment ${id} rejected without calling the API: ${error.state}, retry after ${
                Duration.format(error.retryAfter)
              }`
            )
      }),
      Effect.zipLeft(flush)
    )

  yield* Console.log("1. Closed: the API is down; three failures in a row open the breaker")
  yield* call(1)
  yield* call(2)
  yield* call(3)

  yield* Console.log("\n2. Open: calls fail fast, retryAfter shrinks as time passes")
  yield* call(4)
  yield* Effect.sleep("200 millis")
  yield* call(5)

  yield* Console.log("\n3. The break passes; the API has recovered. Reading the state is enough to see HalfOpen")
  healthy = true
  yield* Effect.sleep("250 millis")
  yield* timeline.log(
    `  state: ${yield* breaker.state} (the transition is published now, stamped when the break ended)`
  )
  yield* flush

  yield* Console.log("\n4. HalfOpen: two probes in flight at most; a third caller is turned away")
  yield* Effect.all([call(6), call(7), Effect.zipRight(Effect.sleep("5 millis"), call(8))], {
    concurrency: "unbounded",
    discard: true
  })
  yield* timeline.log(`  state: ${yield* breaker.state}`)

  yield* Console.log("\n5. Closed again: calls go through")
  yield* call(9)
}).pipe(Effect.scoped)

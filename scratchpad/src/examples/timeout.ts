/**
 * Timeout: the slow effect is interrupted, its finalizers run, then TimeoutError is returned.
 */
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Timeline from "../timeline.js"

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  const query = (millis: number) =>
    Effect.acquireUseRelease(
      timeline.log(`  connection opened, query takes ${millis}ms`),
      () => Effect.as(Effect.sleep(millis), `${millis}ms result`),
      () => timeline.log("  connection released")
    )

  yield* Console.log("1. A query that finishes in time")
  const fast = yield* query(50).pipe(Timeout.timeout("200 millis"))
  yield* timeline.log(`  ✓ ${fast}`)

  yield* Console.log("\n2. A query that does not: interrupted, released, then TimeoutError")
  const error = yield* query(1000).pipe(Timeout.timeout({ duration: "200 millis", name: "orders-db" }), Effect.flip)
  yield* timeline.log(`  ✗ ${error._tag}: ${error.message}`)
}).pipe(Effect.orDie)

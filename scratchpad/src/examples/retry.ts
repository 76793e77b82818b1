/**
 * Retry: schedules for Effect.retry, and Retry.retry with `while` and a budget.
 */
import * as Fallback from "@effect-resilience/core/Fallback"
import * as Retry from "@effect-resilience/core/Retry"
import * as RetryBudget from "@effect-resilience/core/RetryBudget"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Timeline from "../timeline.js"

class Unavailable {
  readonly _tag = "Unavailable"
}
class BadRequest {
  readonly _tag = "BadRequest"
}

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make

  yield* Console.log("1. Effect.retry with an exponential schedule: fails twice, then succeeds")
  let calls = 0
  const flaky = Effect.suspend(() => {
    calls++
    return calls < 3
      ? Effect.zipRight(timeline.log(`  call ${calls} ✗ Unavailable`), Effect.fail(new Unavailable()))
      : Effect.as(timeline.log(`  call ${calls} ✓`), "stock: 42")
  })
  const result = yield* flaky.pipe(Effect.retry(Retry.exponential({ base: "100 millis", maxRetries: 4 })))
  yield* timeline.log(`  result: ${result} (waited 100ms, then 200ms)`)

  yield* Console.log("\n2. Retry.retry retries only what `while` accepts: BadRequest is returned at once")
  const badRequest = Effect.zipRight(timeline.log("  call ✗ BadRequest"), Effect.fail(new BadRequest()))
  const outcome = yield* badRequest.pipe(
    Retry.retry({
      schedule: Retry.constant("50 millis", { maxRetries: 3 }),
      while: (error) => error._tag !== "BadRequest"
    }),
    Effect.flip
  )
  yield* timeline.log(`  gave up with ${outcome._tag} after one call`)

  yield* Console.log("\n3. A retry budget (ratio 0.2, no reserve) stops a retry storm")
  const budget = yield* RetryBudget.make({ ratio: 0.2, minPerSecond: 0, window: "10 seconds" })
  let attempts = 0
  const alwaysDown = Effect.suspend(() => {
    attempts++
    return Effect.fail(new Unavailable())
  })
  for (let request = 1; request <= 10; request++) {
    yield* alwaysDown.pipe(
      Retry.retry({ schedule: Retry.constant("10 millis", { maxRetries: 3 }), budget }),
      Fallback.fallback({ to: () => Effect.void })
    )
  }
  yield* timeline.log(`  10 failing requests made ${attempts} attempts (without the budget: 40)`)
}).pipe(Effect.scoped, Effect.orDie)

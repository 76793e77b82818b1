/**
 * Composition: Policy.wrap(p1, p2) is p1(p2(self)), so the order of policies is the order you read.
 */
import * as Fallback from "@effect-resilience/core/Fallback"
import * as Policy from "@effect-resilience/core/Policy"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Timeline from "../timeline.js"

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  let attempts = 0
  // Hangs on the first two attempts, answers on the third.
  const service = Effect.suspend(() => {
    const n = ++attempts
    return timeline.log(`  attempt ${n}`).pipe(
      Effect.zipRight(n < 3 ? Effect.never : Effect.succeed("answer"))
    )
  })

  const retry = Retry.retry({ schedule: Retry.constant("50 millis", { maxRetries: 3 }) })
  const timeout = Timeout.timeout("100 millis")

  yield* Console.log("1. wrap(retry, timeout): every attempt gets 100ms, and timed-out attempts are retried")
  const perAttempt = Policy.wrap(retry, timeout)
  const ok = yield* perAttempt(service)
  yield* timeline.log(`  ✓ ${ok} after ${attempts} attempts`)

  yield* Console.log("\n2. wrap(timeout, retry): 100ms for everything, retries included")
  attempts = 0
  const overall = Policy.wrap(timeout, retry)
  const error = yield* overall(service).pipe(Effect.flip)
  yield* timeline.log(`  ✗ ${error._tag} after ${attempts} attempt(s)`)

  yield* Console.log("\n3. Fallback changes the success type, so it composes with pipe")
  attempts = 0
  const withFallback = yield* Policy.wrap(timeout, retry)(service).pipe(
    Fallback.fallback({ to: () => Effect.succeed("cached answer") })
  )
  yield* timeline.log(`  ✓ ${withFallback}`)
}).pipe(Effect.orDie)

/**
 * Deadline: one time budget for the whole call. A retry inside it stops before it would sleep
 * past the deadline (and starts nothing with less than `minAttempt` left), a hedge is not
 * launched past it, a rate limiter refuses a wait that would outlast it, and whatever still
 * runs at the deadline is interrupted.
 */
import * as Deadline from "@effect-resilience/core/Deadline"
import * as Hedge from "@effect-resilience/core/Hedge"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Timeline from "../timeline.js"

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  const left = Effect.map(
    Deadline.remaining,
    Option.match({ onNone: () => "no deadline", onSome: (d) => `${Math.round(Duration.toMillis(d))}ms left` })
  )
  let attempt = 0
  const flaky = Effect.gen(function*() {
    attempt++
    yield* timeline.log(`  attempt ${attempt} starts (${yield* left})`)
    yield* Effect.sleep("80 millis")
    return yield* Effect.fail("unavailable")
  })

  yield* Console.log("1. Retries every 150ms with a 100ms timeout per attempt, inside a 600ms deadline")
  const retried = yield* flaky.pipe(
    Timeout.timeout("100 millis"),
    Retry.retry({ schedule: Retry.constant("150 millis"), minAttempt: "60 millis", while: () => true }),
    Deadline.within("600 millis"),
    Effect.flip
  )
  yield* timeline.log(`  ✗ gave up before the deadline with the last failure: ${JSON.stringify(retried)}`)

  yield* Console.log("\n2. A slow call hedged every 100ms, inside a 250ms deadline: no hedge past it")
  const slow = Effect.flatMap(timeline.log("  attempt started"), () => Effect.never)
  const hedged = yield* slow.pipe(Hedge.hedge({ delay: "100 millis", maxHedges: 5 }), Deadline.within("250 millis"))
    .pipe(Effect.flip)
  yield* timeline.log(`  ✗ ${hedged._tag}: every attempt interrupted at the deadline`)

  yield* Console.log("\n3. A rate limiter whose next permit is 1s away, inside a 300ms deadline")
  const limiter = yield* RateLimiter.make({ name: "partner-api", limit: 1, interval: "1 second" })
  yield* limiter.acquire()
  const limited = yield* limiter.acquire().pipe(Deadline.within("300 millis"), Effect.flip)
  yield* timeline.log(`  ✗ ${limited._tag} at once, instead of waiting past the deadline: ${limited.message}`)
}).pipe(Effect.scoped, Effect.orDie)

import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import { memoryHarnesses } from "./suites/harness.js"
import { rateLimiterDecideSuite } from "./suites/rateLimiterDecide.js"
import { ManualClock } from "./utils/clock.js"

// Every store runs the same suite: the memory store here, the Redis store in its own package.
describe.each(memoryHarnesses)("RateLimiter.decide (%s store)", (_, harness) => rateLimiterDecideSuite(harness))

describe("RateLimiter.decide", () => {
  it.scoped("exposes onExceeded; permits it can never satisfy die with ResilienceConfigError", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ limit: 2, interval: "1 second" })
      expect(limiter.onExceeded).toBe("wait")
      const keyed = yield* RateLimiter.keyed({ limit: 2, interval: "1 second" })
      for (const exit of [yield* Effect.exit(limiter.decide(3)), yield* Effect.exit(keyed.decide("a", 0))]) {
        expect(Exit.isFailure(exit) && Option.getOrThrow(Cause.dieOption(exit.cause))).toBeInstanceOf(
          ResilienceConfigError
        )
      }
    }))

  it("property: decide agrees with tryAcquire, and its retryAfter and resetAfter are exact", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.constantFrom<RateLimiter.Algorithm>("token-bucket", "fixed-window", "sliding-window"),
        FastCheck.integer({ min: 1, max: 5 }),
        FastCheck.integer({ min: 10, max: 1000 }),
        FastCheck.array(
          FastCheck.record({
            gap: FastCheck.integer({ min: 0, max: 400 }),
            permits: FastCheck.integer({ min: 1, max: 5 })
          }),
          { maxLength: 30 }
        ),
        (algorithm, limit, interval, calls) => {
          const clock = new ManualClock()
          const program = Effect.gen(function*() {
            const options = { algorithm, limit, interval, onExceeded: "fail" as const }
            const deciding = yield* RateLimiter.make(options)
            const trying = yield* RateLimiter.make(options)
            let last: { readonly decision: RateLimiter.Decision; readonly permits: number } | undefined
            for (const { gap, permits: wanted } of calls) {
              clock.now += gap
              const permits = Math.min(wanted, limit)
              const decision = yield* deciding.decide(permits)
              expect(decision.allowed).toBe(yield* trying.tryAcquire(permits))
              expect(decision.remaining).toBe(yield* deciding.available)
              expect(Duration.toMillis(decision.retryAfter) > 0).toBe(!decision.allowed)
              last = { decision, permits }
            }
            if (last === undefined) return
            // the two limiters are in the same state: one checks retryAfter, the other resetAfter
            const now = clock.now
            if (!last.decision.allowed) {
              clock.now = now + Duration.toMillis(last.decision.retryAfter) + 1e-6
              expect(yield* trying.tryAcquire(last.permits)).toBe(true)
            }
            // (plus a nanosecond: a fractional refill time carries float rounding)
            clock.now = now + Duration.toMillis(last.decision.resetAfter) + 1e-6
            expect(yield* deciding.available).toBe(limit)
          }).pipe(Effect.scoped, Effect.withClock(clock))
          Effect.runSync(program)
        }
      ),
      { numRuns: 300 }
    )
  })
})

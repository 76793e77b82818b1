/**
 * `decide`, run against every store (see `harness.ts`).
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import { expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type { StoreHarness } from "./harness.js"

const millis = (decision: RateLimiter.Decision) => ({
  allowed: decision.allowed,
  remaining: decision.remaining,
  retryAfter: Duration.toMillis(decision.retryAfter),
  resetAfter: Duration.toMillis(decision.resetAfter)
})

export const rateLimiterDecideSuite = (harness: StoreHarness): void => {
  /** Forks `effect` and lets it run until it waits. */
  const start = <A, E>(effect: Effect.Effect<A, E>) => Effect.zipLeft(Effect.fork(effect), harness.settle)

  it.scoped("token bucket: remaining, retryAfter and resetAfter", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ limit: 2, interval: "1 second", store: harness.makeStore() })
      expect(millis(yield* limiter.decide())).toEqual({ allowed: true, remaining: 1, retryAfter: 0, resetAfter: 500 })
      expect(millis(yield* limiter.decide())).toEqual({ allowed: true, remaining: 0, retryAfter: 0, resetAfter: 1000 })
      expect(millis(yield* limiter.decide())).toEqual({
        allowed: false,
        remaining: 0,
        retryAfter: 500,
        resetAfter: 1000
      })
      yield* harness.advance("500 millis")
      expect(millis(yield* limiter.decide(1))).toEqual({ allowed: true, remaining: 0, retryAfter: 0, resetAfter: 1000 })
    }))

  it.scoped("fixed window: a refusal waits for the next window; resetAfter is the window's end", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({
        algorithm: "fixed-window",
        limit: 3,
        interval: "1 second",
        onExceeded: "fail",
        store: harness.makeStore()
      })
      yield* harness.advance("250 millis")
      expect(millis(yield* limiter.decide(2))).toEqual({ allowed: true, remaining: 1, retryAfter: 0, resetAfter: 750 })
      expect(millis(yield* limiter.decide(2))).toEqual({
        allowed: false,
        remaining: 1,
        retryAfter: 750,
        resetAfter: 750
      })
      expect(yield* limiter.available).toBe(1)
    }))

  it.scoped("never overtakes waiters: refused while anyone waits, retryAfter counts the queue", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 second", store: harness.makeStore() })
      yield* limiter.acquire()
      const waiter = yield* start(limiter.acquire())
      // the waiter is admitted at 1000; the next permit after it exists at 2000
      expect(millis(yield* limiter.decide())).toMatchObject({ allowed: false, remaining: 0, retryAfter: 2000 })
      yield* harness.advance("1 second")
      yield* Fiber.join(waiter)
      expect((yield* limiter.decide()).allowed).toBe(false)
      yield* harness.advance("1 second")
      expect((yield* limiter.decide()).allowed).toBe(true)
    }))

  it.scoped("an interrupted waiter takes nothing: decide is allowed again once it has gone", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 second", store: harness.makeStore() })
      yield* limiter.acquire()
      const waiter = yield* start(limiter.acquire())
      yield* harness.advance("500 millis")
      yield* Fiber.interrupt(waiter)
      yield* harness.advance("500 millis")
      expect(millis(yield* limiter.decide())).toEqual({ allowed: true, remaining: 0, retryAfter: 0, resetAfter: 1000 })
    }))

  it.scoped("keyed: one decision per key, with the limiter's parameters exposed", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.keyed({
        name: "clients",
        algorithm: "sliding-window",
        limit: 2,
        interval: "1 minute",
        onExceeded: "fail",
        store: harness.makeStore()
      })
      expect(limiter.name).toBe("clients")
      expect(limiter.limit).toBe(2)
      expect(Duration.toMillis(limiter.interval)).toBe(60_000)
      expect(limiter.onExceeded).toBe("fail")
      expect(limiter.algorithm).toBe("sliding-window")
      expect(millis(yield* limiter.decide("a", 2))).toEqual({
        allowed: true,
        remaining: 0,
        retryAfter: 0,
        resetAfter: 60_000
      })
      yield* harness.advance("10 seconds")
      expect(millis(yield* limiter.decide("a"))).toEqual({
        allowed: false,
        remaining: 0,
        retryAfter: 50_000,
        resetAfter: 50_000
      })
      expect((yield* limiter.decide("b")).allowed).toBe(true)
      expect(yield* limiter.size).toBe(2)
    }))

  it.scoped("keyed: never overtakes a key's waiters", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.keyed({ limit: 1, interval: "1 second", store: harness.makeStore() })
      yield* limiter.acquire("a")
      const waiter = yield* start(limiter.acquire("a"))
      expect(millis(yield* limiter.decide("a"))).toMatchObject({ allowed: false, retryAfter: 2000 })
      expect((yield* limiter.decide("b")).allowed).toBe(true)
      yield* Fiber.interrupt(waiter)
    }))
}

/**
 * The keyed rate limiter, run against every store (see `harness.ts`).
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type { StoreHarness } from "./harness.js"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

export const rateLimiterKeyedSuite = (harness: StoreHarness): void => {
  /** Forks `effect` and lets it run until it waits. */
  const start = <A, E>(effect: Effect.Effect<A, E>) => Effect.zipLeft(Effect.fork(effect), harness.settle)

  const keyed = (options: RateLimiter.KeyedRateLimiter.Options) =>
    RateLimiter.keyed({ ...options, store: harness.makeStore() })

  it.scoped("one limiter per key, created on demand; RateLimited carries the key", () =>
    Effect.gen(function*() {
      const limiter = yield* keyed({ name: "tenants", limit: 2, interval: "1 second", onExceeded: "fail" })
      expect(yield* limiter.size).toBe(0)
      expect(yield* limiter.available("a")).toBe(2)
      expect(yield* limiter.size).toBe(0)
      yield* limiter.acquire("a", 2)
      expect(yield* limiter.tryAcquire("b")).toBe(true)
      expect(yield* limiter.available("b")).toBe(1)
      const error = failureOf(yield* Effect.exit(Effect.succeed(1).pipe(limiter.protect("a"))))
      expect(error).toBeInstanceOf(RateLimiter.RateLimited)
      expect(error.key).toBe("a")
      expect(error.policyName).toBe("tenants")
      expect(Duration.toMillis(error.retryAfter)).toBeCloseTo(500, 9)
      expect(error.limit).toBe(2)
      expect(error.remaining).toBe(0)
      expect(yield* Effect.succeed(1).pipe(limiter.protect("b"))).toBe(1)
      expect(yield* limiter.size).toBe(2)
    }))

  it.scoped("beyond maxKeys, a key back at its fresh state is evicted before the least recently used", () =>
    Effect.gen(function*() {
      const limiter = yield* keyed({ limit: 2, interval: "1 second", maxKeys: 2 })
      yield* limiter.acquire("a", 2) // t = 0: fresh again at 1000
      yield* harness.advance("400 millis")
      yield* limiter.acquire("b", 1) // t = 400: fresh again at 900
      yield* harness.advance("550 millis") // t = 950: "a" is least recently used but not fresh
      yield* limiter.acquire("c")
      expect(yield* limiter.size).toBe(2)
      // "a" kept its state: 1.9 tokens
      expect(yield* limiter.tryAcquire("a", 2)).toBe(false)
      expect(yield* limiter.available("a")).toBe(1)
    }))

  it.scoped("when no key is fresh, the least recently used is evicted", () =>
    Effect.gen(function*() {
      const limiter = yield* keyed({ algorithm: "fixed-window", limit: 2, interval: "1 minute", maxKeys: 2 })
      yield* limiter.acquire("a", 2)
      yield* harness.advance("1 second")
      yield* limiter.acquire("b", 2)
      yield* harness.advance("1 second")
      expect(yield* limiter.tryAcquire("a")).toBe(false) // a use: "b" is now least recently used
      yield* harness.advance("1 second")
      yield* limiter.acquire("c")
      expect(yield* limiter.size).toBe(2)
      // forgotten (a store that lets evicted keys expire still has its state)
      expect(yield* limiter.available("b")).toBe(harness.forgetsEvictedKeys ? 2 : 0)
      expect(yield* limiter.available("a")).toBe(0) // kept
    }))

  it.scoped("a key with waiters is never evicted", () =>
    Effect.gen(function*() {
      const limiter = yield* keyed({ limit: 10, interval: "1 second", maxKeys: 1 })
      yield* limiter.acquire("busy", 10)
      const waiter = yield* start(limiter.acquire("busy", 5))
      for (let i = 0; i < 100; i++) expect(yield* limiter.tryAcquire(`flood-${i}`)).toBe(true)
      expect(yield* limiter.size).toBe(2) // "busy" is pinned; the flood keys replace one another
      yield* harness.advance("499 millis")
      expect(waiter.unsafePoll()).toBeNull() // its limit was not reset
      yield* harness.advance("1 millis")
      yield* Fiber.join(waiter)
      yield* limiter.tryAcquire("next")
      expect(yield* limiter.size).toBe(1)
      // unpinned, then evicted (a store that lets evicted keys expire still has its state)
      expect(yield* limiter.available("busy")).toBe(harness.forgetsEvictedKeys ? 10 : 0)
    }))

  it.scoped("keys idle for idleTimeout are dropped", () =>
    Effect.gen(function*() {
      const limiter = yield* keyed({ limit: 1, interval: "1 hour", idleTimeout: "1 minute" })
      yield* limiter.acquire("a")
      yield* harness.advance("30 seconds")
      yield* limiter.acquire("b")
      yield* harness.advance("29 seconds")
      expect(yield* limiter.tryAcquire("a")).toBe(false) // a use at 59 s
      yield* harness.advance("31 seconds") // t = 90 s: "b" idle for 60 s
      expect(yield* limiter.size).toBe(1)
      // dropped (a store that lets evicted keys expire still has its state: 1 token an hour)
      expect(yield* limiter.available("b")).toBe(harness.forgetsEvictedKeys ? 1 : 0)
      yield* harness.advance("28 seconds") // t = 118 s
      expect(yield* limiter.size).toBe(1)
      yield* harness.advance("1 seconds") // t = 119 s: "a" idle for 60 s
      expect(yield* limiter.size).toBe(0)
      expect(yield* limiter.tryAcquire("a")).toBe(harness.forgetsEvictedKeys) // fresh again, if forgotten
    }))

  it.scoped("waiting is per key, FIFO within a key", () =>
    Effect.gen(function*() {
      const limiter = yield* keyed({ algorithm: "sliding-window", limit: 1, interval: "1 second", maxWait: "1 second" })
      yield* limiter.acquire("a")
      const a1 = yield* start(limiter.acquire("a"))
      expect(yield* limiter.tryAcquire("b")).toBe(true)
      const error = failureOf(yield* Effect.exit(limiter.acquire("a")))
      expect(error.key).toBe("a")
      expect(Duration.toMillis(error.retryAfter)).toBe(2000)
      yield* harness.advance("1 second")
      yield* Fiber.join(a1)
    }))

  it.scoped("permits that can never be satisfied die", () =>
    Effect.gen(function*() {
      const limiter = yield* keyed({ limit: 3, interval: "1 second" })
      for (const effect of [limiter.acquire("a", 4), limiter.tryAcquire("a", 0), limiter.acquire("a", 1.5)]) {
        const exit = yield* Effect.exit(effect as Effect.Effect<unknown, unknown>)
        expect(Exit.isFailure(exit) && Cause.dieOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(
          ResilienceConfigError
        )
      }
      expect(yield* limiter.size).toBe(0)
    }))

  // the memory bound of the limiter's key map; over I/O, a million round trips would take minutes,
  // and the map is the same for every store
  it.scoped.skipIf(harness.kind !== "memory")(
    "holds at most maxKeys entries after 1,000,000 distinct keys",
    () =>
      Effect.gen(function*() {
        const limiter = yield* keyed({ limit: 5, interval: "1 second", maxKeys: 1_000 })
        let admitted = 0
        let i = 0
        yield* Effect.whileLoop({
          while: () => i < 1_000_000,
          body: () => limiter.tryAcquire(`tenant-${i++}`),
          step: (ok) => {
            if (ok) admitted++
          }
        })
        expect(admitted).toBe(1_000_000)
        expect(yield* limiter.size).toBeLessThanOrEqual(1_000)
        expect(yield* limiter.size).toBe(1_000)
      }),
    60_000
  )
}

import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

/** A store that offers only the effectful contract: the path a Redis store takes. */
const effectfulOnly = (store: RateLimiter.RateLimiterStore): RateLimiter.RateLimiterStore => ({
  open: (spec) => Effect.map(store.open(spec), (h) => ({ take: h.take, snapshot: h.snapshot, delete: h.delete }))
})

const stores: ReadonlyArray<readonly [string, () => RateLimiter.RateLimiterStore]> = [
  ["memory", RateLimiter.memoryStore],
  ["memory, effectful face only", () => effectfulOnly(RateLimiter.memoryStore())]
]

const millis = (decision: RateLimiter.Decision) => ({
  allowed: decision.allowed,
  remaining: decision.remaining,
  retryAfter: Duration.toMillis(decision.retryAfter),
  resetAfter: Duration.toMillis(decision.resetAfter)
})

const start = <A, E>(effect: Effect.Effect<A, E>) => Effect.zipLeft(Effect.fork(effect), Effect.yieldNow())

describe.each(stores)("RateLimiter.decide (%s store)", (_, makeStore) => {
  it.scoped("token bucket: remaining, retryAfter and resetAfter", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ limit: 2, interval: "1 second", store: makeStore() })
      expect(millis(yield* limiter.decide())).toEqual({ allowed: true, remaining: 1, retryAfter: 0, resetAfter: 500 })
      expect(millis(yield* limiter.decide())).toEqual({ allowed: true, remaining: 0, retryAfter: 0, resetAfter: 1000 })
      expect(millis(yield* limiter.decide())).toEqual({
        allowed: false,
        remaining: 0,
        retryAfter: 500,
        resetAfter: 1000
      })
      yield* TestClock.adjust("500 millis")
      expect(millis(yield* limiter.decide(1))).toEqual({ allowed: true, remaining: 0, retryAfter: 0, resetAfter: 1000 })
    }))

  it.scoped("fixed window: a refusal waits for the next window; resetAfter is the window's end", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({
        algorithm: "fixed-window",
        limit: 3,
        interval: "1 second",
        onExceeded: "fail",
        store: makeStore()
      })
      yield* TestClock.adjust("250 millis")
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
      const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 second", store: makeStore() })
      yield* limiter.acquire()
      const waiter = yield* start(limiter.acquire())
      // the waiter is admitted at 1000; the next permit after it exists at 2000
      expect(millis(yield* limiter.decide())).toMatchObject({ allowed: false, remaining: 0, retryAfter: 2000 })
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(waiter)
      expect((yield* limiter.decide()).allowed).toBe(false)
      yield* TestClock.adjust("1 second")
      expect((yield* limiter.decide()).allowed).toBe(true)
    }))

  it.scoped("an interrupted waiter takes nothing: decide is allowed again once it has gone", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 second", store: makeStore() })
      yield* limiter.acquire()
      const waiter = yield* start(limiter.acquire())
      yield* TestClock.adjust("500 millis")
      yield* Fiber.interrupt(waiter)
      yield* TestClock.adjust("500 millis")
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
        store: makeStore()
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
      yield* TestClock.adjust("10 seconds")
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
      const limiter = yield* RateLimiter.keyed({ limit: 1, interval: "1 second", store: makeStore() })
      yield* limiter.acquire("a")
      const waiter = yield* start(limiter.acquire("a"))
      expect(millis(yield* limiter.decide("a"))).toMatchObject({ allowed: false, retryAfter: 2000 })
      expect((yield* limiter.decide("b")).allowed).toBe(true)
      yield* Fiber.interrupt(waiter)
    }))
})

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

  /** A clock moved by hand: decide and tryAcquire never sleep. */
  class ManualClock implements Clock.Clock {
    readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
    now = 0
    unsafeCurrentTimeMillis(): number {
      return this.now
    }
    unsafeCurrentTimeNanos(): bigint {
      return BigInt(Math.round(this.now * 1_000_000))
    }
    currentTimeMillis = Effect.sync(() => this.now)
    currentTimeNanos = Effect.sync(() => this.unsafeCurrentTimeNanos())
    sleep(): Effect.Effect<void> {
      return Effect.never
    }
  }

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

/**
 * The rate limiter suite, run against every store (see `harness.ts`).
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { ObserverTag } from "../../src/internal/observer.js"
import type { CallOutcome } from "../../src/internal/observer.js"
import type { StoreHarness } from "./harness.js"

const millis = (d: Duration.Duration) => Duration.toMillis(d)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

const defectOf = <A, E>(exit: Exit.Exit<A, E>): unknown => {
  if (Exit.isSuccess(exit)) throw new Error("expected a defect")
  return Option.getOrThrow(Cause.dieOption(exit.cause))
}

/** Tries `n` times and counts the admissions. */
const tryMany = (limiter: RateLimiter.RateLimiter, n: number, permits = 1) =>
  Effect.map(Effect.replicateEffect(limiter.tryAcquire(permits), n), (results) => results.filter(Boolean).length)

export const rateLimiterSuite = (harness: StoreHarness): void => {
  /** Forks `effect` and lets it run until it waits. */
  const start = <A, E>(effect: Effect.Effect<A, E>) => Effect.zipLeft(Effect.fork(effect), harness.settle)

  const make = (options: RateLimiter.RateLimiter.Options) =>
    RateLimiter.make({ ...options, store: harness.makeStore() })

  describe("token-bucket", () => {
    it.scoped("starts full with `limit` tokens, or `burst` when given", () =>
      Effect.gen(function*() {
        const plain = yield* make({ limit: 5, interval: "1 second" })
        expect(yield* plain.available).toBe(5)
        expect(yield* tryMany(plain, 7)).toBe(5)
        const bursty = yield* make({ limit: 5, interval: "1 second", burst: 8 })
        expect(yield* tryMany(bursty, 10)).toBe(8)
        expect(plain.algorithm).toBe("token-bucket")
        expect(bursty.capacity).toBe(8)
      }))

    it.scoped("refills continuously at `limit` per `interval`; fractions accumulate", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ limit: 10, interval: "1 second" })
        expect(yield* tryMany(limiter, 10)).toBe(10)
        yield* harness.advance("50 millis")
        expect(yield* limiter.tryAcquire()).toBe(false)
        yield* harness.advance("50 millis")
        expect(yield* limiter.tryAcquire()).toBe(true)
        expect(yield* limiter.tryAcquire()).toBe(false)
        // 3 per second: a token every 333.3 ms, tenths of a token added in small steps
        const thirds = yield* make({ limit: 3, interval: "1 second" })
        expect(yield* tryMany(thirds, 3)).toBe(3)
        for (let i = 0; i < 10; i++) yield* harness.advance("33 millis")
        expect(yield* thirds.tryAcquire()).toBe(false)
        yield* harness.advance("4 millis")
        expect(yield* thirds.tryAcquire()).toBe(true)
      }))

    it.scoped("never holds more than `burst`", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ limit: 10, interval: "1 second", burst: 5 })
        expect(yield* tryMany(limiter, 5)).toBe(5)
        yield* harness.advance("1 hour")
        expect(yield* limiter.available).toBe(5)
        expect(yield* limiter.tryAcquire(5)).toBe(true)
        expect(yield* limiter.tryAcquire()).toBe(false)
      }))

    it.scoped("fails with the exact retryAfter, the configured limit and whole remaining permits", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ name: "api", limit: 10, interval: "1 second", burst: 5, onExceeded: "fail" })
        yield* limiter.acquire(5)
        const e1 = failureOf(yield* Effect.exit(limiter.acquire()))
        expect(e1).toBeInstanceOf(RateLimiter.RateLimited)
        expect(e1.policyName).toBe("api")
        expect(e1.key).toBeUndefined()
        expect(millis(e1.retryAfter)).toBeCloseTo(100, 9)
        expect(e1.limit).toBe(10)
        expect(e1.remaining).toBe(0)
        yield* harness.advance("150 millis")
        const e2 = failureOf(yield* Effect.exit(limiter.acquire(3)))
        expect(millis(e2.retryAfter)).toBeCloseTo(150, 9)
        expect(e2.remaining).toBe(1)
        expect(yield* limiter.available).toBe(1)
      }))
  })

  describe("fixed-window", () => {
    it.scoped("admits at most `limit` per window, windows aligned to multiples of `interval`", () =>
      Effect.gen(function*() {
        yield* harness.advance("700 millis")
        const limiter = yield* make({ algorithm: "fixed-window", limit: 3, interval: "1 second", onExceeded: "fail" })
        expect(yield* tryMany(limiter, 5)).toBe(3)
        const error = failureOf(yield* Effect.exit(limiter.acquire()))
        expect(millis(error.retryAfter)).toBe(300)
        expect(error.remaining).toBe(0)
        expect(error.limit).toBe(3)
        yield* harness.advance("299 millis")
        expect(yield* limiter.tryAcquire()).toBe(false)
        yield* harness.advance("1 millis") // t = 1000: a new window, 300 ms after the first admission
        expect(yield* tryMany(limiter, 5)).toBe(3)
        yield* harness.advance("999 millis") // t = 1999: same window
        expect(yield* limiter.tryAcquire()).toBe(false)
        yield* harness.advance("1 millis")
        expect(yield* limiter.available).toBe(3)
      }))

    it.scoped("retryAfter for a request that does not fit is the next window; remaining counts what is left", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ algorithm: "fixed-window", limit: 3, interval: "1 second", onExceeded: "fail" })
        yield* harness.advance("250 millis")
        yield* limiter.acquire(2)
        const error = failureOf(yield* Effect.exit(limiter.acquire(2)))
        expect(millis(error.retryAfter)).toBe(750)
        expect(error.remaining).toBe(1)
        expect(yield* limiter.tryAcquire()).toBe(true)
      }))
  })

  describe("sliding-window", () => {
    it.scoped("admits at most `limit` in any interval; an admission at t stops counting at t + interval", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ algorithm: "sliding-window", limit: 3, interval: "1 second", onExceeded: "fail" })
        yield* limiter.acquire() // t = 0
        yield* harness.advance("400 millis")
        yield* limiter.acquire(2) // t = 400
        yield* harness.advance("599 millis") // t = 999
        const error = failureOf(yield* Effect.exit(limiter.acquire()))
        expect(millis(error.retryAfter)).toBe(1)
        expect(error.remaining).toBe(0)
        yield* harness.advance("1 millis") // t = 1000: the admission at 0 no longer counts
        expect(yield* limiter.available).toBe(1)
        expect(yield* limiter.tryAcquire()).toBe(true)
        const later = failureOf(yield* Effect.exit(limiter.acquire()))
        expect(millis(later.retryAfter)).toBe(400) // the two permits from t = 400 expire at 1400
        yield* harness.advance("399 millis")
        expect(yield* limiter.tryAcquire()).toBe(false)
        yield* harness.advance("1 millis")
        expect(yield* tryMany(limiter, 3)).toBe(2)
      }))

    it.scoped("retryAfter waits for exactly as many admissions to expire as the request needs", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ algorithm: "sliding-window", limit: 3, interval: "1 second", onExceeded: "fail" })
        yield* limiter.acquire(2) // t = 0
        yield* harness.advance("500 millis")
        yield* limiter.acquire(1) // t = 500
        yield* harness.advance("100 millis")
        expect(millis(failureOf(yield* Effect.exit(limiter.acquire(1))).retryAfter)).toBe(400)
        expect(millis(failureOf(yield* Effect.exit(limiter.acquire(2))).retryAfter)).toBe(400)
        expect(millis(failureOf(yield* Effect.exit(limiter.acquire(3))).retryAfter)).toBe(900)
      }))

    it.scoped("agrees with a list of its admissions over many steps, its ring growing and wrapping", () =>
      Effect.gen(function*() {
        const limit = 24
        const interval = 100
        const limiter = yield* make({ algorithm: "sliding-window", limit, interval, onExceeded: "fail" })
        const admitted: Array<readonly [at: number, permits: number]> = []
        let now = 0
        for (let i = 0; i < 400; i++) {
          // steps shrinking from about 25 millis to 0 (several admissions at one instant): the
          // window fills up while older admissions leave it, so the ring grows while wrapped
          const step = Math.max(0, 24 - Math.floor(i / 16)) + ((i * 7919) % 3)
          const permits = 1 + ((i * 31) % 4)
          yield* harness.advance(step)
          now += step
          const used = admitted.filter(([at]) => at + interval > now).reduce((sum, [, p]) => sum + p, 0)
          const ok = yield* limiter.tryAcquire(permits)
          expect(ok, `step ${i} at ${now}`).toBe(used + permits <= limit)
          if (ok) admitted.push([now, permits])
          expect(yield* limiter.available).toBe(limit - used - (ok ? permits : 0))
        }
      }))
  })

  describe("waiting", () => {
    it.scoped("a waiter is admitted as soon as its permits exist", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ limit: 10, interval: "1 second" })
        yield* limiter.acquire(10)
        const fiber = yield* start(limiter.acquire(2))
        yield* harness.advance("199 millis")
        expect(fiber.unsafePoll()).toBeNull()
        yield* harness.advance("1 millis")
        expect(yield* Fiber.join(fiber)).toBeUndefined()
        expect(yield* limiter.available).toBe(0)
      }))

    it.scoped("FIFO: a large request is not overtaken by later small ones; tryAcquire is false while anyone waits", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ limit: 10, interval: "1 second" })
        yield* limiter.acquire(10)
        const order: Array<string> = []
        const admitted = (label: string) =>
          Effect.flatMap(TestClock.currentTimeMillis, (now) => Effect.sync(() => order.push(`${label}@${now}`)))
        const large = yield* start(Effect.zipRight(limiter.acquire(5), admitted("large")))
        const small = yield* start(Effect.zipRight(limiter.acquire(1), admitted("small")))
        yield* harness.advance("450 millis")
        expect(yield* limiter.available).toBe(4)
        expect(yield* limiter.tryAcquire()).toBe(false)
        yield* harness.advance("1 second")
        yield* Fiber.join(large)
        yield* Fiber.join(small)
        expect(order).toEqual(["large@500", "small@600"])
        expect(yield* limiter.tryAcquire()).toBe(true)
      }))

    it.scoped("without maxWait a waiter waits as long as needed", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ algorithm: "fixed-window", limit: 1, interval: "1 hour" })
        yield* limiter.acquire()
        const fibers = yield* Effect.forEach([1, 2, 3], () => start(limiter.acquire()))
        yield* harness.advance("3 hours")
        for (const fiber of fibers) yield* Fiber.join(fiber)
      }))

    it.scoped("maxWait: fails at once when the wait behind the queue would exceed it", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ name: "mw", limit: 10, interval: "1 second", maxWait: "300 millis" })
        yield* limiter.acquire(10)
        const first = yield* start(limiter.acquire(2)) // waits 200 ms
        const error = failureOf(yield* Effect.exit(limiter.acquire(2))) // would wait 400 ms
        expect(error.policyName).toBe("mw")
        expect(millis(error.retryAfter)).toBeCloseTo(400, 6)
        expect(error.limit).toBe(10)
        expect(error.remaining).toBe(0)
        const second = yield* start(limiter.acquire(1)) // waits exactly 300 ms: allowed
        yield* harness.advance("200 millis")
        yield* Fiber.join(first)
        expect(second.unsafePoll()).toBeNull()
        yield* harness.advance("100 millis")
        yield* Fiber.join(second)
        const alone = failureOf(yield* Effect.exit(limiter.acquire(4))) // empty queue: a 400 ms wait
        expect(millis(alone.retryAfter)).toBeCloseTo(400, 6)
        yield* harness.advance("100 millis")
        yield* limiter.acquire(4).pipe(
          Effect.fork,
          Effect.zipLeft(harness.advance("300 millis")),
          Effect.flatMap(Fiber.join)
        )
      }))

    it.scoped("maxWait plans behind queued window waiters", () =>
      Effect.gen(function*() {
        const limiter = yield* make({
          algorithm: "sliding-window",
          limit: 3,
          interval: "1 second",
          maxWait: "1 second"
        })
        yield* limiter.acquire(1) // t = 0
        yield* harness.advance("500 millis")
        yield* limiter.acquire(2) // t = 500
        const a = yield* start(limiter.acquire(1)) // at 1000
        const b = yield* start(limiter.acquire(2)) // at 1500
        yield* harness.advance("1 millis")
        const error = failureOf(yield* Effect.exit(limiter.acquire(1))) // at 2000: a 1499 ms wait
        expect(millis(error.retryAfter)).toBe(1499)
        yield* harness.advance("499 millis") // t = 1000
        yield* Fiber.join(a)
        yield* harness.advance("499 millis")
        expect(b.unsafePoll()).toBeNull()
        yield* harness.advance("1 millis") // t = 1500
        yield* Fiber.join(b)
      }))

    it.scoped("an interrupted waiter takes nothing and does not hold up those behind it", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ limit: 1, interval: "1 second" })
        yield* limiter.acquire()
        const head = yield* start(limiter.acquire())
        const middle = yield* start(limiter.acquire())
        const last = yield* start(limiter.acquire())
        yield* harness.advance("500 millis")
        yield* Fiber.interrupt(head)
        yield* harness.advance("500 millis") // t = 1000: the middle one, now head, is admitted
        yield* Fiber.join(middle)
        yield* harness.advance("500 millis")
        yield* Fiber.interrupt(last)
        yield* harness.advance("500 millis")
        expect(yield* limiter.available).toBe(1)
        // a waiter interrupted while not at the head
        yield* limiter.acquire()
        const a = yield* start(limiter.acquire())
        const b = yield* start(limiter.acquire())
        const c = yield* start(limiter.acquire())
        yield* harness.advance("10 millis")
        yield* Fiber.interrupt(b)
        yield* harness.advance("990 millis")
        yield* Fiber.join(a)
        expect(c.unsafePoll()).toBeNull()
        yield* harness.advance("1 second")
        yield* Fiber.join(c) // at 2 s after the drain, not 3 s
        expect(yield* limiter.available).toBe(0)
      }))

    // over I/O the suite takes a smaller count (`harness.scale`): 20,000 round trips in one window
    // take longer than its second of real time, after which the store's key expires (its TTL is
    // real time, while the TestClock stands still)
    const callers = Math.round(20_000 * harness.scale)
    const perWindow = callers / 10
    it.scoped(`${callers.toLocaleString("en-US")} waiting callers all complete, in order`, () =>
      Effect.gen(function*() {
        const limiter = yield* make({ algorithm: "fixed-window", limit: perWindow, interval: "1 second" })
        const admittedAt: Array<number> = []
        const fibers = yield* Effect.forEach(
          Array.from({ length: callers }, (_, i) => i),
          (i) =>
            Effect.fork(Effect.zipRight(
              limiter.acquire(),
              Effect.map(TestClock.currentTimeMillis, (now) => {
                admittedAt[i] = now
              })
            ))
        )
        yield* harness.advance("10 seconds")
        yield* Fiber.joinAll(fibers)
        expect(admittedAt.filter((t) => t !== undefined).length).toBe(callers)
        for (let i = 0; i < callers; i++) expect(admittedAt[i]).toBe(Math.floor(i / perWindow) * 1000)
      }))
  })

  describe("permits that can never be satisfied die at once", () => {
    it.scoped("not a positive integer, or above the capacity", () =>
      Effect.gen(function*() {
        const bucket = yield* make({ limit: 10, interval: "1 second", burst: 4 })
        const window = yield* make({ algorithm: "sliding-window", limit: 3, interval: "1 second" })
        const cases = [
          bucket.acquire(0),
          bucket.acquire(-1),
          bucket.acquire(1.5),
          bucket.acquire(5),
          bucket.tryAcquire(5),
          bucket.tryAcquire(Number.NaN),
          window.acquire(4),
          window.tryAcquire(4)
        ]
        for (const effect of cases) {
          const defect = defectOf(yield* Effect.exit(effect as Effect.Effect<unknown, unknown>))
          expect(defect).toBeInstanceOf(ResilienceConfigError)
          expect((defect as ResilienceConfigError).option).toBe("permits")
        }
        expect(yield* bucket.acquire(4)).toBeUndefined()
        expect(yield* window.tryAcquire(3)).toBe(true)
      }))
  })

  describe("members", () => {
    it.scoped("acquire, tryAcquire and protect work detached; acquire() and tryAcquire() are built once", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ limit: 3, interval: "1 second", onExceeded: "fail" })
        const { acquire, available, protect, tryAcquire } = limiter
        expect(limiter.acquire()).toBe(acquire(1))
        expect(limiter.tryAcquire()).toBe(tryAcquire(1))
        yield* acquire()
        expect(yield* tryAcquire(1)).toBe(true)
        expect(yield* Effect.succeed("ran").pipe(protect)).toBe("ran")
        expect(yield* tryAcquire()).toBe(false)
        expect(yield* available).toBe(0)
        expect(limiter).toMatchObject({ algorithm: "token-bucket", limit: 3, capacity: 3 })
        expect(Duration.toMillis(limiter.interval)).toBe(1000)
      }))
  })

  describe("protect", () => {
    it.scoped("runs the effect once admitted, and never when rejected; both dual forms", () =>
      Effect.gen(function*() {
        const limiter = yield* make({ limit: 2, interval: "1 second", onExceeded: "fail" })
        let runs = 0
        const call = Effect.sync(() => ++runs)
        expect(yield* call.pipe(RateLimiter.protect(limiter))).toBe(1)
        expect(yield* RateLimiter.protect(call, limiter)).toBe(2)
        const error = failureOf(yield* Effect.exit(limiter.protect(call)))
        expect(error._tag).toBe("RateLimited")
        expect(runs).toBe(2)
      }))
  })

  it.scoped("reports rejections and waits through the observer", () =>
    Effect.gen(function*() {
      const events: Array<ResilienceEvent> = []
      const outcomes: Array<CallOutcome> = []
      const observer = ObserverTag.of({
        instrument: () => ({
          active: true,
          emit: (event) => events.push(event),
          record: (outcome) => outcomes.push(outcome)
        })
      })
      const limiter = yield* make({ name: "obs", limit: 1, interval: "1 second", maxWait: "1 second" }).pipe(
        Effect.provideService(ObserverTag, observer)
      )
      yield* limiter.acquire()
      const waiter = yield* start(limiter.acquire())
      yield* Effect.exit(limiter.acquire())
      yield* harness.advance("1 second")
      yield* Fiber.join(waiter)
      expect(yield* limiter.tryAcquire()).toBe(false)
      expect(events.map((e) => e._tag)).toEqual(["CallRejected", "LimiterWaited", "CallRejected"])
      expect(events[0]).toMatchObject({ policyName: "obs", policy: "RateLimiter", reason: "MaxWaitExceeded", at: 0 })
      expect(events[1]).toMatchObject({ policyName: "obs", permits: 1, at: 1000 })
      expect(Duration.toMillis((events[1] as { readonly waited: Duration.Duration }).waited)).toBe(1000)
      expect(events[2]).toMatchObject({ reason: "LimitExceeded", at: 1000 })
      expect(outcomes).toEqual(["success", "rejected", "success", "rejected"])
    }))
}

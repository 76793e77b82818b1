import * as Deadline from "@effect-resilience/core/Deadline"
import * as Hedge from "@effect-resilience/core/Hedge"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"
import { provideRecording } from "./utils/observer.js"

const remainingMillis = Effect.map(Deadline.remaining, Option.map(Duration.toMillis))

/** An operation that records when each attempt starts, takes `millis`, then fails with `fail-k`. */
const failing = (millis: number) => {
  const starts: Array<number> = []
  const operation = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    starts.push(now)
    return Effect.zipRight(Effect.sleep(millis), Effect.fail(`fail-${starts.length - 1}`))
  })
  return { starts, operation }
}

describe("Deadline.within", () => {
  it.effect("returns the result of an effect that completes in time", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.succeed(1).pipe(Effect.delay("999 millis"), Deadline.within("1 second")))
      yield* TestClock.adjust("999 millis")
      expect(yield* Fiber.join(fiber)).toBe(1)
      expect(yield* Effect.flip(Deadline.within(Effect.fail("own"), "1 second"))).toBe("own")
    }))

  it.effect("fails with DeadlineExceeded at the deadline, after the finalizers, in both dual forms", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const slow = Effect.never.pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => log.push("finalizer")).pipe(Effect.zipRight(Effect.sleep("100 millis")))
        )
      )
      const dataLast = yield* Effect.fork(slow.pipe(Deadline.within("1 second")))
      const dataFirst = yield* Effect.fork(Deadline.within(Effect.never, { duration: 1000, name: "checkout" }))
      yield* TestClock.adjust("999 millis")
      expect(dataLast.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      expect(log).toEqual(["finalizer"])
      expect(dataLast.unsafePoll()).toBeNull()
      yield* TestClock.adjust("100 millis")
      const e1 = yield* Effect.flip(Fiber.join(dataLast))
      const e2 = yield* Effect.flip(Fiber.join(dataFirst))
      expect(e1).toBeInstanceOf(Deadline.DeadlineExceeded)
      expect(e1._tag).toBe("DeadlineExceeded")
      expect(Duration.isZero(e1.remaining)).toBe(true)
      expect(e1.policyName).toBeUndefined()
      expect(e2.policyName).toBe("checkout")
      expect(e2.message).toBe("Deadline exceeded (checkout)")
      expect(e2.name).not.toBe("checkout")
      expect(ResilienceError.isResilienceError(e1)).toBe(true)
      expect(ResilienceError.isPermanentRejection(e1)).toBe(true)
    }))

  it.effect("remaining: none outside, the time left inside, inherited by forked fibers, never leaked by a join", () =>
    Effect.gen(function*() {
      expect(yield* Deadline.remaining).toEqual(Option.none())
      const inside = yield* Effect.gen(function*() {
        const first = yield* remainingMillis
        yield* Effect.sleep("300 millis")
        const later = yield* remainingMillis
        const child = yield* Effect.fork(remainingMillis)
        const forked = yield* Fiber.join(child)
        return { first, later, forked }
      }).pipe(Deadline.within("1 second"), Effect.fork)
      yield* TestClock.adjust("300 millis")
      expect(yield* Fiber.join(inside)).toEqual({
        first: Option.some(1000),
        later: Option.some(700),
        forked: Option.some(700)
      })
      // a fiber forked under a deadline and joined outside it does not pass the deadline on
      const leaked = yield* Deadline.within(Effect.forkDaemon(remainingMillis), "1 second")
      expect(yield* Fiber.join(leaked)).toEqual(Option.some(1000))
      expect(yield* Deadline.remaining).toEqual(Option.none())
    }))

  it.effect("a nested deadline can only shorten the enclosing one", () =>
    Effect.gen(function*() {
      const longer = yield* remainingMillis.pipe(Deadline.within("5 seconds"), Deadline.within("1 second"))
      const shorter = yield* remainingMillis.pipe(Deadline.within("200 millis"), Deadline.within("1 second"))
      const infinite = yield* remainingMillis.pipe(Deadline.within(Duration.infinity), Deadline.within("1 second"))
      expect(longer).toEqual(Option.some(1000))
      expect(shorter).toEqual(Option.some(200))
      expect(infinite).toEqual(Option.some(1000))
      expect(yield* Effect.exit(Deadline.within(Effect.succeed(1), Duration.infinity))).toEqual(Exit.succeed(1))
    }))

  it.effect("an effect under a deadline that has already passed never starts", () =>
    Effect.gen(function*() {
      let started = false
      const fiber = yield* Effect.fork(
        Effect.uninterruptible(Effect.sleep("2 seconds")).pipe(
          Effect.zipRight(Effect.sync(() => (started = true)).pipe(Deadline.within("1 second"), Effect.flip)),
          Deadline.within("1 second")
        )
      )
      yield* TestClock.adjust("2 seconds")
      const exit = yield* Fiber.await(fiber)
      expect(started).toBe(false)
      expect(Exit.isFailure(exit)).toBe(true)
    }))

  it.effect("interrupting the caller interrupts the effect: no DeadlineExceeded", () =>
    Effect.gen(function*() {
      let interrupted = false
      const fiber = yield* Effect.fork(
        Effect.never.pipe(
          Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))),
          Deadline.within("1 second")
        )
      )
      yield* TestClock.adjust("500 millis")
      const exit = yield* Fiber.interrupt(fiber)
      expect(interrupted).toBe(true)
      expect(Exit.isInterrupted(exit)).toBe(true)
    }))

  it("bad options throw ResilienceConfigError", () => {
    expectConfigError(() => Deadline.within("-1 second"), "duration")
    expectConfigError(() => Deadline.within(0), "duration")
    expectConfigError(() => Deadline.within(Effect.void, NaN), "duration")
    expectConfigError(() => Deadline.within({ duration: "1 second", name: "" }), "name")
    expectConfigError(() => Retry.retry({ schedule: Retry.constant(10), minAttempt: -1 }), "minAttempt")
  })
})

describe("Deadline with Retry.retry", () => {
  it.effect("never sleeps past the deadline: returns the last failure, RetryGaveUp reason DeadlineExceeded", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        const { operation, starts } = failing(100)
        const fiber = yield* Effect.fork(
          operation.pipe(
            Retry.retry({ schedule: Retry.constant("300 millis"), name: "orders" }),
            Deadline.within("1 second")
          )
        )
        yield* TestClock.adjust("2 seconds")
        // attempts at 0, 400, 800 ms; the next would start at 1200 ms, past the deadline
        expect(yield* Effect.flip(Fiber.join(fiber))).toBe("fail-2")
        expect(starts).toEqual([0, 400, 800])
        const gaveUp = recorded.events.filter((e) => e._tag === "RetryGaveUp")
        expect(gaveUp).toMatchObject([{ policyName: "orders", reason: "DeadlineExceeded", attempts: 3, at: 900 }])
      })
    ))

  it.effect("starts no retry with less than minAttempt left", () =>
    Effect.gen(function*() {
      const { operation, starts } = failing(100)
      const fiber = yield* Effect.fork(
        operation.pipe(
          Retry.retry({ schedule: Retry.constant("300 millis"), minAttempt: "250 millis" }),
          Deadline.within("1 second")
        )
      )
      yield* TestClock.adjust("2 seconds")
      // a retry at 800 ms would have 200 ms left
      expect(yield* Effect.flip(Fiber.join(fiber))).toBe("fail-1")
      expect(starts).toEqual([0, 400])
    }))

  it.effect("the first attempt always runs; without a deadline nothing changes", () =>
    Effect.gen(function*() {
      const { operation, starts } = failing(0)
      const retried = operation.pipe(
        Retry.retry({ schedule: Retry.constant("10 millis", { maxRetries: 3 }), minAttempt: "1 hour" })
      )
      expect(yield* Effect.flip(Deadline.within(retried, "1 second"))).toBe("fail-0")
      expect(starts).toEqual([0])
      const fiber = yield* Effect.fork(retried)
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.flip(Fiber.join(fiber))).toBe("fail-4")
    }))

  it.effect("DeadlineExceeded from a deadline below is not retried", () =>
    Effect.gen(function*() {
      const { operation, starts } = failing(1_000_000)
      const fiber = yield* Effect.fork(
        operation.pipe(Deadline.within("100 millis"), Retry.retry({ schedule: Retry.constant("10 millis") }))
      )
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.flip(Fiber.join(fiber))).toBeInstanceOf(Deadline.DeadlineExceeded)
      expect(starts).toEqual([0])
    }))
})

describe("Deadline with Hedge.hedge", () => {
  it.effect("launches no hedge at or past the deadline", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        const { operation, starts } = failing(250)
        const fiber = yield* Effect.fork(
          operation.pipe(
            Effect.catchAll(() => Effect.never),
            Hedge.hedge({ delay: "200 millis", maxHedges: 5 }),
            Deadline.within("500 millis")
          )
        )
        yield* TestClock.adjust("1 second")
        expect(yield* Effect.flip(Fiber.join(fiber))).toBeInstanceOf(Deadline.DeadlineExceeded)
        // hedges at 200 and 400 ms; the one due at 600 ms would be past the deadline
        expect(starts).toEqual([0, 200, 400])
        expect(recorded.events.filter((e) => e._tag === "HedgeLaunched")).toHaveLength(2)
      })
    ))

  it.effect("when every attempt has failed at the deadline, the primary's failure is returned, no hedge", () =>
    Effect.gen(function*() {
      const { operation, starts } = failing(100)
      const result = yield* Effect.fork(
        operation.pipe(
          Hedge.hedge({ delay: "1 second", maxHedges: 1 }),
          Effect.either,
          Deadline.within("100 millis"),
          Effect.either
        )
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(result)
      expect(starts).toEqual([0])
    }))
})

describe("Deadline with a waiting RateLimiter", () => {
  it.scoped("a wait that would pass the deadline fails at once with RateLimited; one that fits waits", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 second", name: "api" })
      yield* limiter.acquire()
      const start = yield* Clock.currentTimeMillis
      const error = yield* Effect.flip(limiter.acquire().pipe(Deadline.within("500 millis")))
      expect(error._tag).toBe("RateLimited")
      if (error._tag === "RateLimited") {
        expect(Duration.toMillis(error.retryAfter)).toBe(1000)
        expect(error.policyName).toBe("api")
      }
      expect(yield* Clock.currentTimeMillis).toBe(start)
      const waiter = yield* Effect.fork(limiter.acquire().pipe(Deadline.within("1500 millis")))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(waiter)).toBeUndefined()
      // the deadline bounds an explicit maxWait too, and a larger maxWait does not loosen it
      const bounded = yield* RateLimiter.make({ limit: 1, interval: "1 second", maxWait: "10 seconds" })
      yield* bounded.acquire()
      expect((yield* Effect.flip(bounded.acquire().pipe(Deadline.within("900 millis"))))._tag).toBe("RateLimited")
    }))

  it.scoped("an interrupted waiter under a deadline takes nothing", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 second" })
      yield* limiter.acquire()
      const waiter = yield* Effect.fork(limiter.acquire().pipe(Deadline.within("5 seconds")))
      yield* TestClock.adjust("500 millis")
      yield* Fiber.interrupt(waiter)
      yield* TestClock.adjust("500 millis")
      expect(yield* limiter.tryAcquire()).toBe(true)
    }))
})

describe("Deadline with Timeout", () => {
  it.effect("a longer timeout below is cut by the deadline; a shorter one still fires", () =>
    Effect.gen(function*() {
      const long = yield* Effect.fork(Effect.never.pipe(Timeout.timeout("5 seconds"), Deadline.within("1 second")))
      const short = yield* Effect.fork(Effect.never.pipe(Timeout.timeout("200 millis"), Deadline.within("1 second")))
      yield* TestClock.adjust("1 second")
      expect((yield* Effect.flip(Fiber.join(long)))._tag).toBe("DeadlineExceeded")
      expect((yield* Effect.flip(Fiber.join(short)))._tag).toBe("TimeoutError")
    }))
})

type Layer =
  | { readonly _tag: "retry"; readonly delay: number; readonly maxRetries: number; readonly minAttempt: number }
  | { readonly _tag: "timeout"; readonly duration: number }
  | { readonly _tag: "hedge"; readonly delay: number; readonly maxHedges: number }
  | { readonly _tag: "within"; readonly duration: number }

const layerArbitrary: FastCheck.Arbitrary<Layer> = FastCheck.oneof(
  FastCheck.record({
    _tag: FastCheck.constant("retry" as const),
    delay: FastCheck.integer({ min: 0, max: 300 }),
    maxRetries: FastCheck.integer({ min: 0, max: 6 }),
    minAttempt: FastCheck.integer({ min: 0, max: 100 })
  }),
  FastCheck.record({ _tag: FastCheck.constant("timeout" as const), duration: FastCheck.integer({ min: 1, max: 500 }) }),
  FastCheck.record({
    _tag: FastCheck.constant("hedge" as const),
    delay: FastCheck.integer({ min: 1, max: 300 }),
    maxHedges: FastCheck.integer({ min: 0, max: 3 })
  }),
  FastCheck.record({ _tag: FastCheck.constant("within" as const), duration: FastCheck.integer({ min: 1, max: 1500 }) })
)

const apply = (layer: Layer) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, unknown, R> => {
  switch (layer._tag) {
    case "retry":
      return self.pipe(
        Retry.retry({
          schedule: Retry.constant(layer.delay, { maxRetries: layer.maxRetries }),
          minAttempt: layer.minAttempt,
          while: () => true
        })
      )
    case "timeout":
      return self.pipe(Timeout.timeout(layer.duration))
    case "hedge":
      return self.pipe(Hedge.hedge({ delay: layer.delay, maxHedges: layer.maxHedges }))
    case "within":
      return self.pipe(Deadline.within(layer.duration))
  }
}

describe("Deadline: properties", () => {
  it.effect.prop(
    "random stacks of retry/timeout/hedge within d return by d and start no work at or after d",
    [
      FastCheck.integer({ min: 1, max: 1000 }),
      FastCheck.array(layerArbitrary, { maxLength: 5 }),
      FastCheck.array(
        FastCheck.record({ millis: FastCheck.integer({ min: 0, max: 400 }), ok: FastCheck.boolean() }),
        { minLength: 1, maxLength: 6 }
      )
    ],
    ([d, layers, script]) =>
      Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        const starts: Array<number> = []
        const work = Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const step = script[starts.length % script.length]
          starts.push(now - start)
          return Effect.zipRight(Effect.sleep(step.millis), step.ok ? Effect.void : Effect.fail("boom"))
        })
        // layers[0] is innermost
        const stacked = layers.reduce((effect: Effect.Effect<void, unknown>, layer) => apply(layer)(effect), work)
        const fiber = yield* Effect.fork(
          Effect.exit(Deadline.within(stacked, d)).pipe(Effect.zipRight(Clock.currentTimeMillis))
        )
        yield* TestClock.adjust("1 minute")
        const end = yield* Fiber.join(fiber)
        expect(end - start).toBeLessThanOrEqual(d)
        expect(starts.length).toBeGreaterThan(0)
        for (const at of starts) expect(at).toBeLessThan(d)
      }),
    { fastCheck: { numRuns: 200 } }
  )
})

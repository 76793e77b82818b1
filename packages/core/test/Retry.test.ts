import * as Retry from "@effect-resilience/core/Retry"
import * as RetryBudget from "@effect-resilience/core/RetryBudget"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { BulkheadRejected, CircuitBreakerOpen, RateLimited } from "../src/internal/errors.js"
import { decorrelatedJitterStep } from "../src/internal/schedules.js"
import { expectConfigError } from "./utils/config.js"
import { provideRecording } from "./utils/observer.js"
import { delaysOf, seeded } from "./utils/schedule.js"

const DAY = 86_400_000

/** Runs `Effect.fail` through `retry` on the TestClock and returns the Clock times of every attempt. */
const attemptTimes = <R>(
  retry: (self: Effect.Effect<never, string>) => Effect.Effect<never, string, R>,
  runFor: Duration.DurationInput = "1 hour"
) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    const attempt = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      times.push(now)
      return Effect.fail(`failure ${times.length}`)
    })
    const fiber = yield* Effect.fork(retry(attempt))
    yield* TestClock.adjust(runFor)
    const exit = yield* Fiber.await(fiber)
    return { times, exit }
  })

describe("Retry schedules", () => {
  it.effect("constant waits the same delay before each of the first 10 retries", () =>
    Effect.gen(function*() {
      expect(yield* delaysOf(Retry.constant("250 millis"), 10)).toEqual(Array(10).fill(250))
    }))

  it.effect("linear grows by increment (default base) and is capped by max", () =>
    Effect.gen(function*() {
      expect(yield* delaysOf(Retry.linear({ base: "100 millis" }), 10)).toEqual(
        [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
      )
      expect(yield* delaysOf(Retry.linear({ base: 100, increment: 50, max: 300 }), 10)).toEqual(
        [100, 150, 200, 250, 300, 300, 300, 300, 300, 300]
      )
    }))

  it.effect("exponential waits min(max, base · factor^(n−1))", () =>
    Effect.gen(function*() {
      expect(yield* delaysOf(Retry.exponential({ base: "100 millis" }), 10)).toEqual(
        [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200]
      )
      expect(yield* delaysOf(Retry.exponential({ base: 100, factor: 3, max: "5 seconds" }), 10)).toEqual(
        [100, 300, 900, 2700, 5000, 5000, 5000, 5000, 5000, 5000]
      )
      expect(yield* delaysOf(Retry.exponential({ base: 10, factor: 1.5 }), 4)).toEqual([10, 15, 22.5, 33.75])
      expect(yield* delaysOf(Retry.exponential({ base: 0 }), 3)).toEqual([0, 0, 0])
    }))

  it.effect("exponential saturates: no overflow or NaN after thousands of retries, one day without max", () =>
    Effect.gen(function*() {
      const unbounded = yield* delaysOf(Retry.exponential({ base: "1 second", factor: 10 }), 5000)
      expect(unbounded).toHaveLength(5000)
      expect(unbounded.every((d) => Number.isFinite(d) && d >= 0 && d <= DAY)).toBe(true)
      expect(unbounded[4999]).toBe(DAY)
      const capped = yield* delaysOf(Retry.exponential({ base: 1, max: "1 minute", jitter: "full" }), 5000)
      expect(capped.every((d) => Number.isFinite(d) && d >= 0 && d <= 60_000)).toBe(true)
    }))

  it.effect("maxRetries: r allows exactly r retries (r + 1 attempts), at the scheduled times", () =>
    Effect.gen(function*() {
      const { exit, times } = yield* attemptTimes(
        Effect.retry(Retry.exponential({ base: "100 millis", maxRetries: 3 }))
      )
      expect(times).toEqual([0, 100, 300, 700])
      expect(exit).toStrictEqual(Exit.fail("failure 4"))
      expect(yield* delaysOf(Retry.constant(5, { maxRetries: 0 }), 10)).toEqual([])
      expect(yield* delaysOf(Retry.linear({ base: 5, maxRetries: 2 }), 10)).toEqual([5, 10])
      expect(yield* delaysOf(Retry.decorrelatedJitter({ base: 5, maxRetries: 4 }), 10)).toHaveLength(4)
    }))

  it.effect("without maxRetries a schedule does not stop by itself", () =>
    Effect.gen(function*() {
      expect(yield* delaysOf(Retry.constant(1), 10_000)).toHaveLength(10_000)
    }))

  it.effect("full jitter draws within [0, d] and equal jitter within [d/2, d] of the capped delay", () =>
    seeded(
      7,
      Effect.gen(function*() {
        const d = [100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000]
        for (let run = 0; run < 50; run++) {
          const full = yield* delaysOf(Retry.exponential({ base: 100, max: 1000, jitter: "full" }), 10)
          const equal = yield* delaysOf(Retry.exponential({ base: 100, max: 1000, jitter: "equal" }), 10)
          full.forEach((x, i) => {
            expect(x).toBeGreaterThanOrEqual(0)
            expect(x).toBeLessThanOrEqual(d[i])
          })
          equal.forEach((x, i) => {
            expect(x).toBeGreaterThanOrEqual(d[i] / 2)
            expect(x).toBeLessThanOrEqual(d[i])
          })
        }
        const constant = yield* delaysOf(Retry.constant(100, { jitter: "equal" }), 100)
        expect(constant.every((x) => x >= 50 && x <= 100)).toBe(true)
        expect(new Set(constant).size).toBeGreaterThan(90)
        const linear = yield* delaysOf(Retry.linear({ base: 100, max: 250, jitter: "full" }), 10)
        expect(linear.every((x) => x >= 0 && x <= 250)).toBe(true)
      })
    ))

  it.effect("jitter is reproducible under a seed, and differs between seeds", () =>
    Effect.gen(function*() {
      const schedule = Retry.exponential({ base: 100, jitter: "full", maxRetries: 10 })
      const a = yield* seeded(42, delaysOf(schedule, 10))
      const b = yield* seeded(42, delaysOf(schedule, 10))
      const c = yield* seeded(43, delaysOf(schedule, 10))
      expect(a).toEqual(b)
      expect(a).not.toEqual(c)
      const dj = Retry.decorrelatedJitter({ base: 100, max: 10_000 })
      expect(yield* seeded(1, delaysOf(dj, 10))).toEqual(yield* seeded(1, delaysOf(dj, 10)))
    }))

  it.effect("a property: every delay is within [0, max] and, without jitter, exactly min(max, base·factor^(n−1))", () =>
    Effect.sync(() =>
      FastCheck.assert(
        FastCheck.property(
          FastCheck.integer({ min: 0, max: 10_000 }),
          FastCheck.double({ min: 1, max: 10, noNaN: true }),
          FastCheck.integer({ min: 0, max: 100_000 }),
          FastCheck.integer({ min: 1, max: 3000 }),
          FastCheck.constantFrom("none" as const, "full" as const, "equal" as const),
          FastCheck.integer(),
          (base, factor, extra, attempt, jitter, seed) => {
            const max = base + extra
            const schedule = Retry.exponential({ base, factor, max, jitter })
            const delays = Effect.runSync(seeded(seed, delaysOf(schedule, attempt)))
            const last = delays[attempt - 1]
            const expected = base === 0 ? 0 : Math.min(max, base * Math.pow(factor, attempt - 1))
            expect(delays.every((d) => d >= 0 && d <= max)).toBe(true)
            if (jitter === "none") expect(last).toBe(expected)
            if (jitter === "equal") expect(last).toBeGreaterThanOrEqual(expected / 2)
            expect(last).toBeLessThanOrEqual(expected)
          }
        ),
        { numRuns: 300 }
      )
    ))

  it.effect("decorrelatedJitter follows Polly's DecorrelatedJitterBackoffV2, capped at max", () =>
    Effect.gen(function*() {
      // The first delay is (2^t · tanh(√(4t))) / 1.4 · base with t = random in [0, 1)
      const [first] = decorrelatedJitterStep(0, 1000, Infinity, 0, 0.5)
      expect(first).toBeCloseTo(Math.pow(2, 0.5) * Math.tanh(Math.sqrt(2)) / 1.4 * 1000, 9)
      // successive values telescope: the sum of delays is the formula's value at the last t, scaled
      const [d1, p1] = decorrelatedJitterStep(0, 100, Infinity, 0, 0.25)
      const [d2, p2] = decorrelatedJitterStep(1, 100, Infinity, p1, 0.75)
      expect(d1 + d2).toBeCloseTo(p2 / 1.4 * 100, 9)
      // beyond t = 1024 the formula is infinite: the cap is returned, never a negative or NaN delay
      expect(decorrelatedJitterStep(1100, 100, 5000, 1e300, 0.1)[0]).toBe(5000)

      const delays = yield* seeded(3, delaysOf(Retry.decorrelatedJitter({ base: 100, max: 2000 }), 2000))
      expect(delays.every((d) => d >= 0 && d <= 2000)).toBe(true)
      expect(delays.slice(-100).every((d) => d === 2000 || d >= 0)).toBe(true)
      // medians near base · 2^(n−1): sample the first delay many times
      const firsts: Array<number> = []
      for (let seed = 0; seed < 2001; seed++) {
        firsts.push((yield* seeded(seed, delaysOf(Retry.decorrelatedJitter({ base: 1000 }), 1)))[0])
      }
      firsts.sort((a, b) => a - b)
      expect(firsts[1000]).toBeGreaterThan(700)
      expect(firsts[1000]).toBeLessThan(1300)
    }))

  it.effect("a max below base is allowed, as in Polly: every delay is then max, jitter drawn within it", () =>
    Effect.gen(function*() {
      expect(yield* delaysOf(Retry.linear({ base: "2 seconds", max: "123 millis" }), 5)).toEqual(Array(5).fill(123))
      expect(yield* delaysOf(Retry.exponential({ base: "10 seconds", max: "1 second" }), 5)).toEqual(
        Array(5).fill(1000)
      )
      const full = yield* seeded(
        7,
        delaysOf(Retry.exponential({ base: "10 seconds", max: "1 second", jitter: "full" }), 200)
      )
      expect(full.every((d) => d >= 0 && d <= 1000)).toBe(true)
      expect(new Set(full).size).toBeGreaterThan(100)
      const equal = yield* seeded(
        7,
        delaysOf(Retry.exponential({ base: "10 seconds", max: "1 second", jitter: "equal" }), 200)
      )
      expect(equal.every((d) => d >= 500 && d <= 1000)).toBe(true)
      const decorrelated = yield* seeded(7, delaysOf(Retry.decorrelatedJitter({ base: 5000, max: 300 }), 50))
      expect(decorrelated.every((d) => d >= 0 && d <= 300)).toBe(true)
    }))

  it("rejects bad options at construction, naming the option and the rule", () => {
    expectConfigError(() => Retry.constant(-5), "delay", "non-negative")
    expectConfigError(() => Retry.constant(NaN), "delay")
    expectConfigError(() => Retry.constant("-5 millis" as Duration.DurationInput), "delay")
    expectConfigError(() => Retry.constant("soon" as Duration.DurationInput), "delay")
    expectConfigError(() => Retry.constant(Duration.infinity), "delay", "finite")
    expectConfigError(() => Retry.constant(10, { maxRetries: -1 }), "maxRetries", "non-negative integer")
    expectConfigError(() => Retry.constant(10, { maxRetries: 1.5 }), "maxRetries", "integer")
    expectConfigError(() => Retry.constant(10, { jitter: "some" as Retry.Jitter }), "jitter")
    expectConfigError(() => Retry.linear({ base: -1 }), "base")
    expectConfigError(() => Retry.linear({ base: 10, increment: NaN }), "increment")
    expectConfigError(() => Retry.exponential({ base: "-1 seconds" as Duration.DurationInput }), "base")
    expectConfigError(() => Retry.exponential({ base: 10, factor: 0.5 }), "factor", "≥ 1")
    expectConfigError(() => Retry.exponential({ base: 10, factor: NaN }), "factor")
    expectConfigError(() => Retry.exponential({ base: 10, factor: Infinity }), "factor")
    expectConfigError(() => Retry.exponential({ base: 10, max: -1 }), "max")
    expectConfigError(() => Retry.exponential({ base: 10, maxRetries: -3 }), "maxRetries")
    expectConfigError(() => Retry.decorrelatedJitter({ base: NaN }), "base")
    expectConfigError(() => Retry.decorrelatedJitter({ base: 10, maxRetries: 0.5 }), "maxRetries")
    expectConfigError(() => Retry.exponential(undefined as unknown as Retry.ExponentialOptions), "options")
    expectConfigError(() => Retry.retry({ schedule: "often" as never }), "schedule")
    expectConfigError(() => Retry.retry({ schedule: Retry.constant(1), while: 5 as never }), "while")
    expectConfigError(() => Retry.retry({ schedule: Retry.constant(1), budget: {} as never }), "budget")
    expectConfigError(() => Retry.retry({ schedule: Retry.constant(1), name: "" }), "name")
    expectConfigError(() => Retry.honorRetryAfter(null as never), "schedule")
  })
})

describe("Retry.retry", () => {
  it.effect("retries until success, in both dual forms", () =>
    Effect.gen(function*() {
      let calls = 0
      const flaky = Effect.suspend(() => ++calls < 3 ? Effect.fail("flaky") : Effect.succeed(calls))
      const schedule = Retry.constant("10 millis")
      const fiber = yield* Effect.fork(flaky.pipe(Retry.retry({ schedule })))
      yield* TestClock.adjust("20 millis")
      expect(yield* Fiber.join(fiber)).toBe(3)
      calls = 0
      const fiber2 = yield* Effect.fork(Retry.retry(flaky, { schedule }))
      yield* TestClock.adjust("20 millis")
      expect(yield* Fiber.join(fiber2)).toBe(3)
    }))

  it.effect("returns the last failure when the schedule ends", () =>
    Effect.gen(function*() {
      const { exit, times } = yield* attemptTimes(
        Retry.retry({ schedule: Retry.linear({ base: "1 second", maxRetries: 2 }) })
      )
      expect(times).toEqual([0, 1000, 3000])
      expect(exit).toStrictEqual(Exit.fail("failure 3"))
    }))

  it.effect("retries only what `while` accepts", () =>
    Effect.gen(function*() {
      const { exit, times } = yield* attemptTimes(
        Retry.retry({ schedule: Retry.constant(10), while: (error: string) => error !== "failure 2" })
      )
      expect(times).toEqual([0, 10])
      expect(exit).toStrictEqual(Exit.fail("failure 2"))
    }))

  it.effect("without `while`, retries every failure except the permanent rejections", () =>
    Effect.gen(function*() {
      const permanent: Array<unknown> = [
        new BulkheadRejected({ policyName: "b", reason: "Closed" }),
        new CircuitBreakerOpen({ policyName: "c", state: "Isolated", retryAfter: Duration.zero })
      ]
      const transient = [
        new BulkheadRejected({ policyName: "b", reason: "Full" }),
        new BulkheadRejected({ policyName: "b", reason: "QueueTimeout" }),
        new CircuitBreakerOpen({ policyName: "c", state: "Open", retryAfter: Duration.seconds(1) }),
        new CircuitBreakerOpen({ policyName: "c", state: "HalfOpen", retryAfter: Duration.zero }),
        new RateLimited({ policyName: "r", retryAfter: Duration.zero, limit: 1, remaining: 0 }),
        "plain string",
        new Error("an Error")
      ]
      for (const error of [...permanent, ...transient]) {
        let calls = 0
        const fiber = yield* Effect.fork(
          Effect.suspend(() => {
            calls++
            return Effect.fail(error)
          }).pipe(Retry.retry({ schedule: Retry.constant(1, { maxRetries: 2 }) }), Effect.flip)
        )
        yield* TestClock.adjust(10)
        expect(yield* Fiber.join(fiber)).toBe(error)
        expect(calls).toBe(permanent.includes(error) ? 1 : 3)
      }
    }))

  it.effect("does not retry defects or interruption", () =>
    Effect.gen(function*() {
      let calls = 0
      const exit = yield* Effect.suspend(() => {
        calls++
        return Effect.die("bug")
      }).pipe(Retry.retry({ schedule: Retry.constant(1) }), Effect.exit)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Die").toBe(true)
      expect(calls).toBe(1)
    }))

  it.effect("interrupting the caller during the wait stops further attempts", () =>
    Effect.gen(function*() {
      let calls = 0
      const fiber = yield* Effect.fork(
        Effect.suspend(() => {
          calls++
          return Effect.fail("x")
        }).pipe(Retry.retry({ schedule: Retry.constant("1 second") }))
      )
      yield* TestClock.adjust("1500 millis")
      expect(calls).toBe(2)
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("10 seconds")
      expect(calls).toBe(2)
    }))

  it.effect("a user Schedule sees the failure as its input", () =>
    Effect.gen(function*() {
      const { exit, times } = yield* attemptTimes(
        Retry.retry({
          schedule: Schedule.spaced("5 millis").pipe(Schedule.whileInput((e: string) => e !== "failure 4"))
        })
      )
      expect(times).toEqual([0, 5, 10, 15])
      expect(exit).toStrictEqual(Exit.fail("failure 4"))
    }))

  it.effect("with a budget: deposits once per call, withdraws per retry, and returns the last failure when spent", () =>
    Effect.gen(function*() {
      const budget = yield* RetryBudget.make({ ratio: 0.5, minPerSecond: 0, window: "10 seconds" })
      // 4 successful calls deposit 4: allowance 2 retries
      for (let i = 0; i < 4; i++) {
        yield* Effect.succeed(i).pipe(Retry.retry({ schedule: Retry.constant(1), budget }))
      }
      expect(yield* budget.available).toBe(2)
      // the failing call deposits one more (2.5 allowed): two retries, then the budget is spent
      const { exit, times } = yield* attemptTimes(Retry.retry({ schedule: Retry.constant(10), budget }))
      expect(times).toEqual([0, 10, 20])
      expect(exit).toStrictEqual(Exit.fail("failure 3"))
      expect(yield* budget.available).toBe(0)
    }).pipe(Effect.scoped))

  it.effect("honorRetryAfter waits max(schedule delay, retryAfter), uncapped by max", () =>
    Effect.gen(function*() {
      const retryAfters = [Duration.seconds(5), Duration.millis(10), undefined]
      const times: Array<number> = []
      const fiber = yield* Effect.fork(
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          times.push(now)
          const retryAfter = retryAfters[times.length - 1]
          return Effect.fail(
            retryAfter === undefined
              ? { _tag: "Plain" }
              : new RateLimited({ policyName: "r", retryAfter, limit: 1, remaining: 0 })
          )
        }).pipe(
          Retry.retry({
            schedule: Retry.honorRetryAfter(Retry.exponential({ base: "100 millis", max: "1 second", maxRetries: 3 }))
          })
        )
      )
      yield* TestClock.adjust("1 minute")
      yield* Fiber.await(fiber)
      // 5 s (server, above max), then 200 ms (schedule > 10 ms), then 400 ms (no retryAfter)
      expect(times).toEqual([0, 5000, 5200, 5600])
      // the schedule still decides when to stop
      expect(yield* delaysOf(Retry.honorRetryAfter(Retry.constant(1, { maxRetries: 1 })), 5)).toEqual([1])
      expect(
        yield* delaysOf(
          Retry.honorRetryAfter(Retry.constant(1)),
          1,
          new CircuitBreakerOpen({ policyName: "c", state: "Open", retryAfter: Duration.seconds(3) })
        )
      ).toEqual([3000])
    }))

  it.effect("reports RetryScheduled and RetryGaveUp events with attempt, delay and reason", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        yield* attemptTimes(
          Retry.retry({ schedule: Retry.exponential({ base: "100 millis", maxRetries: 2 }), name: "payments" })
        )
        expect(recorded.events.map((e) => e._tag)).toEqual(["RetryScheduled", "RetryScheduled", "RetryGaveUp"])
        const [first, second, gaveUp] = recorded.events
        expect(first).toMatchObject({ policyName: "payments", attempt: 1, at: 0, error: "failure 1" })
        expect(first._tag === "RetryScheduled" && Duration.toMillis(first.delay)).toBe(100)
        expect(second).toMatchObject({ attempt: 2, at: 100 })
        expect(gaveUp).toMatchObject({ attempts: 3, reason: "ScheduleEnded", at: 300 })
        expect(recorded.outcomes).toEqual([{ kind: "Retry", name: "payments", outcome: "failure" }])
      })
    ))

  it.effect("reports BudgetExhausted when the budget refuses a retry", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        const budget = yield* RetryBudget.make({ ratio: 0, minPerSecond: 0, window: "1 second", name: "shared" })
        yield* attemptTimes(Retry.retry({ schedule: Retry.constant(1), budget, name: "r" }))
        expect(recorded.events.map((e) => e._tag)).toEqual(["BudgetExhausted", "RetryGaveUp"])
        expect(recorded.events[0]).toMatchObject({ policyName: "r", budgetName: "shared" })
        expect(recorded.events[1]).toMatchObject({ reason: "BudgetExhausted", attempts: 1 })
      }).pipe(Effect.scoped)
    ))

  it.effect("unnamed retries report under the name \"retry\": applying a combinator per call adds no label", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        for (let i = 0; i < 3; i++) yield* Retry.retry(Effect.succeed(i), { schedule: Retry.constant(1) })
        expect(new Set(recorded.instruments.map((i) => i.name))).toEqual(new Set(["retry"]))
      })
    ))
})

import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import { ResilienceLive } from "@effect-resilience/core/Resilience"
import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { Aimd, Gradient2 } from "../src/internal/adaptiveLimit.js"
import { expectConfigError } from "./utils/config.js"
import { metricValue } from "./utils/metrics.js"

/**
 * A dependency whose latency rises with concurrency: `base × max(1, inFlight / capacity)`, fixed
 * when the call starts. `failing` makes every call fail (after its latency) while true.
 */
const dependency = (capacity: number, baseMillis: number) => {
  const state = { inFlight: 0, failing: false, calls: 0 }
  const call = Effect.suspend(() => {
    state.inFlight++
    state.calls++
    const latency = baseMillis * Math.max(1, state.inFlight / capacity)
    const failing = state.failing
    return Effect.sleep(latency).pipe(
      Effect.zipRight(failing ? Effect.fail("unavailable" as const) : Effect.void),
      Effect.ensuring(Effect.sync(() => state.inFlight--))
    )
  })
  return { state, call }
}

/** `workers` closed-loop clients calling through `policy` forever; returns their fibers. */
const load = <E>(workers: number, call: Effect.Effect<void, E>) =>
  Effect.forEach(Array.from({ length: workers }), () => Effect.fork(Effect.forever(Effect.ignore(call))))

/** Advances the clock second by second, sampling the limit after each. */
const observe = (bulkhead: Bulkhead.Bulkhead, seconds: number) =>
  Effect.gen(function*() {
    const limits: Array<number> = []
    for (let i = 0; i < seconds; i++) {
      yield* TestClock.adjust("1 second")
      limits.push((yield* bulkhead.stats).limit)
    }
    return limits
  })

const CAPACITY = 5
const BASE = 100

const adaptive = (
  options: Partial<Bulkhead.Bulkhead.AdaptiveOptions> & Pick<Bulkhead.Bulkhead.AdaptiveOptions, "algorithm">
) => Bulkhead.adaptive({ initialLimit: 1, minLimit: 1, maxLimit: 100, maxQueue: Infinity, ...options })

/** 4× the capacity in closed-loop clients, each call cut at 2× the base latency (the callers' SLO). */
const overload = (bulkhead: Bulkhead.Bulkhead, dep: ReturnType<typeof dependency>) =>
  load(4 * CAPACITY, dep.call.pipe(Timeout.timeout(2 * BASE), bulkhead.protect))

const within = (limits: ReadonlyArray<number>, low: number, high: number) => {
  for (const limit of limits) {
    expect(limit).toBeGreaterThanOrEqual(low)
    expect(limit).toBeLessThanOrEqual(high)
  }
}

describe("Bulkhead.adaptive: convergence on a dependency whose latency rises with concurrency", () => {
  it.scoped("gradient2 grows from below to near the capacity, and holds there", () =>
    Effect.gen(function*() {
      const dep = dependency(CAPACITY, BASE)
      const bulkhead = yield* adaptive({ algorithm: "gradient2" })
      yield* overload(bulkhead, dep)
      const limits = yield* observe(bulkhead, 12)
      // the equilibrium is limit = rttTolerance × capacity + √limit: about 10 here
      within(limits.slice(-6), CAPACITY, 2.5 * CAPACITY)
    }))

  it.scoped("gradient2 comes down from far above", () =>
    Effect.gen(function*() {
      const dep = dependency(CAPACITY, BASE)
      const bulkhead = yield* adaptive({ algorithm: "gradient2", initialLimit: 80 })
      yield* overload(bulkhead, dep)
      const limits = yield* observe(bulkhead, 12)
      within(limits.slice(-6), CAPACITY, 2.5 * CAPACITY)
    }))

  it.scoped("aimd finds the limit from calls slower than its timeout, from below and from above", () =>
    Effect.gen(function*() {
      for (const initialLimit of [1, 80]) {
        const dep = dependency(CAPACITY, BASE)
        const bulkhead = yield* adaptive({ algorithm: "aimd", initialLimit, timeout: 1.5 * BASE })
        const fibers = yield* overload(bulkhead, dep)
        const limits = yield* observe(bulkhead, 12)
        // a sawtooth: cut by 10 % once latency passes the timeout (above 1.5× capacity), +1 per success
        within(limits.slice(-6), CAPACITY / 2, 4 * CAPACITY)
        yield* Fiber.interruptAll(fibers)
      }
    }))

  for (const algorithm of ["aimd", "gradient2"] as const) {
    it.scoped(`${algorithm} backs off while the dependency fails, and recovers after`, () =>
      Effect.gen(function*() {
        const dep = dependency(CAPACITY, BASE)
        const bulkhead = yield* adaptive({ algorithm, initialLimit: 2, minLimit: 2, timeout: 1.5 * BASE })
        yield* overload(bulkhead, dep)
        const before = yield* observe(bulkhead, 8)
        dep.state.failing = true
        const failing = yield* observe(bulkhead, 4)
        dep.state.failing = false
        const after = yield* observe(bulkhead, 8)
        expect(Math.min(...failing)).toBeLessThan(Math.min(...before.slice(-4)))
        expect(failing.at(-1)).toBeLessThan(CAPACITY)
        within(after.slice(-4), CAPACITY / 2, 4 * CAPACITY)
        expect(Math.max(...after.slice(-4))).toBeGreaterThanOrEqual(CAPACITY)
      }))
  }
})

describe("Bulkhead.adaptive: samples, permits and options", () => {
  it.scoped("interruption is no sample and leaks no permit; isFailure picks the drops", () =>
    Effect.gen(function*() {
      const bulkhead = yield* adaptive({
        algorithm: "aimd",
        initialLimit: 4,
        minLimit: 1,
        maxLimit: 10,
        isFailure: (error) => error !== "not mine"
      })
      // interrupted running and queued calls: the limit does not move, every permit comes back
      const running = yield* Effect.forEach([1, 2, 3, 4, 5, 6], () => Effect.fork(bulkhead.protect(Effect.never)))
      yield* TestClock.adjust("10 millis")
      expect(yield* bulkhead.stats).toMatchObject({ active: 4, queued: 2, limit: 4 })
      yield* Fiber.interruptAll(running)
      expect(yield* bulkhead.stats).toMatchObject({ active: 0, queued: 0, limit: 4 })
      // a failure isFailure rejects is neither drop nor success
      yield* Effect.flip(bulkhead.protect(Effect.fail("not mine")))
      expect((yield* bulkhead.stats).limit).toBe(4)
      // a failure it accepts, and a defect, are drops (one cut per round: calls started after the last cut)
      yield* Effect.flip(bulkhead.protect(Effect.fail("boom")))
      expect((yield* bulkhead.stats).limit).toBe(3)
      yield* TestClock.adjust("1 millis")
      yield* Effect.exit(bulkhead.protect(Effect.die("defect")))
      expect((yield* bulkhead.stats).limit).toBe(2)
      // a success with at least half the limit in flight adds one
      yield* bulkhead.protect(Effect.void)
      expect((yield* bulkhead.stats).limit).toBe(3)
      expect(yield* bulkhead.stats).toMatchObject({ active: 0, queued: 0, maxConcurrent: 10 })
    }))

  it.scoped("a grown limit admits waiters at once; a shrunk one lets running calls finish", () =>
    Effect.gen(function*() {
      const bulkhead = yield* adaptive({ algorithm: "aimd", initialLimit: 2, minLimit: 1, maxLimit: 10 })
      const slow = yield* Effect.forEach([1, 2], () => Effect.fork(bulkhead.protect(Effect.sleep("1 second"))))
      const queued = yield* Effect.forEach([1, 2, 3], () => Effect.fork(bulkhead.protect(Effect.sleep("1 second"))))
      yield* TestClock.adjust("10 millis")
      expect(yield* bulkhead.stats).toMatchObject({ active: 2, queued: 3, limit: 2 })
      // one success at a full limit: +1, and two waiters take the freed and the new permit
      yield* TestClock.adjust("990 millis")
      const stats = yield* bulkhead.stats
      expect(stats.limit).toBeGreaterThanOrEqual(3)
      expect(stats.active).toBe(3)
      yield* Fiber.joinAll(slow)
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.joinAll(queued)
      expect(yield* bulkhead.stats).toMatchObject({ active: 0, queued: 0 })
    }))

  it.scoped("close rejects queued and new calls with Closed and waits for the running ones", () =>
    Effect.gen(function*() {
      const bulkhead = yield* adaptive({
        algorithm: "gradient2",
        initialLimit: 1,
        maxQueue: 1,
        queueTimeout: "1 second"
      })
      const running = yield* Effect.fork(bulkhead.protect(Effect.sleep("100 millis")))
      const queued = yield* Effect.fork(bulkhead.protect(Effect.void))
      yield* TestClock.adjust("1 millis")
      expect((yield* Effect.flip(bulkhead.protect(Effect.void))).reason).toBe("Full")
      const closing = yield* Effect.fork(bulkhead.close)
      yield* TestClock.adjust("1 millis")
      expect((yield* Effect.flip(Fiber.join(queued))).reason).toBe("Closed")
      expect(closing.unsafePoll()).toBeNull()
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(closing)
      yield* Fiber.join(running)
    }))

  it.scoped("a wait longer than queueTimeout is QueueTimeout, and no sample", () =>
    Effect.gen(function*() {
      const bulkhead = yield* adaptive({ algorithm: "aimd", initialLimit: 1, maxQueue: 5, queueTimeout: "50 millis" })
      const running = yield* Effect.fork(bulkhead.protect(Effect.sleep("1 second")))
      const waiter = yield* Effect.fork(bulkhead.protect(Effect.void))
      yield* TestClock.adjust("51 millis")
      expect((yield* Effect.flip(Fiber.join(waiter))).reason).toBe("QueueTimeout")
      expect((yield* bulkhead.stats).limit).toBe(1)
      yield* Fiber.interrupt(running)
    }))

  it.effect("a bulkhead with a queue timeout made in an uninterruptible region closes with its scope", () =>
    Effect.gen(function*() {
      // the registry makes instances uninterruptibly: the queue-timeout reaper must stay interruptible
      yield* Effect.scoped(
        Effect.uninterruptible(Bulkhead.make({ maxConcurrent: 1, maxQueue: 1, queueTimeout: "1 second" }))
      )
      yield* Effect.scoped(
        Effect.uninterruptible(adaptive({ algorithm: "aimd", maxQueue: 1, queueTimeout: "1 second" }))
      )
    }).pipe(
      Effect.timeoutFail({ duration: "1 second", onTimeout: () => "scope close hung" }),
      Effect.fork,
      Effect.flatMap((fiber) => Effect.zipRight(TestClock.adjust("2 seconds"), Fiber.join(fiber)))
    ))

  it("bad options throw ResilienceConfigError", () => {
    const base = { algorithm: "aimd", initialLimit: 5, minLimit: 1, maxLimit: 10 } as const
    expectConfigError(() => Bulkhead.adaptive({ ...base, algorithm: "vegas" as never }), "algorithm")
    expectConfigError(() => Bulkhead.adaptive({ ...base, minLimit: 0 }), "minLimit")
    expectConfigError(() => Bulkhead.adaptive({ ...base, maxLimit: 0 }), "maxLimit")
    expectConfigError(() => Bulkhead.adaptive({ ...base, initialLimit: 11 }), "initialLimit")
    expectConfigError(() => Bulkhead.adaptive({ ...base, backoffRatio: 0.2 }), "backoffRatio")
    expectConfigError(() => Bulkhead.adaptive({ ...base, rttTolerance: 2 }), "rttTolerance", "gradient2")
    expectConfigError(() => Bulkhead.adaptive({ ...base, algorithm: "gradient2", smoothing: 0 }), "smoothing")
    expectConfigError(() => Bulkhead.adaptive({ ...base, algorithm: "gradient2", rttTolerance: 0.5 }), "rttTolerance")
    expectConfigError(() => Bulkhead.adaptive({ ...base, algorithm: "gradient2", longWindow: 0 }), "longWindow")
    expectConfigError(() => Bulkhead.adaptive({ ...base, timeout: "-1 second" }), "timeout")
    expectConfigError(() => Bulkhead.adaptive({ ...base, maxQueue: -1 }), "maxQueue")
    expectConfigError(() => Bulkhead.adaptive({ ...base, queueTimeout: "soon" as never }), "queueTimeout")
    expectConfigError(() => Bulkhead.adaptive({ ...base, isFailure: 3 as never }), "isFailure")
  })

  it.effect("stats.limit and resilience_bulkhead_limit on fixed and adaptive bulkheads", () =>
    Effect.gen(function*() {
      const fixed = yield* Bulkhead.make({ name: "limit-fixed", maxConcurrent: 7 })
      expect((yield* fixed.stats).limit).toBe(7)
      const bulkhead = yield* Bulkhead.adaptive({
        name: "limit-adaptive",
        algorithm: "aimd",
        initialLimit: 4,
        minLimit: 1,
        maxLimit: 10
      })
      expect(yield* metricValue("resilience_bulkhead_limit", { name: "limit-fixed" })).toBe(7)
      expect(yield* metricValue("resilience_bulkhead_limit", { name: "limit-adaptive" })).toBe(4)
      yield* Effect.flip(bulkhead.protect(Effect.fail("boom")))
      expect(yield* metricValue("resilience_bulkhead_limit", { name: "limit-adaptive" })).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(ResilienceLive)))
})

describe("Bulkhead.adaptive: properties", () => {
  const sampleArbitrary = FastCheck.record({
    duration: FastCheck.integer({ min: 0, max: 2_000 }),
    gap: FastCheck.integer({ min: 0, max: 200 }),
    inflight: FastCheck.integer({ min: 1, max: 300 }),
    dropped: FastCheck.boolean()
  })

  it.prop(
    "the limit of either algorithm stays an integer within [minLimit, maxLimit]",
    [
      FastCheck.integer({ min: 1, max: 50 }),
      FastCheck.integer({ min: 0, max: 200 }),
      FastCheck.double({ min: 0, max: 1, noNaN: true }),
      FastCheck.record({
        backoffRatio: FastCheck.double({ min: 0.5, max: 1, noNaN: true }),
        rttTolerance: FastCheck.double({ min: 1, max: 5, noNaN: true }),
        smoothing: FastCheck.double({ min: 0.01, max: 1, noNaN: true }),
        longWindow: FastCheck.integer({ min: 1, max: 1000 }),
        timeoutMillis: FastCheck.integer({ min: 1, max: 3000 })
      }),
      FastCheck.array(sampleArbitrary, { maxLength: 300 })
    ],
    ([minLimit, span, at, options, samples]) => {
      const maxLimit = minLimit + span
      const bounds = { minLimit, maxLimit, initialLimit: minLimit + Math.floor(at * span) }
      const algorithms = [
        new Aimd(bounds, options.backoffRatio, options.timeoutMillis),
        new Gradient2(bounds, options)
      ]
      for (const algorithm of algorithms) {
        let now = 0
        for (const sample of samples) {
          now += sample.gap
          algorithm.sample(now, now + sample.duration, sample.inflight, sample.dropped)
          expect(Number.isInteger(algorithm.limit)).toBe(true)
          expect(algorithm.limit).toBeGreaterThanOrEqual(minLimit)
          expect(algorithm.limit).toBeLessThanOrEqual(maxLimit)
        }
      }
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.effect.prop(
    "under random calls the bulkhead never runs more than maxLimit, its limit stays in bounds, and every permit comes back",
    [
      FastCheck.constantFrom("aimd" as const, "gradient2" as const),
      FastCheck.integer({ min: 1, max: 4 }),
      FastCheck.integer({ min: 0, max: 6 }),
      FastCheck.array(
        FastCheck.record({
          at: FastCheck.integer({ min: 0, max: 50 }),
          duration: FastCheck.integer({ min: 0, max: 40 }),
          result: FastCheck.constantFrom("succeed" as const, "fail" as const, "die" as const),
          interruptAfter: FastCheck.option(FastCheck.integer({ min: 0, max: 60 }), { nil: null })
        }),
        { maxLength: 30 }
      )
    ],
    ([algorithm, minLimit, span, calls]) =>
      Effect.gen(function*() {
        const maxLimit = minLimit + span
        const bulkhead = yield* Bulkhead.adaptive({
          algorithm,
          initialLimit: minLimit,
          minLimit,
          maxLimit,
          maxQueue: Infinity,
          timeout: 20
        })
        let running = 0
        let peak = 0
        const call = (c: (typeof calls)[number]) =>
          Effect.sleep(c.at).pipe(
            Effect.zipRight(
              bulkhead.protect(
                Effect.acquireUseRelease(
                  Effect.sync(() => {
                    running++
                    peak = Math.max(peak, running)
                  }),
                  () =>
                    Effect.zipRight(
                      Effect.sleep(c.duration),
                      c.result === "succeed" ? Effect.void : c.result === "fail" ? Effect.fail("boom") : Effect.die("x")
                    ),
                  () => Effect.sync(() => running--)
                )
              )
            ),
            Effect.exit
          )
        const fibers = yield* Effect.forEach(calls, (c) => Effect.fork(call(c)))
        yield* Effect.forEach(calls, (c, i) =>
          c.interruptAfter === null
            ? Effect.void
            : Effect.fork(Effect.zipRight(Effect.sleep(c.interruptAfter), Fiber.interrupt(fibers[i]))))
        for (let t = 0; t < 200; t += 5) {
          yield* TestClock.adjust(5)
          const { active, limit } = yield* bulkhead.stats
          expect(limit).toBeGreaterThanOrEqual(minLimit)
          expect(limit).toBeLessThanOrEqual(maxLimit)
          expect(active).toBeLessThanOrEqual(maxLimit)
        }
        yield* Fiber.awaitAll(fibers)
        expect(peak).toBeLessThanOrEqual(maxLimit)
        expect(yield* bulkhead.stats).toMatchObject({ active: 0, queued: 0 })
      }).pipe(Effect.scoped),
    { fastCheck: { numRuns: 30 } }
  )
})

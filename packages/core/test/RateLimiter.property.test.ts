import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import { describe, expect, it } from "vitest"
import { ManualClock } from "./utils/clock.js"

// 1,000 cases each; each case runs on its own runtime, without the test services
const RUNS: FastCheck.Parameters<unknown> = { numRuns: 1_000, endOnFailure: true }

/**
 * The hand-moved clock, with sleepers woken by `advanceTo`. `TestClock.adjust` waits on real timers between sleepers to let
 * fibers settle, which is too slow for thousands of cases; here fibers settle by yielding.
 */
class SleepingClock extends ManualClock {
  sleepers: Array<{ readonly at: number; readonly wake: () => void }> = []
  override sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const sleeper = { at: this.now + Duration.toMillis(duration), wake: () => resume(Effect.void) }
      this.sleepers.push(sleeper)
      return Effect.sync(() => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper)
      })
    })
  }
  /** Wakes every sleeper due by `to`, in time order, letting fibers settle after each. */
  advanceTo(to: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      const due = this.sleepers.filter((s) => s.at <= to).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) {
        this.now = Math.max(this.now, to)
        return settle
      }
      this.sleepers = this.sleepers.filter((s) => s !== due)
      this.now = Math.max(this.now, due.at)
      due.wake()
      return Effect.zipRight(settle, this.advanceTo(to))
    })
  }
}

const settle = Effect.repeatN(Effect.yieldNow(), 40)

type Algorithm = RateLimiter.Algorithm

interface Setup {
  readonly algorithm: Algorithm
  readonly limit: number
  readonly interval: number
  readonly burst: number
}

const capacityOf = (s: Setup) => s.algorithm === "token-bucket" ? s.burst : s.limit

const setup = (algorithm: Algorithm): FastCheck.Arbitrary<Setup> =>
  FastCheck.record({
    algorithm: FastCheck.constant(algorithm),
    limit: FastCheck.integer({ min: 1, max: 6 }),
    interval: FastCheck.integer({ min: 10, max: 1_000 }),
    burst: algorithm === "token-bucket" ? FastCheck.integer({ min: 1, max: 8 }) : FastCheck.constant(0)
  }).map((s) => ({ ...s, burst: s.algorithm === "token-bucket" ? s.burst : s.limit }))

const anySetup = FastCheck.constantFrom<Algorithm>("token-bucket", "fixed-window", "sliding-window").chain(setup)

/** Arrival gaps (integers or fractions of a millisecond) and permits in [1, 8], clamped to capacity later. */
const arrivals = (maxLength: number) =>
  FastCheck.array(
    FastCheck.record({
      gap: FastCheck.oneof(
        FastCheck.integer({ min: 0, max: 1_500 }),
        FastCheck.double({ min: 0, max: 1_500, noNaN: true })
      ),
      permits: FastCheck.integer({ min: 1, max: 8 })
    }),
    { minLength: 1, maxLength }
  )

const makeLimiter = (s: Setup, extra: Partial<RateLimiter.RateLimiter.Options> = {}) =>
  RateLimiter.make({
    algorithm: s.algorithm,
    limit: s.limit,
    interval: Duration.millis(s.interval),
    ...(s.algorithm === "token-bucket" ? { burst: s.burst } : {}),
    ...extra
  })

type Admission = readonly [at: number, permits: number]

/** Time enough for `n` full-capacity requests to be admitted one after another. */
const enough = (s: Setup, n: number) => (n + 2) * s.interval * (capacityOf(s) / s.limit + 1)

/** The bound each algorithm promises, checked over every window the admissions span. */
const assertBound = (s: Setup, admissions: ReadonlyArray<Admission>) => {
  const sorted = [...admissions].sort((a, b) => a[0] - b[0])
  switch (s.algorithm) {
    case "token-bucket": {
      for (let i = 0; i < sorted.length; i++) {
        let sum = 0
        for (let j = i; j < sorted.length; j++) {
          sum += sorted[j][1]
          const bound = s.burst + s.limit * (sorted[j][0] - sorted[i][0]) / s.interval
          expect(sum).toBeLessThanOrEqual(bound + 1e-6)
        }
      }
      return
    }
    case "fixed-window": {
      const perWindow = new Map<number, number>()
      for (const [at, permits] of sorted) {
        const window = Math.floor(at / s.interval)
        perWindow.set(window, (perWindow.get(window) ?? 0) + permits)
      }
      for (const total of perWindow.values()) expect(total).toBeLessThanOrEqual(s.limit)
      return
    }
    case "sliding-window": {
      for (const [end] of sorted) {
        // as the contract says it: an admission at `at` counts until `at + interval`
        const inSpan = sorted.filter(([at]) => at <= end && at + s.interval > end)
        expect(inSpan.reduce((sum, [, permits]) => sum + permits, 0)).toBeLessThanOrEqual(s.limit)
      }
    }
  }
}

/**
 * Whether `permits` could be taken at `t` after `history` (admissions at or before `t`), by an
 * independent formulation of each algorithm; `slack` is in permits (positive: more lenient).
 * The token bucket's level is the min-plus formula: the bucket was last full at some admission
 * (or never emptied), so tokens(t) = min(burst, min over k of burst + rate·(t − t_k) − Σ_{j≥k} p_j).
 */
const allowedAt = (s: Setup, history: ReadonlyArray<Admission>, permits: number, t: number, slack: number) => {
  switch (s.algorithm) {
    case "token-bucket": {
      let tokens = s.burst
      let after = 0
      for (let k = history.length - 1; k >= 0; k--) {
        after += history[k][1]
        tokens = Math.min(tokens, s.burst + s.limit * (t - history[k][0]) / s.interval - after)
      }
      return tokens + slack >= permits
    }
    case "fixed-window": {
      const window = Math.floor(t / s.interval)
      const used = history.filter(([at]) => Math.floor(at / s.interval) === window).reduce((n, [, p]) => n + p, 0)
      return used + permits <= s.limit + slack
    }
    case "sliding-window": {
      const used = history.filter(([at]) => at + s.interval > t).reduce((n, [, p]) => n + p, 0)
      return used + permits <= s.limit + slack
    }
  }
}

/**
 * Each waiter was admitted as soon as its permits existed: allowed at its admission time, and
 * not a microsecond earlier (when it could have been admitted earlier at all).
 */
const assertEarliest = (
  s: Setup,
  admissions: ReadonlyArray<{ readonly at: number; readonly permits: number; readonly arrived: number }>
) => {
  const history: Array<Admission> = []
  let previous = -Infinity
  for (const { arrived, at, permits } of admissions) {
    expect(allowedAt(s, history, permits, at, 1e-6)).toBe(true)
    const earlier = at - 1e-3
    if (earlier > Math.max(arrived, previous)) {
      const slack = s.algorithm === "token-bucket" ? -0.5e-3 * s.limit / s.interval : 0
      expect(allowedAt(s, history.filter(([t]) => t <= earlier), permits, earlier, slack)).toBe(false)
    }
    history.push([at, permits])
    previous = at
  }
}

/** A store that offers only the effectful contract: the path a Redis store takes. */
const effectfulOnly = (store: RateLimiter.RateLimiterStore): RateLimiter.RateLimiterStore => ({
  open: (spec) => Effect.map(store.open(spec), (h) => ({ take: h.take, snapshot: h.snapshot, delete: h.delete }))
})

// Every backend runs the same properties; the Redis package adds its store here.
const stores: ReadonlyArray<readonly [string, () => RateLimiter.RateLimiterStore]> = [
  ["memory", RateLimiter.memoryStore],
  ["memory, effectful face only", () => effectfulOnly(RateLimiter.memoryStore())]
]

describe.each(stores)("RateLimiter properties (%s store)", (_, makeStore) => {
  const make = (s: Setup, extra: Partial<RateLimiter.RateLimiter.Options> = {}) =>
    makeLimiter(s, { ...extra, store: makeStore() })

  for (const algorithm of ["token-bucket", "fixed-window", "sliding-window"] as const) {
    it(`${algorithm}: tryAcquire never admits more than the bound, over random arrivals and permits`, () =>
      FastCheck.assert(
        FastCheck.property(setup(algorithm), arrivals(60), (s, calls) => {
          const clock = new SleepingClock()
          const admissions: Array<Admission> = []
          Effect.gen(function*() {
            const limiter = yield* make(s, { onExceeded: "fail" })
            for (const { gap, permits } of calls) {
              clock.now += gap
              const p = Math.min(permits, capacityOf(s))
              if (yield* limiter.tryAcquire(p)) admissions.push([clock.now, p])
            }
          }).pipe(Effect.scoped, Effect.withClock(clock), Effect.runSync)
          assertBound(s, admissions)
          // the first call always finds a fresh limiter
          expect(admissions.length).toBeGreaterThan(0)
        }),
        RUNS
      ))
  }

  it("waiting: FIFO, each admitted as soon as its permits exist, within the bound and within maxWait", () =>
    FastCheck.assert(
      FastCheck.asyncProperty(
        anySetup,
        arrivals(10),
        FastCheck.option(FastCheck.integer({ min: 0, max: 3_000 }), { nil: undefined }),
        async (s, calls, maxWait) => {
          const clock = new SleepingClock()
          const admitted: Array<{ readonly index: number; readonly at: number; readonly permits: number }> = []
          const rejected: Array<{ readonly index: number; readonly error: RateLimiter.RateLimited }> = []
          const arrivedAt: Array<number> = []
          await Effect.gen(function*() {
            const limiter = yield* make(s, maxWait === undefined ? {} : { maxWait: Duration.millis(maxWait) })
            let t = 0
            const fibers: Array<Fiber.RuntimeFiber<void>> = []
            for (const [index, { gap, permits }] of calls.entries()) {
              t += gap
              yield* clock.advanceTo(t)
              arrivedAt.push(clock.now)
              const p = Math.min(permits, capacityOf(s))
              const call = limiter.acquire(p).pipe(
                Effect.matchEffect({
                  onFailure: (error) => Effect.sync(() => rejected.push({ index, error })),
                  onSuccess: () => Effect.sync(() => admitted.push({ index, at: clock.now, permits: p }))
                }),
                Effect.asVoid
              )
              fibers.push(yield* Effect.fork(call))
              yield* settle
            }
            yield* clock.advanceTo(t + enough(s, calls.length))
            for (const fiber of fibers) yield* Fiber.join(fiber)
          }).pipe(Effect.scoped, Effect.withClock(clock), Effect.runPromise)
          expect(admitted.length + rejected.length).toBe(calls.length)
          if (maxWait === undefined) expect(rejected).toEqual([])
          for (const { error, index } of rejected) {
            expect(Duration.toMillis(error.retryAfter)).toBeGreaterThan(maxWait!)
            expect(error.limit).toBe(s.limit)
            expect(arrivedAt[index]).toBeDefined()
          }
          const order = admitted.map((a) => a.index)
          expect([...order].sort((a, b) => a - b)).toEqual(order)
          for (const a of admitted) {
            expect(a.at).toBeGreaterThanOrEqual(arrivedAt[a.index])
            // a sleep is rounded up to whole nanoseconds (1e-6 ms), and the clock's float arithmetic
            // adds a few ulps on top (seed -46190345 found 9.000001000000111 for maxWait 9)
            if (maxWait !== undefined) expect(a.at - arrivedAt[a.index]).toBeLessThanOrEqual(maxWait + 1e-6 + 1e-9)
          }
          assertBound(s, admitted.map((a) => [a.at, a.permits] as const))
          assertEarliest(s, admitted.map((a) => ({ ...a, arrived: arrivedAt[a.index] })))
        }
      ),
      RUNS
    ))

  it("after any interleaving of interruptions, available returns to capacity and FIFO holds", () =>
    FastCheck.assert(
      FastCheck.asyncProperty(
        anySetup,
        FastCheck.array(
          FastCheck.record({
            gap: FastCheck.integer({ min: 0, max: 800 }),
            permits: FastCheck.integer({ min: 1, max: 8 }),
            interruptAfter: FastCheck.option(FastCheck.integer({ min: 0, max: 3_000 }), { nil: undefined })
          }),
          { minLength: 1, maxLength: 10 }
        ),
        FastCheck.option(FastCheck.integer({ min: 0, max: 2_000 }), { nil: undefined }),
        async (s, calls, maxWait) => {
          const clock = new SleepingClock()
          const admitted: Array<number> = []
          const interrupted = new Set<number>()
          await Effect.gen(function*() {
            const limiter = yield* make(s, maxWait === undefined ? {} : { maxWait: Duration.millis(maxWait) })
            const fibers: Array<Fiber.RuntimeFiber<void, RateLimiter.RateLimited>> = []
            // arrivals and interruptions in time order; an interruption lands between milliseconds
            const steps: Array<{ readonly at: number; readonly run: () => Effect.Effect<void> }> = []
            let t = 0
            for (const [index, { gap, interruptAfter, permits }] of calls.entries()) {
              t += gap
              const p = Math.min(permits, capacityOf(s))
              const admit = Effect.sync(() => {
                admitted.push(index)
              })
              steps.push({
                at: t,
                run: () =>
                  Effect.map(Effect.fork(Effect.zipRight(limiter.acquire(p), admit)), (fiber) => {
                    fibers[index] = fiber
                  })
              })
              if (interruptAfter !== undefined) {
                steps.push({
                  at: t + interruptAfter + 0.5,
                  run: () =>
                    Effect.map(Fiber.interrupt(fibers[index]), (exit) => {
                      if (Exit.isInterrupted(exit)) interrupted.add(index)
                    })
                })
              }
            }
            steps.sort((a, b) => a.at - b.at)
            for (const step of steps) {
              yield* clock.advanceTo(step.at)
              yield* step.run()
              yield* settle
            }
            yield* clock.advanceTo(t + 3_000 + enough(s, calls.length))
            for (const fiber of fibers) yield* Fiber.await(fiber)
            // every admission has expired: all permits are back, none held by an interrupted waiter
            yield* clock.advanceTo(clock.now + enough(s, 1))
            expect(yield* limiter.available).toBe(capacityOf(s))
          }).pipe(Effect.scoped, Effect.withClock(clock), Effect.runPromise)
          expect([...admitted].sort((a, b) => a - b)).toEqual(admitted)
          for (const index of interrupted) expect(admitted).not.toContain(index)
        }
      ),
      RUNS
    ))
})

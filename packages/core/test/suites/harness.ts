/**
 * How a rate limiter suite drives a store. The suites in this directory are written once and run
 * against every store: the memory store here, shared stores (Redis) from their own packages.
 *
 * With the memory store every decision is made in the step that asks for it, so one yield lets
 * forked callers reach their wait and `TestClock.adjust` moves time. A store doing I/O answers
 * later, in real time: the harness counts its calls in flight, lets them finish before the test
 * looks, and moves the TestClock from one scheduled sleep to the next, so that each waiter woken
 * at an instant finishes its round trip to the store at that instant, as it would in memory.
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"

export interface StoreHarness {
  /** "memory" for the memory store (whatever face it shows), "io" for a store answering over I/O */
  readonly kind: "memory" | "io"
  readonly makeStore: () => RateLimiter.RateLimiterStore
  /** lets forked fibers reach the point where they wait on the limiter */
  readonly settle: Effect.Effect<void>
  /**
   * Moves the TestClock by `duration`: `TestClock.adjust` for the memory store; for an I/O store,
   * from one scheduled sleep to the next, settling between steps.
   */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<void>
  /**
   * Whether the store forgets a key a keyed limiter evicts (`Handle.delete`). A shared store may
   * keep it until it expires, since other processes may be using it.
   */
  readonly forgetsEvictedKeys: boolean
  /** A factor (at most 1) for the sizes of load tests, which over I/O take real time per call. */
  readonly scale: number
}

/** A store that offers only the effectful contract: the path a Redis store takes. */
export const effectfulOnly = (store: RateLimiter.RateLimiterStore): RateLimiter.RateLimiterStore => ({
  open: (spec) => Effect.map(store.open(spec), (h) => ({ take: h.take, snapshot: h.snapshot, delete: h.delete }))
})

/** The memory store, or a store made by `makeStore` that decides in the step that asks. */
export const memoryHarness = (
  makeStore: () => RateLimiter.RateLimiterStore = RateLimiter.memoryStore
): StoreHarness => ({
  kind: "memory",
  makeStore,
  settle: Effect.yieldNow(),
  advance: TestClock.adjust,
  forgetsEvictedKeys: true,
  scale: 1
})

/** The memory store, and the memory store behind its effectful face only. */
export const memoryHarnesses: ReadonlyArray<readonly [string, StoreHarness]> = [
  ["memory", memoryHarness()],
  ["memory, effectful face only", memoryHarness(() => effectfulOnly(RateLimiter.memoryStore()))]
]

export interface IoHarnessOptions {
  /** default false: a shared store lets evicted keys expire */
  readonly forgetsEvictedKeys?: boolean | undefined
  /** default 1 */
  readonly scale?: number | undefined
  /** how many rounds `settle` may take before it gives up with a defect; default 1,000,000 */
  readonly maxRounds?: number | undefined
}

/** One real macrotask: lets I/O callbacks run. */
const macrotask = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * A harness for a store answering over I/O. `makeStore` is called once per limiter the suite
 * makes; the calls of every store it makes are counted together.
 */
export const ioHarness = (
  makeStore: () => RateLimiter.RateLimiterStore,
  options: IoHarnessOptions = {}
): StoreHarness => {
  const maxRounds = options.maxRounds ?? 1_000_000
  let inFlight = 0
  const counted = <A>(effect: Effect.Effect<A>): Effect.Effect<A> =>
    Effect.suspend(() => {
      inFlight++
      return Effect.ensuring(
        effect,
        Effect.sync(() => {
          inFlight--
        })
      )
    })
  const wrap = (store: RateLimiter.RateLimiterStore): RateLimiter.RateLimiterStore => ({
    open: (spec) =>
      Effect.map(store.open(spec), (handle) => ({
        take: (key, permits, now) => counted(handle.take(key, permits, now)),
        snapshot: (key, now) => counted(handle.snapshot(key, now)),
        delete: handle.delete
      }))
  })

  // yield, and stop once nothing has been in flight at two checks in a row; wait for I/O otherwise
  const settle: Effect.Effect<void> = Effect.suspend(() => {
    let quiet = 0
    let rounds = 0
    const loop: Effect.Effect<void> = Effect.flatMap(Effect.yieldNow(), () => {
      if (inFlight === 0) {
        if (++quiet >= 2) return Effect.void
        return loop
      }
      quiet = 0
      if (++rounds > maxRounds) {
        return Effect.dieMessage(`${inFlight} store calls still in flight after ${maxRounds} rounds`)
      }
      return Effect.zipRight(macrotask, loop)
    })
    return loop
  })

  const advance = (duration: Duration.DurationInput): Effect.Effect<void> =>
    Effect.flatMap(TestClock.currentTimeMillis, (start) => {
      const target = start + Duration.toMillis(Duration.decode(duration))
      const step: Effect.Effect<void> = Effect.zipRight(
        settle,
        Effect.flatMap(Effect.zip(TestClock.currentTimeMillis, TestClock.sleeps()), ([now, sleeps]) => {
          let next = Infinity
          for (const at of Chunk.toReadonlyArray(sleeps)) if (at > now && at <= target && at < next) next = at
          if (next === Infinity) return Effect.zipRight(TestClock.setTime(target), settle)
          return Effect.zipRight(TestClock.setTime(next), step)
        })
      )
      return step
    })

  return {
    kind: "io",
    makeStore: () => wrap(makeStore()),
    settle,
    advance,
    forgetsEvictedKeys: options.forgetsEvictedKeys ?? false,
    scale: options.scale ?? 1
  }
}

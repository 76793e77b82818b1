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
import type * as Duration from "effect/Duration"
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

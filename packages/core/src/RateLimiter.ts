/**
 * Rate limiters: at most `limit` permits per `interval`, by one of three algorithms, waiting in
 * FIFO order or failing at once with `RateLimited`; one limiter, or one per key (tenant, IP,
 * host) with bounded memory. State lives behind a `RateLimiterStore` (in memory by default),
 * whose every decision is one atomic operation on the Clock's `now`.
 *
 * Unlike `effect/RateLimiter`, these limiters can try without waiting (`tryAcquire`), fail
 * instead of waiting, report `retryAfter`, and be keyed.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as errors from "./internal/errors.js"
import * as keyedInternal from "./internal/rateLimiter/keyed.js"
import * as internal from "./internal/rateLimiter/limiter.js"
import * as memoryStoreInternal from "./internal/rateLimiter/memoryStore.js"
import type { Policy } from "./Policy.js"

/**
 * The limit was reached. `retryAfter` is the time until the same request could succeed (the
 * next window for the fixed window; with `maxWait`, the wait it would have had), `limit` the
 * configured limit, `remaining` the whole permits available now, and `key` the key of a keyed
 * limiter.
 *
 * @since 0.1.0
 * @category errors
 */
export const RateLimited: typeof errors.RateLimited = errors.RateLimited

/**
 * @since 0.1.0
 * @category errors
 */
export type RateLimited = errors.RateLimited

/**
 * - `"token-bucket"`: starts full with `burst` tokens (default `limit`) and refills continuously
 *   at `limit` per `interval`; fractions accumulate, and it never holds more than `burst`. Over
 *   any span of length `t` it admits at most `burst + limit · t / interval`.
 * - `"fixed-window"`: at most `limit` per window; windows are aligned to multiples of
 *   `interval` on the Clock (`[k·interval, (k+1)·interval)`).
 * - `"sliding-window"`: at most `limit` in any `interval`-long span: an admission at `t` stops
 *   counting at `t + interval`. Exact (not the two-window approximation); keeps at most `limit`
 *   admission times per key.
 *
 * @since 0.1.0
 * @category models
 */
export type Algorithm = "token-bucket" | "fixed-window" | "sliding-window"

/**
 * What a call that finds no permits does: `"wait"` in FIFO order, or `"fail"` at once with
 * `RateLimited`.
 *
 * @since 0.1.0
 * @category models
 */
export type OnExceeded = "wait" | "fail"

/**
 * The answer of `decide`: what an HTTP server needs for a 429 and the `RateLimit` fields.
 *
 * - `allowed`: whether the permits were taken.
 * - `remaining`: whole permits available after the decision.
 * - `retryAfter`: when refused, the time until the same request could be admitted (behind
 *   anyone already waiting, if nobody else takes permits meanwhile); zero when allowed.
 * - `resetAfter`: the time until the limiter (the key) is back at its fresh state without
 *   further takes; zero when it is.
 *
 * @since 0.1.0
 * @category models
 */
export interface Decision {
  readonly allowed: boolean
  readonly remaining: number
  readonly retryAfter: Duration.Duration
  readonly resetAfter: Duration.Duration
}

/**
 * A rate limiter. Permits are taken when a call starts; finished calls give nothing back.
 *
 * - `acquire(permits = 1)` takes permits: at once when they exist and nobody waits; otherwise it
 *   waits its turn (FIFO: a large request is not overtaken by later small ones, and is admitted
 *   as soon as its permits exist) or fails with `RateLimited`, as `onExceeded` and `maxWait`
 *   say. An interrupted waiter takes nothing and does not hold up those behind it.
 * - `tryAcquire(permits = 1)` takes permits if they exist now and nobody waits; it never waits
 *   and never overtakes waiters.
 * - `decide(permits = 1)` is `tryAcquire` reporting the whole `Decision` (remaining permits,
 *   `retryAfter`, `resetAfter`), for HTTP rate-limit headers.
 * - `protect(self)` is `acquire()` then `self`.
 * - `available` is the whole permits available now.
 *
 * A `permits` that can never be satisfied (not a positive integer, or above the capacity:
 * `burst` for the token bucket, `limit` for windows) dies with `ResilienceConfigError` at once.
 *
 * @since 0.1.0
 * @category models
 */
export interface RateLimiter {
  readonly name: string
  readonly algorithm: Algorithm
  readonly limit: number
  readonly interval: Duration.Duration
  /** The most permits one call can take: `burst` for the token bucket, `limit` for windows. */
  readonly capacity: number
  readonly onExceeded: OnExceeded
  readonly protect: Policy<RateLimited>
  readonly acquire: (permits?: number) => Effect.Effect<void, RateLimited>
  readonly tryAcquire: (permits?: number) => Effect.Effect<boolean>
  readonly decide: (permits?: number) => Effect.Effect<Decision>
  readonly available: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace RateLimiter {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** The name in errors, events and metrics. Default: a generated `"rate-limiter-N"`. */
    readonly name?: string | undefined
    /** Default `"token-bucket"`. */
    readonly algorithm?: Algorithm | undefined
    /** Permits per `interval`: a positive integer. */
    readonly limit: number
    /** A positive duration. */
    readonly interval: Duration.DurationInput
    /** Token bucket only: the most tokens the bucket holds, a positive integer. Default: `limit`. */
    readonly burst?: number | undefined
    /** Default `"wait"`. */
    readonly onExceeded?: OnExceeded | undefined
    /**
     * With `"wait"`: a call whose wait (behind the queue) would exceed this fails at once with
     * `RateLimited`. Default: wait as long as needed.
     */
    readonly maxWait?: Duration.DurationInput | undefined
    /** Where the state lives. Default: a fresh `memoryStore()`. */
    readonly store?: RateLimiterStore | undefined
  }
}

/**
 * One limiter per key, created on demand, each with the options' limit. Memory is bounded:
 * beyond `maxKeys`, a key is evicted, first one back at its fresh state (nothing is lost), else
 * the least recently used, and never one with waiters (so flooding distinct keys cannot reset a
 * busy tenant's limit). Keys unused for `idleTimeout` are dropped. The key map exceeds
 * `maxKeys` only while more than `maxKeys` keys have waiters.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyedRateLimiter {
  readonly name: string
  readonly algorithm: Algorithm
  /** Each key's limit. */
  readonly limit: number
  readonly interval: Duration.Duration
  /** The most permits one call can take. */
  readonly capacity: number
  readonly onExceeded: OnExceeded
  readonly protect: (key: string) => Policy<RateLimited>
  readonly acquire: (key: string, permits?: number) => Effect.Effect<void, RateLimited>
  readonly tryAcquire: (key: string, permits?: number) => Effect.Effect<boolean>
  /** `tryAcquire` for `key`, reporting the whole `Decision` (see `RateLimiter.decide`). */
  readonly decide: (key: string, permits?: number) => Effect.Effect<Decision>
  /** Whole permits available now for `key` (a key not held is fresh). */
  readonly available: (key: string) => Effect.Effect<number>
  /** How many keys are held. */
  readonly size: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace KeyedRateLimiter {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options extends RateLimiter.Options {
    /** The most keys held, a positive integer. Default: 10,000. */
    readonly maxKeys?: number | undefined
    /** Keys unused this long are dropped (positive). Default: never. */
    readonly idleTimeout?: Duration.DurationInput | undefined
  }
}

/**
 * Where limiter state lives. `open` gives the state of one limiter (its name and parameters);
 * each of the handle's operations is one atomic decision taking the Clock's `now` (in
 * milliseconds), so that a shared store runs each as one script (a Redis `EVALSHA`, with
 * `KEYS[1] = prefix:name:key` and the spec and arguments in `ARGV`) and tests run on
 * `TestClock`. Stores never read a clock of their own, with one exception: a store shared by
 * processes may decide on its server's clock (one clock for all of them, as
 * `@effect-resilience/redis` does by default). Such a store reports instants (a snapshot's
 * `at`, `windowStart` and admission times) shifted into the caller's frame, by the caller's
 * `now` minus the server's time measured in the same call, so the limiter never mixes clocks;
 * a fixed window's `windowStart` then need not be a multiple of the interval on the caller's
 * Clock, and the planner takes it as given. Durations (`retryAfterMillis`,
 * `resetAfterMillis`) are durations on either clock.
 *
 * Waiting is local: the limiter queues its waiters in FIFO order and only the head of the
 * queue calls `take`, so a shared store needs no queue. With a store shared by several
 * processes, the others take permits too, so a waiter may wait longer than planned; it fails
 * with `RateLimited` rather than exceed `maxWait`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RateLimiterStore {
  readonly open: (spec: RateLimiterStore.Spec) => Effect.Effect<RateLimiterStore.Handle, never, Scope.Scope>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace RateLimiterStore {
  /**
   * A limiter's parameters; the algorithms are described at `Algorithm`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Spec {
    readonly name: string
    /**
     * Whether `name` was generated (`"rate-limiter-N"`) for an unnamed limiter: a shared store
     * must refuse it, since other processes cannot know it.
     */
    readonly generatedName: boolean
    readonly algorithm: Algorithm
    readonly limit: number
    readonly intervalMillis: number
    /** The token bucket's capacity; equal to `limit` for the windows. */
    readonly burst: number
  }

  /**
   * The answer to `take`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Decision {
    /** Whether the permits were taken. */
    readonly allowed: boolean
    /** Whole permits available after the decision. */
    readonly remaining: number
    /** When not allowed: millis until the same request could be, if nobody else took any (> 0). */
    readonly retryAfterMillis: number
    /**
     * Millis until the key is back at its fresh state without further takes (0 when it is):
     * when a keyed limiter may forget it, when a shared store may expire it (`PEXPIRE`), and
     * the `RateLimit-Reset` header.
     */
    readonly resetAfterMillis: number
  }

  /**
   * A key's state, as the limiter's planner replays it to tell a newcomer how long it would wait
   * behind the queue (only for `maxWait`). A missing key is reported fresh.
   *
   * @since 0.1.0
   * @category models
   */
  export type Snapshot =
    | { readonly algorithm: "token-bucket"; readonly tokens: number; readonly at: number }
    | { readonly algorithm: "fixed-window"; readonly windowStart: number; readonly count: number }
    | {
      readonly algorithm: "sliding-window"
      /** admission times and permits, oldest first, of the admissions still counting */
      readonly admissions: ReadonlyArray<readonly [at: number, permits: number]>
    }

  /**
   * One limiter's state, by key (an unkeyed limiter uses the key `""`).
   *
   * @since 0.1.0
   * @category models
   */
  export interface Handle {
    /**
     * One atomic decision: if `permits` exist for `key` at `now`, take them; otherwise change
     * nothing and say when they would. `permits = 0` is a read: it changes nothing and must not
     * create state for an unknown key.
     */
    readonly take: (key: string, permits: number, now: number) => Effect.Effect<Decision>
    /** One atomic read of `key`'s state at `now`. */
    readonly snapshot: (key: string, now: number) => Effect.Effect<Snapshot>
    /** Forgets `key` (a keyed limiter evicted it). A shared store may ignore this and let keys expire. */
    readonly delete: (key: string) => Effect.Effect<void>
  }
}

/**
 * The in-memory store: the default. Each limiter opened on it gets its own state, which lives
 * as long as the limiter; decisions are made synchronously, without effect overhead.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RateLimiter } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* RateLimiter.make({
 *     limit: 10,
 *     interval: "1 second",
 *     store: RateLimiter.memoryStore()
 *   })
 *   return yield* limiter.tryAcquire()
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const memoryStore: () => RateLimiterStore = memoryStoreInternal.make

/**
 * Makes a limiter that lives as long as its Scope. Options are validated when `make` is called:
 * a bad option throws `ResilienceConfigError` at once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RateLimiter } from "@effect-resilience/core"
 *
 * const callApi = Effect.succeed("response")
 *
 * const program = Effect.gen(function*() {
 *   // 10 calls per second, bursts of up to 20; wait at most 500 millis for a permit
 *   const limiter = yield* RateLimiter.make({ limit: 10, interval: "1 second", burst: 20, maxWait: "500 millis" })
 *   const response = yield* callApi.pipe(limiter.protect)
 *   const admitted = yield* limiter.tryAcquire(2)
 *   return { response, admitted }
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: RateLimiter.Options) => Effect.Effect<RateLimiter, never, Scope.Scope> = internal.make

/**
 * A layer providing a limiter under `tag`. Options are validated when `layer` is called.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { RateLimiter } from "@effect-resilience/core"
 *
 * class SearchLimiter extends Context.Tag("SearchLimiter")<SearchLimiter, RateLimiter.RateLimiter>() {}
 *
 * const SearchLimiterLive = RateLimiter.layer(SearchLimiter, {
 *   algorithm: "sliding-window",
 *   limit: 100,
 *   interval: "1 minute",
 *   onExceeded: "fail"
 * })
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* SearchLimiter
 *   return yield* Effect.succeed("results").pipe(RateLimiter.protect(limiter))
 * }).pipe(Effect.provide(SearchLimiterLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I>(tag: Context.Tag<I, RateLimiter>, options: RateLimiter.Options) => Layer.Layer<I> =
  internal.layer

/**
 * Runs `self` once `limiter` has admitted it: `limiter.protect`, as a dual function.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RateLimiter } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* RateLimiter.make({ limit: 5, interval: "1 second", onExceeded: "fail" })
 *   const a = yield* Effect.succeed(1).pipe(RateLimiter.protect(limiter))
 *   const b = yield* RateLimiter.protect(Effect.succeed(2), limiter)
 *   return a + b
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const protect: {
  (limiter: RateLimiter): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RateLimited, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, limiter: RateLimiter): Effect.Effect<A, E | RateLimited, R>
} = internal.protect

/**
 * Makes a keyed limiter: one limiter per key, created on first use, with bounded memory (see
 * `KeyedRateLimiter`). Errors carry the key in `RateLimited.key`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RateLimiter } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const perTenant = yield* RateLimiter.keyed({
 *     limit: 100,
 *     interval: "1 minute",
 *     onExceeded: "fail",
 *     maxKeys: 50_000,
 *     idleTimeout: "10 minutes"
 *   })
 *   return yield* Effect.succeed("ok").pipe(perTenant.protect("tenant-42"))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const keyed: (options: KeyedRateLimiter.Options) => Effect.Effect<KeyedRateLimiter, never, Scope.Scope> =
  keyedInternal.keyed

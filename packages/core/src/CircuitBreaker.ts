/**
 * A circuit breaker stops calling a dependency that keeps failing, and lets a few probes
 * through once a break has passed to find out whether it has recovered.
 *
 * - **Closed**: calls run; a `TripPolicy` (`consecutive(n)` or `failureRate(...)`) counts their
 *   outcomes and decides when to open.
 * - **Open**: calls are rejected at once with `CircuitBreakerOpen` (never run) until
 *   `openedAt + breakDuration`.
 * - **HalfOpen**: at most `halfOpenMaxCalls` probes run at a time; the breaker closes once that
 *   many have succeeded and re-opens on the first failed probe.
 * - **Isolated**: held open by `isolate` until `reset`.
 *
 * Open → HalfOpen is decided from the Clock whenever the breaker is observed (a call or a
 * `state` read), never by a timer. State lives behind a `Store` whose every operation is one
 * atomic decision taking the Clock's `now`; the default keeps it in memory.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import * as internal from "./internal/circuitBreaker/breaker.js"
import * as keyedInternal from "./internal/circuitBreaker/keyed.js"
import * as memory from "./internal/circuitBreaker/memoryStore.js"
import * as trips from "./internal/circuitBreaker/tripPolicy.js"
import * as errors from "./internal/errors.js"
import type { Policy } from "./Policy.js"

// -------------------------------------------------------------------------------------------
// errors
// -------------------------------------------------------------------------------------------

/**
 * The breaker refused the call without running it. `state` is why: `"Open"` (with
 * `retryAfter`, the time left in the break), `"HalfOpen"` (every probe slot is taken) or
 * `"Isolated"` (held open until `reset`; `retryAfter` is zero).
 *
 * @since 0.1.0
 * @category errors
 */
export const CircuitBreakerOpen: typeof errors.CircuitBreakerOpen = errors.CircuitBreakerOpen

/**
 * @since 0.1.0
 * @category errors
 */
export type CircuitBreakerOpen = errors.CircuitBreakerOpen

// -------------------------------------------------------------------------------------------
// models
// -------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export type State = "Closed" | "Open" | "HalfOpen" | "Isolated"

/**
 * A change of state. `at` is the Clock time in milliseconds at which it happened: for
 * Open → HalfOpen, the moment the break ended (`openedAt + breakDuration`), even when it was
 * first observed later.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transition {
  readonly name: string
  readonly from: State
  readonly to: State
  readonly at: number
}

/**
 * A circuit breaker. Every member reads the Clock when it runs; none starts a fiber or a timer.
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreaker {
  /** The name in errors (`policyName`), transitions, events and metrics. */
  readonly name: string
  /**
   * Runs `self` when the breaker admits it, records its outcome, and otherwise fails at once
   * with `CircuitBreakerOpen` without running it. Interruption is never recorded.
   */
  readonly protect: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitBreakerOpen, R>
  /** The state now, on the Clock: `"HalfOpen"` once the break has passed, even with no traffic. */
  readonly state: Effect.Effect<State>
  /**
   * A hot stream: every transition after subscription, once. The subscription is made when
   * the stream starts running (in a forked fiber, a few yields after the fork).
   */
  readonly changes: Stream.Stream<Transition>
  /** Opens now for the next break duration (restarting the break if already open). No effect while Isolated. */
  readonly trip: Effect.Effect<void>
  /** Holds the breaker open, rejecting every call with state `"Isolated"`, until `reset`. */
  readonly isolate: Effect.Effect<void>
  /** Closes and clears the counts. While Closed it only clears the counts and publishes nothing. */
  readonly reset: Effect.Effect<void>
  /** The state to save, restored by the `initialState` option (JSON-serialisable). */
  readonly snapshot: Effect.Effect<Snapshot>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace CircuitBreaker {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** The name in errors, events and metrics. Default: a generated `"circuit-breaker-N"`. */
    readonly name?: string | undefined
    /** When to open. Default: `consecutive(5)`. */
    readonly trip?: TripPolicy | undefined
    /**
     * How long the breaker stays open: a positive duration, or a `Schedule` whose successive
     * delays apply while the breaker keeps re-opening (restarted when it closes; its last delay
     * repeats once it ends; one that ends before its first delay gives 30 seconds).
     * Default: 30 seconds.
     */
    readonly breakDuration?: Duration.DurationInput | Schedule.Schedule<unknown, unknown> | undefined
    /** Probes allowed in flight in HalfOpen, and successes needed to close (≥ 1). Default: 1. */
    readonly halfOpenMaxCalls?: number | undefined
    /**
     * Which failures count. A failure it rejects is ignored: neither success nor failure (a
     * probe ending with one frees its slot with no verdict). Defects always count as failures.
     * Default: every failure counts. A predicate that throws counts the call as failed.
     */
    readonly isFailure?: ((error: unknown) => boolean) | undefined
    /** Calls slower than `duration` count towards a slow-call rate. Only with `failureRate`. */
    readonly slowCall?: SlowCall | undefined
    /** Where the state lives. Default: `memoryStore()`. */
    readonly store?: Store.Factory | undefined
    /**
     * A `snapshot` to start from, validated when `make` is called. A restored Open breaker
     * keeps its break; a `breakDuration` schedule starts afresh.
     */
    readonly initialState?: Snapshot | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface SlowCall {
    /** A call taking longer than this (on the Clock) is slow. Positive. */
    readonly duration: Duration.DurationInput
    /** The breaker opens when slow calls / recorded calls reach this, in (0, 1]. */
    readonly rate: number
  }
}

/**
 * The exported state of a breaker: what `snapshot` returns and `initialState` accepts.
 * `openedAt` and `breakMillis` describe the latest break (Clock milliseconds); `counts` is the
 * trip policy's own JSON and must come from the same kind of policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface Snapshot {
  readonly state: State
  readonly openedAt: number
  readonly breakMillis: number
  /** Probes that have succeeded in the current HalfOpen period. */
  readonly halfOpenSuccesses: number
  readonly counts: unknown
}

// -------------------------------------------------------------------------------------------
// trip policies
// -------------------------------------------------------------------------------------------

/**
 * Decides when a Closed breaker opens. A policy is a descriptor: `_tag` and its parameters
 * tell a remote store which script to run, and `make` gives the in-memory `Counter` of one
 * breaker. The breaker's state machine only calls the counter, so a new policy touches
 * nothing else.
 *
 * @since 0.1.0
 * @category models
 */
export interface TripPolicy {
  readonly _tag: string
  /** Fresh counts for one breaker. */
  readonly make: () => TripPolicy.Counter
  /** The same policy also counting slow calls against `rate`; absent when it cannot. */
  readonly withSlowCalls?: ((rate: number) => TripPolicy) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace TripPolicy {
  /**
   * The counts of one breaker, updated synchronously by the store.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Counter {
    /** Records one call that ended at `now`; returns true when the breaker should open. */
    record(failure: boolean, slow: boolean, now: number): boolean
    /** Forgets every outcome. */
    reset(): void
    /** The counts as JSON, for `snapshot`. */
    toJSON(): unknown
    /** Replaces the counts with `toJSON` output; false when `json` does not fit this policy. */
    restore(json: unknown): boolean
  }
}

/**
 * `consecutive(n)`: opens after `failures` failures in a row.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConsecutivePolicy extends TripPolicy {
  readonly _tag: "Consecutive"
  readonly failures: number
}

/**
 * `failureRate(...)` with its validated parameters.
 *
 * @since 0.1.0
 * @category models
 */
export interface FailureRatePolicy extends TripPolicy {
  readonly _tag: "FailureRate"
  readonly threshold: number
  readonly minimumCalls: number
  readonly window: { readonly calls: number } | { readonly duration: Duration.Duration; readonly buckets: number }
  /** Set by the breaker's `slowCall` option. */
  readonly slowCallRate: number | undefined
  readonly withSlowCalls: (rate: number) => FailureRatePolicy
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FailureRateOptions {
  /** The failure rate at which the breaker opens, in (0, 1]: it opens at **or above** it. */
  readonly threshold: number
  /** No decision before this many calls are in the window (≥ 1, and ≤ `window.calls`). */
  readonly minimumCalls: number
  /**
   * `{ calls }`: the last `calls` calls (at most 100,000). `{ duration, buckets }`: the calls
   * of the last `duration`, counted in `buckets` buckets (default 10, at most 1,000) of
   * `duration / buckets`, so a call counts until its bucket leaves the window. Windows are
   * allocated when the breaker is made, hence the bounds.
   */
  readonly window:
    | { readonly calls: number }
    | { readonly duration: Duration.DurationInput; readonly buckets?: number | undefined }
}

/**
 * Opens after `failures` consecutive failures (a positive integer). A success resets the count;
 * ignored failures and interruptions leave it as it is.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@effect-resilience/core"
 *
 * const breaker = CircuitBreaker.make({ trip: CircuitBreaker.consecutive(3) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const consecutive: (failures: number) => ConsecutivePolicy = trips.consecutive

/**
 * Opens when the failure rate over the window is at least `threshold`, once `minimumCalls`
 * calls are in it; evaluated after every recorded call. With the breaker's `slowCall` option,
 * slow calls over the same window open it likewise against `slowCall.rate` (a slow failure
 * counts as both).
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@effect-resilience/core"
 *
 * // the last 20 calls, at least 10 of them, half failed
 * const byCount = CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 10, window: { calls: 20 } })
 * // the last minute, in 6 buckets of 10 seconds
 * const byTime = CircuitBreaker.failureRate({
 *   threshold: 0.5,
 *   minimumCalls: 10,
 *   window: { duration: "1 minute", buckets: 6 }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const failureRate: (options: FailureRateOptions) => FailureRatePolicy = trips.failureRate

// -------------------------------------------------------------------------------------------
// stores
// -------------------------------------------------------------------------------------------

/**
 * Where a breaker's state lives. Every operation is **one atomic decision** taking the Clock's
 * `now` (milliseconds), so a Redis store can implement each as one Lua script:
 *
 * 1. Each operation first *observes*: an Open breaker whose break has passed
 *    (`now ≥ openedAt + breakMillis`) becomes HalfOpen, stamped `openedAt + breakMillis`.
 * 2. Every transition (and a `trip` while Open, a `reset` while Closed) increments
 *    `generation`, clears the counts and drops the leases; an outcome recorded with an older
 *    generation is ignored, so calls admitted before a transition (or a reset) never count.
 * 3. In HalfOpen, `admit` hands out at most `halfOpenMaxCalls` probe *leases*; a lease frees
 *    its slot when its outcome is recorded (any outcome, including `"ignored"`), and a store
 *    may let leases expire so a crashed process cannot hold a slot forever (an expired lease's
 *    outcome is dropped).
 * 4. Operations that may open take `breakMillis`, the break to start if they do, and report
 *    `opened` when they did; the breaker then steps its `breakDuration` schedule.
 * 5. Every operation returns the transitions it caused, in order, for the breaker to publish.
 *
 * A remote store keeps, per breaker: `state`, `generation`, `openedAt`, `breakMillis`,
 * `halfOpenSuccesses`, the probe leases (e.g. a sorted set scored by expiry) and the counts of
 * the trip policy, chosen by its `_tag` and parameters (`ConsecutivePolicy`,
 * `FailureRatePolicy`). The in-memory store (`memoryStore`) is the reference implementation.
 * Methods are called as methods (`store.admit(now)`), never detached.
 *
 * A store shared by processes may decide on its server's clock instead of `now` (one clock for
 * all of them): it then reports instants (transitions' `at`, a snapshot's `openedAt`) shifted
 * into the caller's frame, by the caller's `now` minus the server's time measured in the same
 * call, and shifts instants going in (`initialState`) the other way; durations are durations.
 * A time window's buckets, numbered `floor(t / bucketMillis)` on the clock that counted them,
 * are renumbered the same way, each to the bucket holding its start: never a later one, so
 * counts may age by up to one bucket per crossing but never land in the future.
 * Transitions made by other processes are reported at the next operation here, as one
 * transition from the last state this process saw.
 *
 * @since 0.1.0
 * @category models
 */
export interface Store {
  /** Admits a call (a probe lease in HalfOpen) or rejects it. */
  admit(now: number): Effect.Effect<Store.Admission>
  /**
   * Records the outcome of an admitted call that ended at `now`. `"ignored"` covers interrupted
   * calls and failures `isFailure` rejects: no verdict, but the probe lease is freed. `slow`
   * only matters with `"success"` and `"failure"`.
   */
  record(
    ticket: Store.Ticket,
    outcome: Store.Outcome,
    slow: boolean,
    now: number,
    breakMillis: number
  ): Effect.Effect<Store.Result>
  /** Only observes (for `state`). */
  observe(now: number): Effect.Effect<Store.Result>
  /** Opens now for `breakMillis` (restarting the break when already Open); nothing while Isolated. */
  trip(now: number, breakMillis: number): Effect.Effect<Store.Result>
  /** Isolated until `reset`. */
  isolate(now: number): Effect.Effect<Store.Result>
  /** Closed with cleared counts (a new generation even when already Closed). */
  reset(now: number): Effect.Effect<Store.Result>
  /** The stored state, without observing. */
  snapshot(now: number): Effect.Effect<Snapshot>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Store {
  /**
   * What a store needs to know about its breaker.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Config {
    readonly name: string
    /**
     * The key, for a breaker of a keyed instance (`CircuitBreaker.keyed`): a shared store keeps
     * one state per name and key.
     */
    readonly key?: string | undefined
    /**
     * Whether `name` was generated (`"circuit-breaker-N"`) for an unnamed breaker: a shared
     * store must refuse it, since other processes cannot know it.
     */
    readonly generatedName: boolean
    readonly trip: TripPolicy
    readonly halfOpenMaxCalls: number
    readonly initialState: Snapshot | undefined
  }

  /**
   * Makes the store of one breaker; the breaker's `Scope` bounds its life.
   *
   * @since 0.1.0
   * @category models
   */
  export type Factory = (config: Config) => Effect.Effect<Store, never, Scope.Scope>

  /**
   * Identifies an admitted call: the generation it was admitted in, and its probe lease
   * (0 when it is not a probe).
   *
   * @since 0.1.0
   * @category models
   */
  export interface Ticket {
    readonly generation: number
    readonly lease: number
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export type Outcome = "success" | "failure" | "ignored"

  /**
   * @since 0.1.0
   * @category models
   */
  export type Admission =
    | {
      readonly _tag: "Admitted"
      readonly generation: number
      readonly lease: number
      readonly transitions: ReadonlyArray<Transition>
    }
    | {
      readonly _tag: "Rejected"
      readonly state: "Open" | "HalfOpen" | "Isolated"
      /** Time left in the break (zero unless Open). */
      readonly retryAfterMillis: number
      readonly transitions: ReadonlyArray<Transition>
    }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Result {
    /** The state after the operation. */
    readonly state: State
    readonly transitions: ReadonlyArray<Transition>
    /** Whether the operation started a break of the `breakMillis` it was given. */
    readonly opened: boolean
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MemoryStoreOptions {
  /**
   * How long a half-open probe may hold its slot before the slot is handed to another probe
   * (the late probe's outcome is then dropped). Default: no expiry, since a probe in this
   * process either ends or is interrupted; put a `Timeout` inside `protect` for hung calls.
   */
  readonly probeLease?: Duration.DurationInput | undefined
}

/**
 * The in-memory store, the default: state in the breaker's own process, updated synchronously.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@effect-resilience/core"
 *
 * const breaker = CircuitBreaker.make({ store: CircuitBreaker.memoryStore({ probeLease: "1 minute" }) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const memoryStore: (options?: MemoryStoreOptions) => Store.Factory = memory.memoryStore

// -------------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------------

/**
 * Makes a breaker. Options are validated when `make` is called: a bad one throws a
 * `ResilienceConfigError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CircuitBreaker } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const breaker = yield* CircuitBreaker.make({
 *     name: "payments",
 *     trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 10, window: { calls: 20 } }),
 *     breakDuration: "10 seconds",
 *     halfOpenMaxCalls: 2
 *   })
 *   return yield* Effect.succeed("paid").pipe(breaker.protect)
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: CircuitBreaker.Options) => Effect.Effect<CircuitBreaker, never, Scope.Scope> =
  internal.make

/**
 * A layer providing a breaker under `tag`. Options are validated when `layer` is called.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { CircuitBreaker } from "@effect-resilience/core"
 *
 * class PaymentsBreaker extends Context.Tag("PaymentsBreaker")<PaymentsBreaker, CircuitBreaker.CircuitBreaker>() {}
 *
 * const PaymentsBreakerLive = CircuitBreaker.layer(PaymentsBreaker, { name: "payments" })
 *
 * const program = Effect.gen(function*() {
 *   const breaker = yield* PaymentsBreaker
 *   return yield* Effect.succeed("paid").pipe(CircuitBreaker.protect(breaker))
 * }).pipe(Effect.provide(PaymentsBreakerLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I>(
  tag: Context.Tag<I, CircuitBreaker>,
  options?: CircuitBreaker.Options
) => Layer.Layer<I> = internal.layer

// -------------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------------

/**
 * Runs `self` through `breaker`: `breaker.protect(self)` as a dual combinator.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CircuitBreaker } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const breaker = yield* CircuitBreaker.make()
 *   const a = yield* Effect.succeed(1).pipe(CircuitBreaker.protect(breaker))
 *   const b = yield* CircuitBreaker.protect(Effect.succeed(2), breaker)
 *   return a + b
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const protect: {
  (breaker: CircuitBreaker): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitBreakerOpen, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, breaker: CircuitBreaker): Effect.Effect<A, E | CircuitBreakerOpen, R>
} = internal.protect

// -------------------------------------------------------------------------------------------
// keyed
// -------------------------------------------------------------------------------------------

/**
 * One breaker per key (a host, a tenant), created on first use, with bounded memory. Beyond
 * `maxKeys`, a key is forgotten to make room: first a Closed breaker with no recorded call
 * (nothing is lost), else the least recently used Closed one; never an Open, HalfOpen or
 * Isolated breaker, since forgetting it would send traffic to a dependency known to be down.
 * Closed keys unused for `idleTimeout` are dropped. The key map exceeds `maxKeys` only while
 * every key but the newest holds a breaker that is not Closed; once one closes, the excess
 * goes.
 *
 * Every key's breaker has the keyed instance's `name` and options. Metrics are labelled with
 * that name, never the key (a metric registry never forgets a label set): calls, rejections and
 * transitions are counted for the whole keyed instance, and the state gauge, which cannot hold
 * every key's state, is not reported. `CircuitBreakerOpen` errors and the transition and
 * rejection events carry the `key`. A store (the `store` option) opens one state per key, its
 * `Store.Config` carrying the keyed instance's `name` and the `key`.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyedCircuitBreaker {
  readonly name: string
  /** Protects a call with `key`'s breaker. */
  readonly protect: (key: string) => Policy<CircuitBreakerOpen>
  /** `key`'s breaker (created if absent): its state, `trip`, `isolate`, `reset`. */
  readonly get: (key: string) => Effect.Effect<CircuitBreaker>
  /** How many keys are held. */
  readonly size: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace KeyedCircuitBreaker {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options extends CircuitBreaker.Options {
    /** The most keys held, a positive integer. Default: 10,000. */
    readonly maxKeys?: number | undefined
    /** Closed keys unused this long are dropped (positive). Default: never. */
    readonly idleTimeout?: Duration.DurationInput | undefined
  }
}

/**
 * Makes a keyed breaker: one breaker per key, created on first use, with bounded memory (see
 * `KeyedCircuitBreaker`). Options are validated when `keyed` is called: a bad one throws
 * `ResilienceConfigError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CircuitBreaker } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const perHost = yield* CircuitBreaker.keyed({
 *     name: "http",
 *     trip: CircuitBreaker.consecutive(5),
 *     breakDuration: "10 seconds",
 *     maxKeys: 1_000,
 *     idleTimeout: "10 minutes"
 *   })
 *   return yield* Effect.succeed("response").pipe(perHost.protect("api.example.com"))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const keyed: (options?: KeyedCircuitBreaker.Options) => Effect.Effect<KeyedCircuitBreaker, never, Scope.Scope> =
  (options) => keyedInternal.keyed(options ?? {})

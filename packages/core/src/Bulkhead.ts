/**
 * `Bulkhead`: limits how many calls run at once, with a bounded FIFO queue for the rest, so
 * one slow dependency cannot take every fiber, connection or socket with it.
 *
 * At most `maxConcurrent` calls run; up to `maxQueue` more wait in strict FIFO order; beyond
 * that calls fail at once with `BulkheadRejected("Full")`. A caller that waits longer than
 * `queueTimeout` (on the Clock) fails with `"QueueTimeout"`. A freed permit is handed straight
 * to the next waiter, so releasing costs O(1) however long the queue is.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as adaptiveInternal from "./internal/adaptiveBulkhead.js"
import * as internal from "./internal/bulkhead.js"
import * as keyedInternal from "./internal/bulkheadKeyed.js"
import * as errors from "./internal/errors.js"
import type { Policy } from "./Policy.js"

/**
 * The bulkhead refused a call without running it: `"Full"` (every permit taken and the queue
 * full), `"QueueTimeout"` (waited longer than `queueTimeout`) or `"Closed"` (after `close`,
 * or once its Scope has closed). `policyName` is the bulkhead's name.
 *
 * @since 0.1.0
 * @category errors
 */
export const BulkheadRejected: typeof errors.BulkheadRejected = errors.BulkheadRejected

/**
 * @since 0.1.0
 * @category errors
 */
export type BulkheadRejected = errors.BulkheadRejected

/**
 * Why a call was rejected.
 *
 * @since 0.1.0
 * @category models
 */
export type RejectionReason = BulkheadRejected["reason"]

/**
 * A concurrency limit with a FIFO queue, owned by a Scope.
 *
 * @since 0.1.0
 * @category models
 */
export interface Bulkhead {
  /** The name in errors (`policyName`), events and metrics. */
  readonly name: string
  /**
   * Runs `self` once it holds a permit, and frees the permit when `self` ends (success,
   * failure, defect or interruption). Interrupting a queued caller removes it from the queue:
   * it never runs.
   */
  readonly protect: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BulkheadRejected, R>
  /** Calls running now, calls waiting, and the limits. */
  readonly stats: Effect.Effect<Bulkhead.Stats>
  /**
   * Rejects queued and new calls with `"Closed"`, then waits until the active calls have
   * finished: a graceful shutdown. Idempotent; every caller waits for the active calls.
   */
  readonly close: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Bulkhead {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** The name in errors, events and metrics. Default: a generated `"bulkhead-N"`. */
    readonly name?: string | undefined
    /** How many calls may run at once: an integer ≥ 1. */
    readonly maxConcurrent: number
    /** How many calls may wait for a permit: an integer ≥ 0, or `Infinity`. Default: 0 (no queue). */
    readonly maxQueue?: number | undefined
    /**
     * How long a call may wait in the queue: one still waiting after longer than this (at
     * millisecond resolution, on the Clock) fails with `"QueueTimeout"`, and a permit freed at
     * exactly this long still admits it. A non-negative duration (zero: calls that would wait
     * fail at once). Default: as long as needed.
     */
    readonly queueTimeout?: Duration.DurationInput | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Stats {
    /** Calls holding a permit. */
    readonly active: number
    /** Calls waiting for one. */
    readonly queued: number
    /** The most calls that may run: `maxConcurrent`, or an adaptive bulkhead's `maxLimit`. */
    readonly maxConcurrent: number
    readonly maxQueue: number
    /** The current limit: `maxConcurrent` for a fixed bulkhead; an adaptive one's moves. */
    readonly limit: number
  }

  /**
   * Options of `Bulkhead.adaptive`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface AdaptiveOptions {
    /** The name in errors, events and metrics. Default: a generated `"bulkhead-N"`. */
    readonly name?: string | undefined
    /**
     * `"aimd"`: +1 after a success seen while at least half the limit is in use, × `backoffRatio`
     * after a drop. `"gradient2"` (Netflix's): follows the ratio of long-term to short-term latency.
     */
    readonly algorithm: "aimd" | "gradient2"
    /** The limit to start with: an integer in [minLimit, maxLimit]. */
    readonly initialLimit: number
    /** The limit never goes below this: an integer ≥ 1. */
    readonly minLimit: number
    /** The limit never goes above this: an integer ≥ minLimit. */
    readonly maxLimit: number
    /** As for `make`. Default: 0. */
    readonly maxQueue?: number | undefined
    /** As for `make`. Default: as long as needed. */
    readonly queueTimeout?: Duration.DurationInput | undefined
    /**
     * Which failures are drops (default all; rejections from policies below and defects
     * included). A failure it rejects is no sample at all; interruption never is.
     */
    readonly isFailure?: ((error: unknown) => boolean) | undefined
    /** A call slower than this is a drop. Default: 5 seconds for `"aimd"`, none for `"gradient2"`. */
    readonly timeout?: Duration.DurationInput | undefined
    /** `"aimd"`: the factor applied after a drop, in [0.5, 1]. Default: 0.9. */
    readonly backoffRatio?: number | undefined
    /** `"gradient2"`: how much slower than the long-term latency is not yet queueing, ≥ 1. Default: 1.5. */
    readonly rttTolerance?: number | undefined
    /** `"gradient2"`: the weight of each new limit, in (0, 1]. Default: 0.2. */
    readonly smoothing?: number | undefined
    /** `"gradient2"`: the samples the long-term latency averages over. Default: 600. */
    readonly longWindow?: number | undefined
  }
}

/**
 * Makes a bulkhead that lives as long as the Scope. Options are validated when `make` is
 * called: a bad one throws `ResilienceConfigError`.
 *
 * When the Scope closes the bulkhead closes too: queued and new calls fail with `"Closed"`.
 * It does not wait for active calls there (they may belong to fibers that are interrupted
 * only after the Scope has closed); run `close` first to drain them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Bulkhead } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const bulkhead = yield* Bulkhead.make({ maxConcurrent: 10, maxQueue: 100, queueTimeout: "1 second" })
 *   const result = yield* Effect.succeed("ok").pipe(Bulkhead.protect(bulkhead))
 *   const stats = yield* bulkhead.stats // { active: 0, queued: 0, maxConcurrent: 10, maxQueue: 100, limit: 10 }
 *   return { result, stats }
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Bulkhead.Options) => Effect.Effect<Bulkhead, never, Scope.Scope> = internal.make

/**
 * Makes a bulkhead whose limit follows the dependency's latency instead of a fixed number, as
 * Netflix's concurrency-limits and Envoy's adaptive concurrency filter do. Each finished call is
 * a sample (its Clock latency, and whether it was dropped: a failure `isFailure` accepts, a
 * defect, or a call slower than `timeout`); the limit moves within [minLimit, maxLimit] and is
 * read in `stats.limit` and the `resilience_bulkhead_limit` gauge. The bulkhead's own
 * rejections are not samples, nor are interrupted calls. `protect`, the queue and `close` work
 * as for `make`.
 *
 * `"gradient2"` finds the limit from latency alone; `"aimd"` needs drops (failures, or calls
 * slower than `timeout`). Both run on `TestClock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Bulkhead } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const bulkhead = yield* Bulkhead.adaptive({
 *     name: "inventory",
 *     algorithm: "gradient2",
 *     initialLimit: 20,
 *     minLimit: 5,
 *     maxLimit: 200,
 *     maxQueue: 100
 *   })
 *   const result = yield* Effect.succeed("ok").pipe(Bulkhead.protect(bulkhead))
 *   const { limit } = yield* bulkhead.stats
 *   return { result, limit }
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const adaptive: (options: Bulkhead.AdaptiveOptions) => Effect.Effect<Bulkhead, never, Scope.Scope> =
  adaptiveInternal.make

/**
 * A layer holding one bulkhead under `tag`, closed when the layer is released. Options are
 * validated when `layer` is called.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { Bulkhead } from "@effect-resilience/core"
 *
 * class PaymentsBulkhead extends Context.Tag("PaymentsBulkhead")<PaymentsBulkhead, Bulkhead.Bulkhead>() {}
 *
 * const PaymentsBulkheadLive = Bulkhead.layer(PaymentsBulkhead, { name: "payments", maxConcurrent: 4, maxQueue: 20 })
 *
 * const charge = Effect.flatMap(PaymentsBulkhead, (bulkhead) => bulkhead.protect(Effect.succeed("charged")))
 * const program = charge.pipe(Effect.provide(PaymentsBulkheadLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I>(tag: Context.Tag<I, Bulkhead>, options: Bulkhead.Options) => Layer.Layer<I> = internal.layer

/**
 * Runs an effect through a bulkhead: `protect(self, bulkhead)` or
 * `self.pipe(protect(bulkhead))`. The same as `bulkhead.protect(self)`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Bulkhead } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const bulkhead = yield* Bulkhead.make({ maxConcurrent: 2 })
 *   const a = yield* Effect.succeed(1).pipe(Bulkhead.protect(bulkhead))
 *   const b = yield* Bulkhead.protect(Effect.succeed(2), bulkhead)
 *   return a + b
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const protect: {
  (bulkhead: Bulkhead): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BulkheadRejected, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, bulkhead: Bulkhead): Effect.Effect<A, E | BulkheadRejected, R>
} = internal.protect

/**
 * One bulkhead per key (a tenant, a host), created on first use, with bounded memory: beyond
 * `maxKeys`, the least recently used bulkhead with no active and no queued call is forgotten,
 * and such bulkheads unused for `idleTimeout` are dropped; a busy one never is. The key map
 * exceeds `maxKeys` only while every key but the newest is busy; once one is idle, the excess
 * goes.
 *
 * Every key's bulkhead has the keyed instance's `name` and limits. Metrics are labelled with
 * that name, never the key (its `active` and `queued` gauges are the sums over the keys);
 * `BulkheadRejected` errors and rejection events carry the `key`. When the Scope closes, every
 * key's bulkhead closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyedBulkhead {
  readonly name: string
  /** Protects a call with `key`'s bulkhead. */
  readonly protect: (key: string) => Policy<BulkheadRejected>
  /** `key`'s bulkhead (created if absent). */
  readonly get: (key: string) => Effect.Effect<Bulkhead>
  /** How many keys are held. */
  readonly size: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace KeyedBulkhead {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options extends Bulkhead.Options {
    /** The most keys held, a positive integer. Default: 10,000. */
    readonly maxKeys?: number | undefined
    /** Idle keys unused this long are dropped (positive). Default: never. */
    readonly idleTimeout?: Duration.DurationInput | undefined
  }
}

/**
 * Makes a keyed bulkhead: one bulkhead per key, created on first use, with bounded memory (see
 * `KeyedBulkhead`). Options are validated when `keyed` is called: a bad one throws
 * `ResilienceConfigError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Bulkhead } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   // at most 4 concurrent calls per tenant, 10 more waiting
 *   const perTenant = yield* Bulkhead.keyed({ name: "tenants", maxConcurrent: 4, maxQueue: 10, maxKeys: 5_000 })
 *   return yield* Effect.succeed("report").pipe(perTenant.protect("tenant-42"))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const keyed: (options: KeyedBulkhead.Options) => Effect.Effect<KeyedBulkhead, never, Scope.Scope> =
  keyedInternal.keyed

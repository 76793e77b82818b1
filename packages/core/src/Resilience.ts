/**
 * The application-wide registry: named circuit breakers, bulkheads, rate limiters and retry
 * budgets created on first use and shared after, configured from code and from Effect `Config`,
 * with an event stream and the `resilience_*` metrics. `ResilienceLive` is the default layer.
 *
 * @since 0.1.0
 */
import type * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type * as Bulkhead from "./Bulkhead.js"
import type * as CircuitBreaker from "./CircuitBreaker.js"
import * as internal from "./internal/registry.js"
import type * as RateLimiter from "./RateLimiter.js"
import type { ResilienceEvent } from "./ResilienceEvent.js"
import type * as RetryBudget from "./RetryBudget.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Resilience {
  /**
   * The breaker of that name: created on first use, the same one after. `options` are this
   * name's defaults when it is created (over the kind's `defaults`; code `instances` and Config
   * keys still override them); once it exists, later calls get it whatever options they pass
   * (the first creation wins). Bad options throw `ResilienceConfigError` when the call is made
   * (before the instance exists); options that only a Config key makes invalid die with it.
   */
  readonly circuitBreaker: (
    name: string,
    options?: Resilience.CircuitBreakerOptions
  ) => Effect.Effect<CircuitBreaker.CircuitBreaker>
  /** The bulkhead of that name, as `circuitBreaker` makes breakers. */
  readonly bulkhead: (name: string, options?: Resilience.BulkheadOptions) => Effect.Effect<Bulkhead.Bulkhead>
  /** The rate limiter of that name, as `circuitBreaker` makes breakers. */
  readonly rateLimiter: (
    name: string,
    options?: Resilience.RateLimiterOptions
  ) => Effect.Effect<RateLimiter.RateLimiter>
  /** The retry budget of that name, as `circuitBreaker` makes breakers. */
  readonly retryBudget: (
    name: string,
    options?: Resilience.RetryBudgetOptions
  ) => Effect.Effect<RetryBudget.RetryBudget>
  /** The breakers created so far (by `circuitBreaker`; keyed instances are not listed), oldest first. */
  readonly circuitBreakers: Effect.Effect<ReadonlyArray<CircuitBreaker.CircuitBreaker>>
  /** The bulkheads created so far (by `bulkhead`; keyed instances are not listed), oldest first. */
  readonly bulkheads: Effect.Effect<ReadonlyArray<Bulkhead.Bulkhead>>
  /** Every event every policy reports from the moment of subscription (a hot stream). */
  readonly events: Stream.Stream<ResilienceEvent>
  /**
   * Publishes an event to `events` (what other packages report: a shutdown phase, a store
   * outage). Nothing happens when events are off or nobody subscribes.
   */
  readonly publish: (event: ResilienceEvent) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Resilience {
  /**
   * A breaker's options in the registry: its name is the registry's.
   *
   * @since 0.1.0
   * @category models
   */
  export type CircuitBreakerOptions = Omit<CircuitBreaker.CircuitBreaker.Options, "name">

  /**
   * A bulkhead's options in the registry: every option may come from the kind's defaults.
   *
   * @since 0.1.0
   * @category models
   */
  export type BulkheadOptions = Partial<Omit<Bulkhead.Bulkhead.Options, "name">>

  /**
   * A rate limiter's options in the registry: every option may come from the kind's defaults.
   *
   * @since 0.1.0
   * @category models
   */
  export type RateLimiterOptions = Partial<Omit<RateLimiter.RateLimiter.Options, "name">>

  /**
   * A retry budget's options in the registry: every option may come from the kind's defaults.
   *
   * @since 0.1.0
   * @category models
   */
  export type RetryBudgetOptions = Partial<Omit<RetryBudget.RetryBudget.Options, "name">>

  /**
   * Options from code. For each kind, `defaults` apply to every name, `instances` to one name
   * (its options override the defaults), and Config keys override both when read by
   * `layerConfig`. Without options: bulkheads allow 25 concurrent calls and no queue, rate
   * limiters 50 per second, retry budgets `{ ratio: 0.2, minPerSecond: 10, window: "10 seconds" }`
   * (Finagle's), breakers `CircuitBreaker.make`'s defaults.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    readonly defaults?: {
      readonly circuitBreaker?: Omit<CircuitBreaker.CircuitBreaker.Options, "name"> | undefined
      readonly bulkhead?: Partial<Omit<Bulkhead.Bulkhead.Options, "name">> | undefined
      readonly rateLimiter?: Partial<Omit<RateLimiter.RateLimiter.Options, "name">> | undefined
      readonly retryBudget?: Partial<Omit<RetryBudget.RetryBudget.Options, "name">> | undefined
    } | undefined
    readonly instances?: {
      readonly circuitBreaker?:
        | Readonly<Record<string, Omit<CircuitBreaker.CircuitBreaker.Options, "name">>>
        | undefined
      readonly bulkhead?: Readonly<Record<string, Partial<Omit<Bulkhead.Bulkhead.Options, "name">>>> | undefined
      readonly rateLimiter?:
        | Readonly<Record<string, Partial<Omit<RateLimiter.RateLimiter.Options, "name">>>>
        | undefined
      readonly retryBudget?:
        | Readonly<Record<string, Partial<Omit<RetryBudget.RetryBudget.Options, "name">>>>
        | undefined
    } | undefined
    /** Record the `resilience_*` metrics. Default true. */
    readonly metrics?: boolean | undefined
    /**
     * Publish events (to a sliding buffer of `capacity` per subscriber: default 1,024, at most
     * 1,000,000). Default true.
     */
    readonly events?: boolean | { readonly capacity: number } | undefined
    /** Add policy decisions to the current span as events and attributes. Default true. */
    readonly spans?: boolean | undefined
  }
}

/**
 * The `Resilience` service.
 *
 * @since 0.1.0
 * @category tags
 */
export const Resilience: Context.Tag<Resilience, Resilience> = internal.ResilienceTag

/**
 * The registry from code options only. Policies used under this layer (the registry's instances
 * and any `Retry.retry`, `Timeout.timeout`, `Hedge.hedge`, `Fallback.fallback`,
 * `CircuitBreaker.make`, ...) report events and metrics; nothing grows their `R`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resilience } from "@effect-resilience/core"
 *
 * const Live = Resilience.layer({
 *   defaults: { bulkhead: { maxConcurrent: 50 } },
 *   instances: { circuitBreaker: { payments: { breakDuration: "10 seconds" } } }
 * })
 *
 * const program = Effect.succeed("charged").pipe(Resilience.withCircuitBreaker("payments"))
 * Effect.runPromise(program.pipe(Effect.provide(Live)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: Resilience.Options) => Layer.Layer<Resilience> = internal.layer

/**
 * The registry from code options and Effect `Config`. Keys are
 * `RESILIENCE_<KIND>_<NAME>_<OPTION>`: kind `CIRCUITBREAKER | BULKHEAD | RATELIMITER | RETRYBUDGET`,
 * the name upper-cased with every non-alphanumeric character turned into `_`, and the option in
 * SCREAMING_SNAKE_CASE:
 *
 * - CIRCUITBREAKER: `BREAK_DURATION`, `HALF_OPEN_MAX_CALLS`, `CONSECUTIVE_FAILURES`,
 *   `FAILURE_RATE_THRESHOLD`, `FAILURE_RATE_MINIMUM_CALLS`, `FAILURE_RATE_WINDOW_CALLS`,
 *   `FAILURE_RATE_WINDOW_DURATION`, `FAILURE_RATE_WINDOW_BUCKETS`, `SLOW_CALL_DURATION`, `SLOW_CALL_RATE`
 * - BULKHEAD: `MAX_CONCURRENT`, `MAX_QUEUE`, `QUEUE_TIMEOUT`
 * - RATELIMITER: `ALGORITHM`, `LIMIT`, `INTERVAL`, `BURST`, `ON_EXCEEDED`, `MAX_WAIT`
 * - RETRYBUDGET: `RATIO`, `MIN_PER_SECOND`, `WINDOW`
 *
 * Durations are Effect duration strings (`"10 seconds"`) or milliseconds. Config overrides code
 * for the same name. Names of one kind must not collide once normalized: with `"payments-api"`
 * in use (or in `instances`), asking for `"PAYMENTS_API"` dies with a `ResilienceConfigError`
 * naming both, since the two would share every key and yet be two instances. Every key is read and validated when the layer is built: a bad value or an
 * unknown option fails the layer with a `ConfigError` naming the key.
 *
 * @example
 * ```ts
 * import { ConfigProvider, Effect, Layer } from "effect"
 * import { Resilience } from "@effect-resilience/core"
 *
 * // e.g. RESILIENCE_CIRCUITBREAKER_PAYMENTS_API_BREAK_DURATION=10 seconds in the environment
 * const provider = ConfigProvider.fromMap(new Map([["RESILIENCE_CIRCUITBREAKER_PAYMENTS_API_BREAK_DURATION", "10 seconds"]]))
 * const Live = Resilience.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(provider)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: (options?: Resilience.Options) => Layer.Layer<Resilience, ConfigError.ConfigError> =
  internal.layerConfig

/**
 * The default layer: the registry configured from the environment (`layerConfig()`), in-memory
 * state, events and metrics. `program.pipe(Effect.provide(ResilienceLive))` is all a program needs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResilienceLive, Retry } from "@effect-resilience/core"
 *
 * const program = Effect.succeed(1).pipe(Retry.retry({ schedule: Retry.exponential({ base: "100 millis" }) }))
 * Effect.runPromise(program.pipe(Effect.provide(ResilienceLive)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const ResilienceLive: Layer.Layer<Resilience, ConfigError.ConfigError> = internal.layerConfig()

/**
 * The breaker of that name from the registry. `options` are this name's defaults when the
 * breaker is created (code `instances` and Config keys still override them); once it exists,
 * every call gets it whatever options it passes. Invalid options die with
 * `ResilienceConfigError` (the registry's own `circuitBreaker` throws it when called).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CircuitBreaker, Resilience, ResilienceLive } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   // RESILIENCE_CIRCUITBREAKER_PAYMENTS_BREAK_DURATION still overrides these
 *   const breaker = yield* Resilience.circuitBreaker("payments", {
 *     trip: CircuitBreaker.consecutive(3),
 *     breakDuration: "10 seconds"
 *   })
 *   return yield* Effect.succeed("charged").pipe(breaker.protect)
 * }).pipe(Effect.provide(ResilienceLive))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const circuitBreaker = (
  name: string,
  options?: Resilience.CircuitBreakerOptions
): Effect.Effect<CircuitBreaker.CircuitBreaker, never, Resilience> =>
  Effect.flatMap(Resilience, (registry) => registry.circuitBreaker(name, options))

/**
 * The bulkhead of that name from the registry; `options` as for `circuitBreaker`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const bulkhead = (
  name: string,
  options?: Resilience.BulkheadOptions
): Effect.Effect<Bulkhead.Bulkhead, never, Resilience> =>
  Effect.flatMap(Resilience, (registry) => registry.bulkhead(name, options))

/**
 * The rate limiter of that name from the registry; `options` as for `circuitBreaker`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const rateLimiter = (
  name: string,
  options?: Resilience.RateLimiterOptions
): Effect.Effect<RateLimiter.RateLimiter, never, Resilience> =>
  Effect.flatMap(Resilience, (registry) => registry.rateLimiter(name, options))

/**
 * The retry budget of that name from the registry; `options` as for `circuitBreaker`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const retryBudget = (
  name: string,
  options?: Resilience.RetryBudgetOptions
): Effect.Effect<RetryBudget.RetryBudget, never, Resilience> =>
  Effect.flatMap(Resilience, (registry) => registry.retryBudget(name, options))

/**
 * The registry's breakers created so far, oldest first (what a health check reports).
 *
 * @since 0.1.0
 * @category accessors
 */
export const circuitBreakers: Effect.Effect<ReadonlyArray<CircuitBreaker.CircuitBreaker>, never, Resilience> = Effect
  .flatMap(Resilience, (registry) => registry.circuitBreakers)

/**
 * The registry's bulkheads created so far, oldest first (what a graceful shutdown closes).
 *
 * @since 0.1.0
 * @category accessors
 */
export const bulkheads: Effect.Effect<ReadonlyArray<Bulkhead.Bulkhead>, never, Resilience> = Effect.flatMap(
  Resilience,
  (registry) => registry.bulkheads
)

/**
 * Publishes an event to the registry's `events` stream, for packages that report their own
 * (a shutdown phase, a store outage). Without a `Resilience` registry it does nothing, so it
 * adds nothing to `R`.
 *
 * @example
 * ```ts
 * import { Clock, Effect } from "effect"
 * import { Resilience, ResilienceEvent } from "@effect-resilience/core"
 *
 * const draining = Effect.flatMap(Clock.currentTimeMillis, (at) =>
 *   Resilience.publish(
 *     ResilienceEvent.ResilienceEvent.ShutdownPhase({ policyName: "shutdown", phase: "draining", inFlight: 0, at })
 *   ))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const publish = (event: ResilienceEvent): Effect.Effect<void> =>
  Effect.flatMap(
    Effect.serviceOption(Resilience),
    (registry) => registry._tag === "Some" ? registry.value.publish(event) : Effect.void
  )

/**
 * Protects an effect with the named breaker: `effect.pipe(Resilience.withCircuitBreaker("payments"))`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withCircuitBreaker = (name: string) =>
<A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | CircuitBreaker.CircuitBreakerOpen, R | Resilience> =>
  Effect.flatMap(circuitBreaker(name), (breaker) => breaker.protect(self))

/**
 * Protects an effect with the named bulkhead.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withBulkhead = (name: string) =>
<A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | Bulkhead.BulkheadRejected, R | Resilience> =>
  Effect.flatMap(bulkhead(name), (instance) => instance.protect(self))

/**
 * Protects an effect with the named rate limiter.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRateLimiter = (name: string) =>
<A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | RateLimiter.RateLimited, R | Resilience> =>
  Effect.flatMap(rateLimiter(name), (limiter) => limiter.protect(self))

/**
 * Every event every policy reports, from the moment the stream starts running.
 *
 * @example
 * ```ts
 * import { Console, Effect, Stream } from "effect"
 * import { Resilience, ResilienceLive } from "@effect-resilience/core"
 *
 * const logEvents = Resilience.events.pipe(Stream.runForEach((event) => Console.log(event._tag)), Effect.fork)
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const events: Stream.Stream<ResilienceEvent, never, Resilience> = Stream.unwrap(
  Effect.map(Resilience, (registry) => registry.events)
)

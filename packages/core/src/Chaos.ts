/**
 * Fault injection for rehearsing resilience in staging, as Polly's Simmy strategies: each
 * strategy is a combinator, so the `Policy.wrap` that protects a call can be rehearsed against
 * injected faults, latency, outcomes and behaviours.
 *
 * Every strategy takes `{ name?, rate, enabled? }`. It fires on a call with probability `rate`
 * (in [0, 1]), drawn from Effect's `Random`, so a seeded run injects the same faults at the same
 * calls. It is **off unless switched on**: an explicit `enabled` wins (an `Effect<boolean>` is
 * read on every call, so a flag service can switch it at run time); without it the strategy
 * reads the Config key `RESILIENCE_CHAOS_<NAME>_ENABLED` from the current `ConfigProvider` on
 * every call (the name upper-cased with every non-alphanumeric character turned into `_`; an
 * unnamed strategy uses its kind: `FAULT`, `LATENCY`, `OUTCOME`, `BEHAVIOR`), and stays off when
 * the key is absent. A value that is not a boolean keeps it off and is logged as a warning once
 * per strategy.
 *
 * Each injection is reported as a `ChaosInjected` event and counted in
 * `resilience_chaos_injections_total{name, kind}` under `ResilienceLive`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as internal from "./internal/chaos.js"

/**
 * The kinds of strategy.
 *
 * @since 0.1.0
 * @category models
 */
export type Kind = "fault" | "latency" | "outcome" | "behavior"

/**
 * What a strategy knows when it fires: given to `fault`'s `error` and `outcome`'s `value`, and
 * reported as the `ChaosInjected` event.
 *
 * @since 0.1.0
 * @category models
 */
export interface Injection {
  /** The strategy's name (its kind when unnamed). */
  readonly policyName: string
  readonly kind: Kind
  /** Clock millis. */
  readonly at: number
}

/**
 * The options every strategy takes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The name in events, metrics and the Config key. Default: the kind (`"fault"`, ...). */
  readonly name?: string | undefined
  /** The probability of firing on a call, in [0, 1]. */
  readonly rate: number
  /**
   * On or off; an `Effect` is read on every call. Default: the Config key
   * `RESILIENCE_CHAOS_<NAME>_ENABLED`, off when absent.
   */
  readonly enabled?: boolean | Effect.Effect<boolean> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FaultOptions<E> extends Options {
  /** The failure to inject instead of running the call. */
  readonly error: (injection: Injection) => E
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LatencyOptions extends Options {
  /** The delay to add before the call (on the Clock; interruptible): fixed or drawn per call. */
  readonly delay: Duration.DurationInput | Effect.Effect<Duration.Duration>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface OutcomeOptions<A> extends Options {
  /** The value to return instead of running the call. */
  readonly value: (injection: Injection) => A
}

/**
 * @since 0.1.0
 * @category models
 */
export interface BehaviorOptions<X, E, R> extends Options {
  /** An extra effect to run before the call: kill a connection, fill a queue, interrupt. */
  readonly effect: Effect.Effect<X, E, R>
}

/**
 * Fails with `error(injection)` instead of running `self` when the strategy fires.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chaos } from "@effect-resilience/core"
 *
 * class Unavailable {
 *   readonly _tag = "Unavailable"
 * }
 *
 * // fails one call in ten while RESILIENCE_CHAOS_INVENTORY_ENABLED=true
 * const program = Effect.succeed("stock").pipe(
 *   Chaos.fault({ name: "inventory", rate: 0.1, error: () => new Unavailable() })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const fault: {
  <E2>(options: FaultOptions<E2>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2, R>
  <A, E, R, E2>(self: Effect.Effect<A, E, R>, options: FaultOptions<E2>): Effect.Effect<A, E | E2, R>
} = internal.fault

/**
 * Sleeps `delay` on the Clock before running `self` when the strategy fires.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chaos } from "@effect-resilience/core"
 *
 * const program = Effect.succeed("stock").pipe(Chaos.latency({ rate: 0.05, delay: "2 seconds", enabled: true }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const latency: {
  (options: LatencyOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: LatencyOptions): Effect.Effect<A, E, R>
} = internal.latency

/**
 * Returns `value(injection)` instead of running `self` when the strategy fires. It adds the
 * value's type to the success type, so it is a `Policy` only when the types match: compose it
 * with `pipe`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chaos } from "@effect-resilience/core"
 *
 * const program = Effect.succeed(42).pipe(Chaos.outcome({ rate: 0.1, value: () => 0, enabled: true }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const outcome: {
  <A2>(options: OutcomeOptions<A2>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A | A2, E, R>
  <A, E, R, A2>(self: Effect.Effect<A, E, R>, options: OutcomeOptions<A2>): Effect.Effect<A | A2, E, R>
} = internal.outcome

/**
 * Runs `effect` before `self` when the strategy fires (its failure, or its interruption, is the
 * call's).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chaos } from "@effect-resilience/core"
 *
 * const program = Effect.succeed("ok").pipe(
 *   Chaos.behavior({ rate: 0.01, effect: Effect.log("dropping the connection"), enabled: true })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const behavior: {
  <X, E2, R2>(
    options: BehaviorOptions<X, E2, R2>
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2, R | R2>
  <A, E, R, X, E2, R2>(
    self: Effect.Effect<A, E, R>,
    options: BehaviorOptions<X, E2, R2>
  ): Effect.Effect<A, E | E2, R | R2>
} = internal.behavior

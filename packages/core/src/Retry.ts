/**
 * Retry schedules for `Effect.retry`, and `Retry.retry`: the combinator that also reports
 * events and metrics and honours a `RetryBudget`.
 *
 * Every schedule outputs the delay before the next retry. Retry n (n = 1, 2, ...) waits
 * `base` (constant), `min(max, base + increment·(n−1))` (linear) or
 * `min(max, base·factor^(n−1))` (exponential, saturating). Jitter is drawn, from Effect's
 * `Random`, within the capped delay, so no delay ever exceeds `max`. A `max` below `base` is
 * allowed, as in Polly: every delay is then `max`. Without `max`, delays stop growing at one day. `maxRetries: r` allows at most r retries; without it a schedule does not
 * stop by itself.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import * as internal from "./internal/retry.js"
import * as schedules from "./internal/schedules.js"
import type { RetryBudget } from "./RetryBudget.js"

/**
 * How a delay is randomised: `"none"`, `"full"` (uniform in `[0, d]`) or `"equal"`
 * (uniform in `[d/2, d]`), where `d` is the capped delay.
 *
 * @since 0.1.0
 * @category models
 */
export type Jitter = "none" | "full" | "equal"

/**
 * @since 0.1.0
 * @category models
 */
export interface ConstantOptions {
  /** At most this many retries (a non-negative integer). Default: no limit. */
  readonly maxRetries?: number | undefined
  /** Default `"none"`. */
  readonly jitter?: Jitter | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LinearOptions {
  /** The first delay. */
  readonly base: Duration.DurationInput
  /** Added for each further retry. Default: `base`. */
  readonly increment?: Duration.DurationInput | undefined
  /** The cap (at least `base`). Default: one day. */
  readonly max?: Duration.DurationInput | undefined
  /** At most this many retries. Default: no limit. */
  readonly maxRetries?: number | undefined
  /** Default `"none"`. */
  readonly jitter?: Jitter | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExponentialOptions {
  /** The first delay. */
  readonly base: Duration.DurationInput
  /** The growth factor, at least 1. Default: 2. */
  readonly factor?: number | undefined
  /** The cap (at least `base`). Default: one day. */
  readonly max?: Duration.DurationInput | undefined
  /** Default `"none"`. */
  readonly jitter?: Jitter | undefined
  /** At most this many retries. Default: no limit. */
  readonly maxRetries?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DecorrelatedJitterOptions {
  /** The median first delay; later delays have medians near `base·2^(n−1)`. */
  readonly base: Duration.DurationInput
  /** The cap (at least `base`). Default: one day. */
  readonly max?: Duration.DurationInput | undefined
  /** At most this many retries. Default: no limit. */
  readonly maxRetries?: number | undefined
}

/**
 * Options of `Retry.retry`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions<E, R = never> {
  /** When and how long to wait between attempts; its input is the failure. */
  readonly schedule: Schedule.Schedule<unknown, E, R>
  /** Which failures to retry. Default: every failure but the permanent rejections. */
  readonly while?: ((error: E) => boolean) | undefined
  /** A budget to withdraw from for each retry; when it is spent, the last failure is returned. */
  readonly budget?: RetryBudget | undefined
  /** The name in events and metrics. Default: `"retry"` (name a retry site to tell it apart). */
  readonly name?: string | undefined
  /**
   * Under a `Deadline`, no retry starts with less than this left (the last failure is returned,
   * `RetryGaveUp` reason `"DeadlineExceeded"`). A non-negative duration. Default: zero (a retry
   * starts while any time is left; none sleeps past the deadline).
   */
  readonly minAttempt?: Duration.DurationInput | undefined
}

/**
 * The same delay before every retry.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@effect-resilience/core"
 *
 * const program = Effect.fail("boom").pipe(Effect.retry(Retry.constant("200 millis", { maxRetries: 3 })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const constant: (
  delay: Duration.DurationInput,
  options?: ConstantOptions
) => Schedule.Schedule<Duration.Duration, unknown> = schedules.constant

/**
 * Delays growing by `increment` per retry, capped at `max`.
 *
 * @example
 * ```ts
 * import { Retry } from "@effect-resilience/core"
 *
 * // 100ms, 200ms, 300ms, 300ms, ...
 * const schedule = Retry.linear({ base: "100 millis", max: "300 millis" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const linear: (options: LinearOptions) => Schedule.Schedule<Duration.Duration, unknown> = schedules.linear

/**
 * Delays multiplied by `factor` per retry, capped at `max` (or one day), with optional jitter.
 * Saturating: no overflow however many retries.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@effect-resilience/core"
 *
 * // 100ms, 200ms, 400ms, 800ms, 1s, 1s — each drawn in [d/2, d]
 * const schedule = Retry.exponential({ base: "100 millis", max: "1 second", jitter: "equal", maxRetries: 6 })
 * const program = Effect.fail("boom").pipe(Effect.retry(schedule))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const exponential: (options: ExponentialOptions) => Schedule.Schedule<Duration.Duration, unknown> =
  schedules.exponential

/**
 * Polly's `DecorrelatedJitterBackoffV2`: exponentially growing, well spread delays whose medians
 * are near `base·2^(n−1)`, capped at `max`.
 *
 * @example
 * ```ts
 * import { Retry } from "@effect-resilience/core"
 *
 * const schedule = Retry.decorrelatedJitter({ base: "100 millis", max: "5 seconds", maxRetries: 5 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const decorrelatedJitter: (options: DecorrelatedJitterOptions) => Schedule.Schedule<Duration.Duration, unknown> =
  schedules.decorrelatedJitter

/**
 * Makes a schedule wait at least as long as the failure's `retryAfter: Duration` field asks
 * (our rejections, HTTP 429/503 errors): `max(schedule delay, retryAfter)`. The server's word
 * is not capped by the schedule's `max`; the schedule still decides when to stop.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@effect-resilience/core"
 *
 * const schedule = Retry.honorRetryAfter(Retry.exponential({ base: "100 millis", maxRetries: 5 }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const honorRetryAfter: <Out, In, R>(schedule: Schedule.Schedule<Out, In, R>) => Schedule.Schedule<Out, In, R> =
  schedules.honorRetryAfter

/**
 * Retries `self` on failure as `schedule` says, for the failures `while` accepts (by default all
 * but the permanent rejections: a closed bulkhead, an isolated breaker, a connection that gave up
 * or was closed). With a `budget`, each
 * call deposits once and each retry withdraws; when the budget is spent, the last failure is
 * returned with no further retries. Under a `Deadline` it never sleeps past the deadline and
 * starts no retry with less than `minAttempt` left: the last failure is returned (the first
 * attempt always runs). Reports `RetryScheduled`, `RetryGaveUp` and
 * `BudgetExhausted` events when `ResilienceLive` is provided. The success path builds no
 * schedule state.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@effect-resilience/core"
 *
 * class Unavailable {
 *   readonly _tag = "Unavailable"
 * }
 *
 * const call = Effect.fail(new Unavailable())
 *
 * const program = call.pipe(
 *   Retry.retry({
 *     schedule: Retry.exponential({ base: "100 millis", maxRetries: 3 }),
 *     while: (error) => error._tag === "Unavailable"
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  <E, R2 = never>(options: {
    readonly schedule: Schedule.Schedule<unknown, NoInfer<E>, R2>
    readonly while: (error: E) => boolean
    readonly budget?: RetryBudget | undefined
    readonly name?: string | undefined
    readonly minAttempt?: Duration.DurationInput | undefined
  }): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | R2>
  <In = unknown, R2 = never>(
    options: RetryOptions<In, R2>
  ): <A, E extends In, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | R2>
  <A, E, R, R2 = never>(
    self: Effect.Effect<A, E, R>,
    options: RetryOptions<NoInfer<E>, R2>
  ): Effect.Effect<A, E, R | R2>
} = internal.retry

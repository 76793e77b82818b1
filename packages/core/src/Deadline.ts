/**
 * `Deadline`: one time budget for a whole call tree, as gRPC's deadlines.
 *
 * `Deadline.within` sets the deadline of everything below it (fibers forked below inherit it)
 * and interrupts it when the deadline passes. Policies below that would otherwise wait past it
 * know it beforehand: `Retry.retry` does not sleep past it (nor start a retry with less than its
 * `minAttempt` left), `Hedge.hedge` launches no hedge past it, and a waiting `RateLimiter` treats
 * the time left like `maxWait`. Everything else (`Timeout`, queued bulkhead calls, `Reconnect`
 * waits) is simply interrupted by `within`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as internal from "./internal/deadline.js"
import * as errors from "./internal/errors.js"

/**
 * The deadline passed: the effect was interrupted (its finalizers have run). `remaining` is
 * zero; `policyName` is set when the deadline was given a name. A permanent rejection:
 * `Retry.retry` does not retry it.
 *
 * @since 0.1.0
 * @category errors
 */
export const DeadlineExceeded: typeof errors.DeadlineExceeded = errors.DeadlineExceeded

/**
 * @since 0.1.0
 * @category errors
 */
export type DeadlineExceeded = errors.DeadlineExceeded

/**
 * @since 0.1.0
 * @category models
 */
export interface DeadlineOptions {
  /** Positive; `Infinity` adds no deadline of its own (an enclosing one still holds). */
  readonly duration: Duration.DurationInput
  /** The name in the error. */
  readonly name?: string | undefined
}

/**
 * Runs `self` with the deadline `min(current deadline, now + duration)` (on the Clock). When it
 * passes, `self` is interrupted and the call fails with `DeadlineExceeded` once `self`'s
 * finalizers have run; when it has already passed, `self` never starts. A deadline nested in
 * another can only shorten it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline, Retry, Timeout } from "@effect-resilience/core"
 *
 * const call = Effect.fail("unavailable").pipe(Effect.delay("100 millis"))
 *
 * // the retries stop, without sleeping, when the next one could not start before the deadline
 * const program = call.pipe(
 *   Timeout.timeout("300 millis"),
 *   Retry.retry({ schedule: Retry.exponential({ base: "200 millis" }), minAttempt: "50 millis" }),
 *   Deadline.within("1 second")
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const within: {
  (
    options: Duration.DurationInput | DeadlineOptions
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DeadlineExceeded, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: Duration.DurationInput | DeadlineOptions
  ): Effect.Effect<A, E | DeadlineExceeded, R>
} = internal.within

/**
 * The time left before the current fiber's deadline (zero once it has passed), or none outside
 * any `Deadline.within`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@effect-resilience/core"
 *
 * const program = Deadline.remaining.pipe(Deadline.within("2 seconds")) // Some(2 seconds)
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const remaining: Effect.Effect<Option.Option<Duration.Duration>> = internal.remaining

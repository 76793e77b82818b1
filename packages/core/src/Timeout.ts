/**
 * `Timeout.timeout`: interrupts an effect that runs too long and fails with `TimeoutError`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as errors from "./internal/errors.js"
import * as internal from "./internal/timeout.js"

/**
 * The effect ran longer than `duration` and was interrupted. `policyName` is set when the
 * timeout was given a name.
 *
 * @since 0.1.0
 * @category errors
 */
export const TimeoutError: typeof errors.TimeoutError = errors.TimeoutError

/**
 * @since 0.1.0
 * @category errors
 */
export type TimeoutError = errors.TimeoutError

/**
 * @since 0.1.0
 * @category models
 */
export interface TimeoutOptions {
  /** Positive; `Infinity` turns the timeout off. */
  readonly duration: Duration.DurationInput
  /** The name in the error, events and metrics (unnamed timeouts report as `"timeout"`). */
  readonly name?: string | undefined
}

/**
 * Fails with `TimeoutError` when `self` has not completed within `duration` (on the Clock).
 * The error is returned only after `self` has been interrupted and its finalizers have run.
 *
 * `self` runs in one child fiber; its deadline joins a list shared by every deadline of the same
 * duration on the same Clock, which one fiber serves with one Clock sleep. So a call costs about
 * one `Effect.fork` + `Fiber.join`, not the two fibers and the race of `Effect.timeout`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Timeout } from "@effect-resilience/core"
 *
 * const program = Effect.never.pipe(Timeout.timeout("1 second"))
 * const named = Effect.never.pipe(Timeout.timeout({ duration: "1 second", name: "payments" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const timeout: {
  (
    options: Duration.DurationInput | TimeoutOptions
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | TimeoutError, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: Duration.DurationInput | TimeoutOptions
  ): Effect.Effect<A, E | TimeoutError, R>
} = internal.timeout

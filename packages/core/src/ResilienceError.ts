/**
 * The errors every policy may add to an effect's error channel, and the configuration error
 * that every constructor and combinator throws for bad options.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as internal from "./internal/errors.js"

/**
 * Thrown, at once, by every constructor and combinator that receives an invalid option, and the
 * defect of a per-call argument that can never be satisfied. `option` names the option, `rule`
 * states what it must be, and `value` is what was given.
 *
 * Bad options are programmer errors, so they never appear in an error channel: nothing
 * half-configured ever runs.
 *
 * @example
 * ```ts
 * import { Retry, ResilienceError } from "@effect-resilience/core"
 *
 * try {
 *   Retry.exponential({ base: "100 millis", factor: 0.5 })
 * } catch (error) {
 *   if (error instanceof ResilienceError.ResilienceConfigError) {
 *     console.log(error.message) // Invalid option "factor": must be a finite number ≥ 1 (got 0.5)
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ResilienceConfigError: typeof internal.ResilienceConfigError = internal.ResilienceConfigError

/**
 * @since 0.1.0
 * @category errors
 */
export type ResilienceConfigError = internal.ResilienceConfigError

/**
 * Every rejection a policy can add to an effect's error channel.
 *
 * @since 0.1.0
 * @category errors
 */
export type ResilienceError =
  | internal.CircuitBreakerOpen
  | internal.BulkheadRejected
  | internal.RateLimited
  | internal.TimeoutError
  | internal.ConnectionUnavailable
  | internal.DeadlineExceeded

const tags: ReadonlySet<string> = new Set([
  "CircuitBreakerOpen",
  "BulkheadRejected",
  "RateLimited",
  "TimeoutError",
  "ConnectionUnavailable",
  "DeadlineExceeded"
])

/**
 * Whether `u` is one of the rejections in `ResilienceError`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isResilienceError = (u: unknown): u is ResilienceError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag) && u instanceof Error

/**
 * Whether `u` is a permanent rejection, one that retrying cannot cure: a closed bulkhead, an
 * isolated circuit breaker, a connection that gave up reconnecting (`ConnectionUnavailable`
 * `"Failed"`) or was closed (`"Closed"`), or a passed deadline (`DeadlineExceeded`). `Retry.retry`
 * does not retry these unless its `while` says so.
 *
 * @since 0.1.0
 * @category guards
 */
export const isPermanentRejection: (u: unknown) => boolean = internal.isPermanentRejection

/**
 * Whether `u` is a `ResilienceConfigError`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isResilienceConfigError = (u: unknown): u is ResilienceConfigError =>
  u instanceof internal.ResilienceConfigError

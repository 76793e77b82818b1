/**
 * A retry budget bounds retries to a fraction of calls (Finagle's rule), so a failing
 * dependency sees at most `ratio` extra load rather than a retry storm. One budget can be
 * shared by many `Retry.retry` sites and by `Hedge.hedge`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/retryBudget.js"

/**
 * A retry is allowed while `retriesInWindow + 1 ≤ ratio · callsInWindow + minPerSecond · windowSeconds`.
 * Calls and retries are counted in ten buckets spanning `window`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryBudget {
  readonly name: string
  readonly ratio: number
  readonly minPerSecond: number
  readonly window: Duration.Duration
  /** Records one call (`Retry.retry` and `Hedge.hedge` deposit once per call). */
  readonly deposit: Effect.Effect<void>
  /** Takes one retry from the budget if it allows one. */
  readonly tryWithdraw: Effect.Effect<boolean>
  /** How many whole retries the budget allows now. */
  readonly available: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace RetryBudget {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Retries allowed per call, in [0, 1] (0.1: one retry per ten calls). */
    readonly ratio: number
    /** Retries allowed per second whatever the traffic, so a quiet service can still retry. */
    readonly minPerSecond: number
    /** How long calls and retries count. */
    readonly window: Duration.DurationInput
    /** The name in events. Default: a generated `"retry-budget-N"`. */
    readonly name?: string | undefined
  }
}

/**
 * Makes a budget. Options are validated when `make` is called.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry, RetryBudget } from "@effect-resilience/core"
 *
 * const program = Effect.gen(function*() {
 *   const budget = yield* RetryBudget.make({ ratio: 0.1, minPerSecond: 10, window: "10 seconds" })
 *   return yield* Effect.fail("boom").pipe(
 *     Retry.retry({ schedule: Retry.constant("100 millis", { maxRetries: 3 }), budget })
 *   )
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: RetryBudget.Options) => Effect.Effect<RetryBudget, never, Scope.Scope> = internal.make

/**
 * `Hedge.hedge`: when an attempt is slow, start another and take the first success.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as internal from "./internal/hedge.js"
import type { RetryBudget } from "./RetryBudget.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface HedgeOptions {
  /** How long to wait after an attempt starts before starting the next. */
  readonly delay: Duration.DurationInput
  /** Extra attempts at most (a non-negative integer). Default: 1. */
  readonly maxHedges?: number | undefined
  /** Each hedge withdraws from it; no withdrawal, no hedge. Each call deposits once. */
  readonly budget?: RetryBudget | undefined
  /** The name in events and metrics. Default: `"hedge"`. */
  readonly name?: string | undefined
}

/**
 * Runs `self` (attempt 0) at once. While no attempt has succeeded, attempt k starts `delay` after
 * attempt k−1 started, or at once when every running attempt has failed, up to `1 + maxHedges`
 * attempts. The first success wins, and every other attempt is interrupted (its finalizers run)
 * before the result is returned. When all attempts fail, the primary's failure is returned, as
 * Polly does. Interrupting the caller interrupts every attempt.
 *
 * Only hedge idempotent operations: several attempts may run to completion.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Hedge } from "@effect-resilience/core"
 *
 * const fetchQuote = Effect.succeed(42).pipe(Effect.delay("300 millis"))
 * const program = fetchQuote.pipe(Hedge.hedge({ delay: "100 millis", maxHedges: 2 }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const hedge: {
  (options: HedgeOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: HedgeOptions): Effect.Effect<A, E, R>
} = internal.hedge

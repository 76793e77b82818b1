/**
 * `Fallback.fallback`: replace a failure with another effect's result. It may change the success
 * type, so it is not a `Policy`: compose it with `pipe`.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Predicate, Refinement } from "effect/Predicate"
import * as internal from "./internal/fallback.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface FallbackOptions<E, A2, E2, R2> {
  /** The fallback, given the failure. */
  readonly to: (error: E) => Effect.Effect<A2, E2, R2>
  /** Which failures fall back; the others pass through. Default: all. */
  readonly when?: Predicate<E> | undefined
  /** The name in events and metrics. Default: `"fallback"`. */
  readonly name?: string | undefined
}

/**
 * When `self` fails with an error that `when` accepts (all, by default), runs `to(error)`
 * instead. Defects and interruption are not failures and pass through.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fallback } from "@effect-resilience/core"
 *
 * const cached = Effect.succeed("cached price")
 * const program = Effect.fail("unavailable" as const).pipe(Fallback.fallback({ to: () => cached }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const fallback: {
  <E, E1 extends E, A2, E2, R2>(options: {
    readonly to: (error: E1) => Effect.Effect<A2, E2, R2>
    readonly when: Refinement<E, E1>
    readonly name?: string | undefined
  }): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A | A2, Exclude<E, E1> | E2, R | R2>
  <E, A2, E2, R2>(options: {
    readonly to: (error: E) => Effect.Effect<A2, E2, R2>
    readonly when: Predicate<E>
    readonly name?: string | undefined
  }): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A | A2, E | E2, R | R2>
  <E, A2, E2, R2>(options: {
    readonly to: (error: E) => Effect.Effect<A2, E2, R2>
    readonly when?: undefined
    readonly name?: string | undefined
  }): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A | A2, E2, R | R2>
  <A, E, R, E1 extends E, A2, E2, R2>(self: Effect.Effect<A, E, R>, options: {
    readonly to: (error: E1) => Effect.Effect<A2, E2, R2>
    readonly when: Refinement<NoInfer<E>, E1>
    readonly name?: string | undefined
  }): Effect.Effect<A | A2, Exclude<E, E1> | E2, R | R2>
  <A, E, R, A2, E2, R2>(self: Effect.Effect<A, E, R>, options: {
    readonly to: (error: NoInfer<E>) => Effect.Effect<A2, E2, R2>
    readonly when: Predicate<NoInfer<E>>
    readonly name?: string | undefined
  }): Effect.Effect<A | A2, E | E2, R | R2>
  <A, E, R, A2, E2, R2>(self: Effect.Effect<A, E, R>, options: {
    readonly to: (error: NoInfer<E>) => Effect.Effect<A2, E2, R2>
    readonly when?: undefined
    readonly name?: string | undefined
  }): Effect.Effect<A | A2, E2, R | R2>
} = internal.fallback

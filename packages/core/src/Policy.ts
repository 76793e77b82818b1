/**
 * A policy is just a function from an effect to an effect that may also fail with the policy's
 * rejection `E` and need `R`. Every policy in this library has this shape, so policies compose
 * with `pipe` and with `Policy.wrap`.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as internal from "./internal/policy.js"

/**
 * `<A, E1, R1>(self: Effect<A, E1, R1>) => Effect<A, E1 | E, R1 | R>`: a policy keeps the
 * success type, adds its rejections `E` and its requirements `R`.
 *
 * @since 0.1.0
 * @category models
 */
export type Policy<E = never, R = never> = <A, E1, R1>(
  self: Effect.Effect<A, E1, R1>
) => Effect.Effect<A, E1 | E, R1 | R>

declare const SuccessMarker: unique symbol

/**
 * A stand-in success type: applying a policy to an effect that succeeds with it shows whether the
 * policy keeps the success type, as every policy must.
 *
 * @since 0.1.0
 * @category models
 */
export interface Success {
  readonly [SuccessMarker]: typeof SuccessMarker
}

/**
 * What `wrap` accepts: anything that, applied to an effect that succeeds with `Success` and
 * cannot fail, still succeeds with `Success`, and may fail with `E` and need `R` — every
 * `Policy<E, R>` and the generic functions the combinators return, but not `Fallback.fallback`
 * nor anything else that changes the success type. (TypeScript cannot infer `E` from a generic
 * function matched against the generic `Policy`, but it can against this plain signature.)
 *
 * @since 0.1.0
 * @category models
 */
export type Wrappable<E, R> = (self: Effect.Effect<Success, never, never>) => Effect.Effect<Success, E, R>

/**
 * Composes policies: the first argument is outermost, the last innermost, so
 * `wrap(p1, p2, p3)(self)` is `p1(p2(p3(self)))` — the order of Polly's and cockatiel's `wrap`.
 * The result is a `Policy` whose rejections and requirements are the union of its parts'.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Policy, Retry, Timeout } from "@effect-resilience/core"
 *
 * // each attempt gets 1 second; up to 3 retries around it
 * const resilient = Policy.wrap(
 *   Retry.retry({ schedule: Retry.exponential({ base: "100 millis", maxRetries: 3 }) }),
 *   Timeout.timeout("1 second")
 * )
 *
 * const program = resilient(Effect.succeed("ok"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const wrap: {
  <E1, R1>(
    p1: Wrappable<E1, R1>
  ): Policy<E1, R1>
  <E1, R1, E2, R2>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>
  ): Policy<E1 | E2, R1 | R2>
  <E1, R1, E2, R2, E3, R3>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>,
    p3: Wrappable<E3, R3>
  ): Policy<E1 | E2 | E3, R1 | R2 | R3>
  <E1, R1, E2, R2, E3, R3, E4, R4>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>,
    p3: Wrappable<E3, R3>,
    p4: Wrappable<E4, R4>
  ): Policy<E1 | E2 | E3 | E4, R1 | R2 | R3 | R4>
  <E1, R1, E2, R2, E3, R3, E4, R4, E5, R5>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>,
    p3: Wrappable<E3, R3>,
    p4: Wrappable<E4, R4>,
    p5: Wrappable<E5, R5>
  ): Policy<E1 | E2 | E3 | E4 | E5, R1 | R2 | R3 | R4 | R5>
  <E1, R1, E2, R2, E3, R3, E4, R4, E5, R5, E6, R6>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>,
    p3: Wrappable<E3, R3>,
    p4: Wrappable<E4, R4>,
    p5: Wrappable<E5, R5>,
    p6: Wrappable<E6, R6>
  ): Policy<E1 | E2 | E3 | E4 | E5 | E6, R1 | R2 | R3 | R4 | R5 | R6>
  <E1, R1, E2, R2, E3, R3, E4, R4, E5, R5, E6, R6, E7, R7>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>,
    p3: Wrappable<E3, R3>,
    p4: Wrappable<E4, R4>,
    p5: Wrappable<E5, R5>,
    p6: Wrappable<E6, R6>,
    p7: Wrappable<E7, R7>
  ): Policy<E1 | E2 | E3 | E4 | E5 | E6 | E7, R1 | R2 | R3 | R4 | R5 | R6 | R7>
  <E1, R1, E2, R2, E3, R3, E4, R4, E5, R5, E6, R6, E7, R7, E8, R8>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>,
    p3: Wrappable<E3, R3>,
    p4: Wrappable<E4, R4>,
    p5: Wrappable<E5, R5>,
    p6: Wrappable<E6, R6>,
    p7: Wrappable<E7, R7>,
    p8: Wrappable<E8, R8>
  ): Policy<E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8, R1 | R2 | R3 | R4 | R5 | R6 | R7 | R8>
  <E1, R1, E2, R2, E3, R3, E4, R4, E5, R5, E6, R6, E7, R7, E8, R8, E9, R9>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>,
    p3: Wrappable<E3, R3>,
    p4: Wrappable<E4, R4>,
    p5: Wrappable<E5, R5>,
    p6: Wrappable<E6, R6>,
    p7: Wrappable<E7, R7>,
    p8: Wrappable<E8, R8>,
    p9: Wrappable<E9, R9>
  ): Policy<E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8 | E9, R1 | R2 | R3 | R4 | R5 | R6 | R7 | R8 | R9>
  <E1, R1, E2, R2, E3, R3, E4, R4, E5, R5, E6, R6, E7, R7, E8, R8, E9, R9, E10, R10>(
    p1: Wrappable<E1, R1>,
    p2: Wrappable<E2, R2>,
    p3: Wrappable<E3, R3>,
    p4: Wrappable<E4, R4>,
    p5: Wrappable<E5, R5>,
    p6: Wrappable<E6, R6>,
    p7: Wrappable<E7, R7>,
    p8: Wrappable<E8, R8>,
    p9: Wrappable<E9, R9>,
    p10: Wrappable<E10, R10>
  ): Policy<E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8 | E9 | E10, R1 | R2 | R3 | R4 | R5 | R6 | R7 | R8 | R9 | R10>
} = internal.wrap as never

/**
 * The policy that does nothing: `identity` for `wrap`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const identity: Policy = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => self

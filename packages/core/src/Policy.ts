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

/**
 * The rejections a policy adds.
 *
 * @since 0.1.0
 * @category models
 */
export type Error<P> = P extends Policy<infer E, infer _R> ? E : never

/**
 * The requirements a policy adds.
 *
 * @since 0.1.0
 * @category models
 */
export type Context<P> = P extends Policy<infer _E, infer R> ? R : never

/**
 * Composes policies: the first argument is outermost, the last innermost, so
 * `wrap(p1, p2, p3)(self)` is `p1(p2(p3(self)))` — the order of Polly's and cockatiel's `wrap`.
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
  <E1 = never, R1 = never>(p1: Policy<E1, R1>): Policy<E1, R1>
  <E1 = never, R1 = never, E2 = never, R2 = never>(p1: Policy<E1, R1>, p2: Policy<E2, R2>): Policy<E1 | E2, R1 | R2>
  <E1 = never, R1 = never, E2 = never, R2 = never, E3 = never, R3 = never>(
    p1: Policy<E1, R1>,
    p2: Policy<E2, R2>,
    p3: Policy<E3, R3>
  ): Policy<E1 | E2 | E3, R1 | R2 | R3>
  <E1 = never, R1 = never, E2 = never, R2 = never, E3 = never, R3 = never, E4 = never, R4 = never>(
    p1: Policy<E1, R1>,
    p2: Policy<E2, R2>,
    p3: Policy<E3, R3>,
    p4: Policy<E4, R4>
  ): Policy<E1 | E2 | E3 | E4, R1 | R2 | R3 | R4>
  <
    E1 = never,
    R1 = never,
    E2 = never,
    R2 = never,
    E3 = never,
    R3 = never,
    E4 = never,
    R4 = never,
    E5 = never,
    R5 = never
  >(
    p1: Policy<E1, R1>,
    p2: Policy<E2, R2>,
    p3: Policy<E3, R3>,
    p4: Policy<E4, R4>,
    p5: Policy<E5, R5>
  ): Policy<E1 | E2 | E3 | E4 | E5, R1 | R2 | R3 | R4 | R5>
  <
    E1 = never,
    R1 = never,
    E2 = never,
    R2 = never,
    E3 = never,
    R3 = never,
    E4 = never,
    R4 = never,
    E5 = never,
    R5 = never,
    E6 = never,
    R6 = never
  >(
    p1: Policy<E1, R1>,
    p2: Policy<E2, R2>,
    p3: Policy<E3, R3>,
    p4: Policy<E4, R4>,
    p5: Policy<E5, R5>,
    p6: Policy<E6, R6>
  ): Policy<E1 | E2 | E3 | E4 | E5 | E6, R1 | R2 | R3 | R4 | R5 | R6>
  <P extends ReadonlyArray<Policy<unknown, unknown>>>(...policies: P): Policy<Error<P[number]>, Context<P[number]>>
} = internal.wrap as never

/**
 * The policy that does nothing: `identity` for `wrap`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const identity: Policy = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => self

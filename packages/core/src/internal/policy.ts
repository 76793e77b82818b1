import type * as Effect from "effect/Effect"
import * as validate from "./validate.js"

type AnyPolicy = (self: Effect.Effect<unknown, unknown, unknown>) => Effect.Effect<unknown, unknown, unknown>

/** @internal */
export const wrap = (...policies: ReadonlyArray<AnyPolicy>): AnyPolicy => {
  policies.forEach((policy, i) => validate.func(`policies[${i}]`, policy))
  // p1 outermost: apply the innermost first
  return (self) => {
    let effect = self
    for (let i = policies.length - 1; i >= 0; i--) effect = policies[i](effect)
    return effect
  }
}

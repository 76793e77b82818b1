import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { ResilienceEvent } from "../ResilienceEvent.js"
import { dualValidated } from "./dual.js"
import { withInstrument } from "./observer.js"
import * as validate from "./validate.js"

/** @internal */
export interface Config {
  readonly to: (error: unknown) => Effect.Effect<unknown, unknown, unknown>
  readonly when: ((error: unknown) => boolean) | undefined
  readonly name: string
}

/** @internal */
export const validateOptions = (options: unknown): Config => {
  const o = validate.object("options", options)
  return {
    to: validate.func("to", o.to),
    when: validate.optionalFunc("when", o.when),
    name: validate.optionalName("name", o.name) ?? "fallback"
  }
}

/** @internal */
export const run = (
  self: Effect.Effect<unknown, unknown, unknown>,
  config: Config
): Effect.Effect<unknown, unknown, unknown> => {
  const { name, to, when } = config
  return Effect.catchAll(self, (error) => {
    if (when !== undefined && !when(error)) return Effect.fail(error)
    return withInstrument("Fallback", name, (instrument) => {
      if (!instrument.active) return to(error)
      return Effect.zipRight(
        Effect.map(Clock.currentTimeMillis, (at) => {
          instrument.emit(ResilienceEvent.FallbackUsed({ policyName: name, error, at }))
          instrument.record("fallback", 0)
        }),
        to(error)
      )
    })
  })
}

/** @internal */
export const fallback = dualValidated(validateOptions, run) as never

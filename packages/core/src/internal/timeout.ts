import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { ResilienceEvent } from "../ResilienceEvent.js"
import { dualValidated } from "./dual.js"
import { TimeoutError } from "./errors.js"
import * as names from "./names.js"
import { timed, withInstrument } from "./observer.js"
import * as validate from "./validate.js"

/** @internal */
export interface Config {
  readonly duration: Duration.Duration
  readonly name: string | undefined
  readonly instrumentName: string
}

/** @internal */
export const validateOptions = (
  options: Duration.DurationInput | { readonly duration: Duration.DurationInput; readonly name?: string | undefined }
): Config => {
  const isObject = typeof options === "object" && options !== null && !Array.isArray(options) &&
    !Duration.isDuration(options)
  const raw = isObject ? (options as { readonly duration: unknown }).duration : options
  const duration = validate.duration("duration", raw, { allowZero: false, allowInfinite: true })
  const name = isObject ? validate.optionalName("name", (options as { readonly name?: unknown }).name) : undefined
  return { duration, name, instrumentName: name ?? names.generate("timeout") }
}

/**
 * Races `self` with a sleep on the Clock. On timeout, `Fiber.interrupt` waits for `self`'s
 * finalizers before the `TimeoutError` is returned; interrupting the caller interrupts both.
 *
 * @internal
 */
export const run = <A, E, R>(self: Effect.Effect<A, E, R>, config: Config): Effect.Effect<A, E | TimeoutError, R> => {
  const { duration, instrumentName, name } = config
  if (!Duration.isFinite(duration)) return self
  const error = name === undefined ? new TimeoutError({ duration }) : new TimeoutError({ policyName: name, duration })
  return withInstrument("Timeout", instrumentName, (instrument) => {
    const raced = Effect.raceWith(self, Effect.sleep(duration), {
      onSelfDone: (exit, timer) => Effect.zipRight(Fiber.interrupt(timer), exit),
      onOtherDone: (_, fiber) => {
        const timedOut = Effect.zipRight(Fiber.interrupt(fiber), Effect.fail(error))
        if (!instrument.active) return timedOut
        return Effect.zipRight(
          Effect.map(Clock.currentTimeMillis, (at) => {
            instrument.emit(ResilienceEvent.TimedOut({ policyName: instrumentName, duration, at }))
          }),
          timedOut
        )
      }
    })
    return instrument.active ? timed(instrument, raced) : raced
  })
}

/** @internal */
export const timeout = dualValidated(validateOptions, run) as never

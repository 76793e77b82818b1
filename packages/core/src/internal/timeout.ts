import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { ResilienceEvent } from "../ResilienceEvent.js"
import { dualValidated } from "./dual.js"
import { TimeoutError } from "./errors.js"
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
  return { duration, name, instrumentName: name ?? "timeout" }
}

/**
 * `self` runs in a child fiber and a second child sleeps on the Clock. The caller waits for the
 * child's exit through an observer (no join, no race machinery); when the sleep ends first, it
 * interrupts the child, and the caller fails with `TimeoutError` once the child has exited, that
 * is after its finalizers have run. A finished call cancels the sleep without waiting for it.
 * Interrupting the caller interrupts both children.
 *
 * @internal
 */
export const run = <A, E, R>(self: Effect.Effect<A, E, R>, config: Config): Effect.Effect<A, E | TimeoutError, R> => {
  const { duration, instrumentName, name } = config
  if (!Duration.isFinite(duration)) return self
  const error = name === undefined ? new TimeoutError({ duration }) : new TimeoutError({ policyName: name, duration })
  return withInstrument("Timeout", instrumentName, (instrument, clock) => {
    const onTimeout: Effect.Effect<never, TimeoutError> = instrument.active
      ? Effect.zipRight(
        Effect.map(Clock.currentTimeMillis, (at) => {
          instrument.emit(ResilienceEvent.TimedOut({ policyName: instrumentName, duration, at }))
        }),
        Effect.fail(error)
      )
      : Effect.fail(error)
    const guarded = Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.fork(restore(self)), (fiber) => {
        let completed = false
        let timedOut = false
        const timer = Effect.interruptible(Effect.zipRight(
          Effect.sleep(duration),
          Effect.sync(() => {
            if (completed) return
            timedOut = true
            fiber.unsafeInterruptAsFork(FiberId.none)
          })
        ))
        return Effect.flatMap(Effect.fork(timer), (sleeper) =>
          Effect.flatMap(
            Effect.async<Exit.Exit<A, E>>((resume) => {
              fiber.addObserver((exit) => {
                completed = true
                resume(Effect.succeed(exit))
              })
              // the caller was interrupted: interrupt both, waiting for `self`'s finalizers
              return Effect.zipRight(Fiber.interrupt(sleeper), Fiber.interrupt(fiber))
            }),
            (exit): Effect.Effect<A, E | TimeoutError> => {
              sleeper.unsafeInterruptAsFork(FiberId.none)
              if (timedOut) return onTimeout
              return Exit.isSuccess(exit) ? Effect.as(fiber.inheritAll, exit.value) : exit
            }
          ))
      })
    )
    return instrument.active ? timed(instrument, clock, guarded) : guarded
  })
}

/** @internal */
export const timeout = dualValidated(validateOptions, run) as never

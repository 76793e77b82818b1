import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { ResilienceEvent } from "../ResilienceEvent.js"
import { dualValidated } from "./dual.js"
import { TimeoutError } from "./errors.js"
import { withInstrument } from "./observer.js"
import * as timers from "./timers.js"
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
 * `self` runs in a child fiber (the only fiber per call) and a deadline is armed on the Clock's
 * shared timer for the duration (`timers.ts`: no fiber and no Clock timer per call). The caller
 * waits for the child's exit through an observer (no join, no race machinery); when the deadline
 * fires first, it interrupts the child, and the caller fails with `TimeoutError` once the child
 * has exited, that is after its finalizers have run. A finished call cancels its deadline.
 * Interrupting the caller cancels the deadline and interrupts the child, waiting for it.
 *
 * @internal
 */
export const run = <A, E, R>(self: Effect.Effect<A, E, R>, config: Config): Effect.Effect<A, E | TimeoutError, R> => {
  const { duration, instrumentName, name } = config
  if (!Duration.isFinite(duration)) return self
  const error = name === undefined ? new TimeoutError({ duration }) : new TimeoutError({ policyName: name, duration })
  const failed = Effect.fail(error)
  const timer = new timers.Timer(Duration.toMillis(duration))
  return withInstrument(
    "Timeout",
    instrumentName,
    (instrument, clock) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.fork(restore(self)), (fiber) => {
          // with an active instrument the outcome and duration are recorded where the caller
          // resumes: one place sees success, failure, timeout and the caller's interruption
          const start = instrument.active ? clock.unsafeCurrentTimeMillis() : 0
          let timedOut = false
          return timers.armed(timer, clock, () => {
            timedOut = true
            fiber.unsafeInterruptAsFork(FiberId.none)
          }, (deadline) =>
            Effect.flatMap(
              Effect.async<Exit.Exit<A, E>>((resume) => {
                fiber.addObserver((exit) => resume(Effect.succeed(exit)))
                // the caller was interrupted: interrupt `self`, waiting for its finalizers
                return Effect.suspend(() => {
                  deadline.cancel()
                  if (instrument.active) instrument.record("interrupted", clock.unsafeCurrentTimeMillis() - start)
                  return Fiber.interrupt(fiber)
                })
              }),
              (exit): Effect.Effect<A, E | TimeoutError> => {
                deadline.cancel()
                if (instrument.active) {
                  const now = clock.unsafeCurrentTimeMillis()
                  if (timedOut) {
                    instrument.emit(ResilienceEvent.TimedOut({ policyName: instrumentName, duration, at: now }))
                  }
                  instrument.record(
                    timedOut
                      ? "failure"
                      : Exit.isSuccess(exit)
                      ? "success"
                      : Cause.isInterruptedOnly(exit.cause)
                      ? "interrupted"
                      : "failure",
                    now - start
                  )
                }
                if (timedOut) return failed
                return Exit.isSuccess(exit) ? Effect.as(fiber.inheritAll, exit.value) : exit
              }
            ))
        })
      )
  )
}

/** @internal */
export const timeout = dualValidated(validateOptions, run) as never

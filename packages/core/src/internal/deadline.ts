/**
 * The deadline of the running fiber: an instant on its Clock (milliseconds), `Infinity` when
 * there is none. It lives in a `FiberRef`, so fibers forked below inherit it, and a joined
 * fiber never hands its (possibly tighter) deadline back to its parent.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import { dualValidated } from "./dual.js"
import { DeadlineExceeded } from "./errors.js"
import * as timeout from "./timeout.js"

/** @internal */
export const currentDeadline: FiberRef.FiberRef<number> = globalValue(
  Symbol.for("@effect-resilience/core/Deadline/currentDeadline"),
  () => FiberRef.unsafeMake<number>(Infinity, { fork: (deadline) => deadline, join: (parent) => parent })
)

/** @internal */
export interface Config {
  /** milliseconds; `Infinity` adds no deadline of its own */
  readonly millis: number
  readonly error: DeadlineExceeded
}

/** @internal */
export const validateOptions = (
  options: Duration.DurationInput | { readonly duration: Duration.DurationInput; readonly name?: string | undefined }
): Config => {
  // the same options as a Timeout's, validated the same way
  const { duration, name } = timeout.validateOptions(options)
  const remaining = Duration.zero
  return {
    millis: Duration.isFinite(duration) ? Duration.toMillis(duration) : Infinity,
    error: name === undefined
      ? new DeadlineExceeded({ remaining })
      : new DeadlineExceeded({ policyName: name, remaining })
  }
}

/**
 * Sets the deadline to `min(current, now + duration)` for `self`, and interrupts `self` when it
 * passes: `DeadlineExceeded` is returned once `self`'s finalizers have run. A deadline that has
 * already passed fails at once without starting `self`.
 *
 * @internal
 */
export const run = <A, E, R>(self: Effect.Effect<A, E, R>, config: Config): Effect.Effect<A, E | DeadlineExceeded, R> =>
  Effect.withFiberRuntime((fiber) => {
    const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
    const deadline = Math.min(fiber.getFiberRef(currentDeadline), now + config.millis)
    if (deadline === Infinity) return self
    const left = deadline - now
    if (left <= 0) return Effect.fail(config.error)
    return Effect.timeoutFail(Effect.locally(self, currentDeadline, deadline), {
      duration: Duration.millis(left),
      onTimeout: () => config.error
    })
  })

/** @internal */
export const within = dualValidated(validateOptions, run) as never

/** @internal */
export const remaining: Effect.Effect<Option.Option<Duration.Duration>> = Effect.withFiberRuntime((fiber) => {
  const deadline = fiber.getFiberRef(currentDeadline)
  if (deadline === Infinity) return Effect.succeed(Option.none())
  const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
  return Effect.succeed(Option.some(Duration.millis(Math.max(0, deadline - now))))
})

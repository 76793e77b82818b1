import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import { ResilienceEvent } from "../ResilienceEvent.js"
import type * as RetryBudget from "../RetryBudget.js"
import { currentDeadline } from "./deadline.js"
import { dualValidated } from "./dual.js"
import { isPermanentRejection } from "./errors.js"
import { type Instrument, recording, withInstrument } from "./observer.js"
import * as validate from "./validate.js"

/** @internal */
export interface Config<E, R> {
  readonly name: string
  readonly schedule: Schedule.Schedule<unknown, E, R>
  readonly shouldRetry: (error: E) => boolean
  readonly budget: RetryBudget.RetryBudget | undefined
  /** milliseconds: no retry starts with less than this left before the deadline */
  readonly minAttempt: number
}

const notPermanent = (error: unknown): boolean => !isPermanentRejection(error)

/** @internal */
export const isBudget = (u: unknown): u is RetryBudget.RetryBudget =>
  typeof u === "object" && u !== null && "tryWithdraw" in u && "deposit" in u && Effect.isEffect(u.tryWithdraw)

/** @internal */
export const validateOptions = <E, R>(options: {
  readonly schedule: Schedule.Schedule<unknown, E, R>
  readonly while?: ((error: E) => boolean) | undefined
  readonly budget?: RetryBudget.RetryBudget | undefined
  readonly name?: string | undefined
  readonly minAttempt?: Duration.DurationInput | undefined
}): Config<E, R> => {
  const o = validate.object("options", options)
  if (!Schedule.isSchedule(o.schedule)) validate.fail("schedule", "must be a Schedule", o.schedule)
  const shouldRetry = validate.optionalFunc<(error: E) => boolean>("while", o.while) ?? notPermanent
  if (o.budget !== undefined && !isBudget(o.budget)) validate.fail("budget", "must be a RetryBudget", o.budget)
  return {
    name: validate.optionalName("name", o.name) ?? "retry",
    schedule: options.schedule,
    shouldRetry,
    budget: options.budget,
    minAttempt: Duration.toMillis(validate.optionalDuration("minAttempt", o.minAttempt) ?? Duration.zero)
  }
}

type GiveUpReason = "ScheduleEnded" | "NotRetryable" | "BudgetExhausted" | "DeadlineExceeded"

/**
 * The retry loop, entered only after the first failure: the success path builds no schedule
 * state and reads no clock. The schedule is stepped by hand (rather than through
 * `Schedule.driver`) so the delay is known, and reported, before the sleep, and checked against
 * the fiber's deadline: no sleep ends past it, and no retry starts with less than `minAttempt`
 * left.
 */
const retryLoop = <A, E, R, R2>(
  self: Effect.Effect<A, E, R>,
  config: Config<E, R2>,
  instrument: Instrument,
  firstError: E
): Effect.Effect<A, E, R | R2> => {
  const { budget, minAttempt, name, schedule, shouldRetry } = config
  let state = schedule.initial
  let attempts = 1
  const giveUp = (reason: GiveUpReason, error: E, now: number): Effect.Effect<never, E> => {
    if (instrument.active) {
      instrument.emit(ResilienceEvent.RetryGaveUp({ policyName: name, attempts, reason, error, at: now }))
    }
    return Effect.fail(error)
  }
  const onFailure = (error: E): Effect.Effect<A, E, R | R2> =>
    Effect.withFiberRuntime((fiber) => {
      const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
      if (!shouldRetry(error)) return giveUp("NotRetryable", error, now)
      const deadline = fiber.getFiberRef(currentDeadline)
      return Effect.flatMap(schedule.step(now, error, state), ([next, _out, decision]) => {
        if (ScheduleDecision.isDone(decision)) return giveUp("ScheduleEnded", error, now)
        state = next
        const delay = Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
        if (deadline !== Infinity) {
          const left = deadline - now - delay
          if (left <= 0 || left < minAttempt) return giveUp("DeadlineExceeded", error, now)
        }
        const retryNow = () => {
          if (instrument.active) {
            instrument.emit(ResilienceEvent.RetryScheduled({
              policyName: name,
              attempt: attempts,
              delay: Duration.millis(delay),
              error,
              at: now
            }))
          }
          attempts++
          const attempt = Effect.catchAll(self, onFailure)
          return delay === 0 ? attempt : Effect.zipRight(Effect.sleep(Duration.millis(delay)), attempt)
        }
        if (budget === undefined) return retryNow()
        return Effect.flatMap(budget.tryWithdraw, (allowed) => {
          if (allowed) return retryNow()
          if (instrument.active) {
            instrument.emit(ResilienceEvent.BudgetExhausted({ policyName: name, budgetName: budget.name, at: now }))
          }
          return giveUp("BudgetExhausted", error, now)
        })
      })
    })
  return onFailure(firstError)
}

/** @internal */
export const run = <A, E, R, R2>(
  self: Effect.Effect<A, E, R>,
  config: Config<E, R2>
): Effect.Effect<A, E, R | R2> =>
  withInstrument("Retry", config.name, (instrument, clock) => {
    let program: Effect.Effect<A, E, R | R2>
    if (!instrument.active) {
      program = Effect.catchAll(self, (error) => retryLoop(self, config, instrument, error))
    } else {
      // one matchCause both catches the first failure and records a first-attempt outcome
      const start = clock.unsafeCurrentTimeMillis()
      const handlers = recording<A, E>(instrument, clock, start)
      program = Effect.matchCauseEffect(self, {
        onFailure: (cause) => {
          const failure = Cause.failureOrCause(cause)
          if (failure._tag === "Right") return handlers.onFailure(cause)
          return Effect.matchCauseEffect(retryLoop(self, config, instrument, failure.left), handlers)
        },
        onSuccess: handlers.onSuccess
      })
    }
    return config.budget === undefined ? program : Effect.zipRight(config.budget.deposit, program)
  })

/** @internal */
export const retry = dualValidated(validateOptions, run) as never

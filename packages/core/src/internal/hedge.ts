import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scheduler from "effect/Scheduler"
import { ResilienceEvent } from "../ResilienceEvent.js"
import type * as RetryBudget from "../RetryBudget.js"
import { dualValidated } from "./dual.js"
import { type Instrument, withInstrument } from "./observer.js"
import { isBudget } from "./retry.js"
import * as timers from "./timers.js"
import * as validate from "./validate.js"

/** @internal */
export interface Config {
  readonly delay: Duration.Duration
  readonly maxHedges: number
  readonly budget: RetryBudget.RetryBudget | undefined
  readonly name: string
}

/** @internal */
export const validateOptions = (options: unknown): Config => {
  const o = validate.object("options", options)
  const budget = o.budget as RetryBudget.RetryBudget | undefined
  if (budget !== undefined && !isBudget(budget)) {
    validate.fail("budget", "must be a RetryBudget", budget)
  }
  return {
    delay: validate.duration("delay", o.delay),
    maxHedges: o.maxHedges === undefined ? 1 : validate.integer("maxHedges", o.maxHedges, 0),
    budget,
    name: validate.optionalName("name", o.name) ?? "hedge"
  }
}

type Signal<A, E> =
  | { readonly _tag: "Done"; readonly attempt: number; readonly exit: Exit.Exit<A, E> }
  | { readonly _tag: "Tick"; readonly launched: number }

/**
 * The coordinator runs in the caller's fiber: attempts are child fibers and the hedge delay a
 * deadline on the Clock's shared timer, which report through observers and callbacks to an inbox, and every decision (launch, win, give up) is taken in one
 * place. No queue and no join: the caller sleeps on one callback between signals.
 */
const coordinate = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  config: Config,
  delayTimer: timers.Timer,
  instrument: Instrument,
  clock: Clock.Clock,
  scheduler: Scheduler.Scheduler
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      const { budget, maxHedges, name } = config
      const maxAttempts = 1 + maxHedges
      const attempts: Array<Fiber.RuntimeFiber<A, E>> = []
      const inbox: Array<Signal<A, E>> = []
      let wake: (() => void) | undefined
      let timer: timers.Entry | undefined
      let running = 0
      let primaryCause: Cause.Cause<E> | undefined
      let start = 0

      const signal = (message: Signal<A, E>): void => {
        inbox.push(message)
        if (wake !== undefined) {
          const resume = wake
          wake = undefined
          resume()
        }
      }
      const next: Effect.Effect<Signal<A, E>> = Effect.suspend(() =>
        inbox.length > 0 ? Effect.succeed(inbox.shift()!) : Effect.async<Signal<A, E>>((resume) => {
          wake = () => resume(Effect.sync(() => inbox.shift()!))
          return Effect.sync(() => {
            wake = undefined
          })
        })
      )
      const launch = Effect.map(Effect.fork(restore(self)), (fiber) => {
        const attempt = attempts.length
        attempts.push(fiber)
        running++
        fiber.addObserver((exit) => signal({ _tag: "Done", attempt, exit }))
      })
      // the hedge delay is a deadline on the Clock's shared timer (no fiber of its own)
      const stopTimer = (): void => {
        timer?.cancel(scheduler)
        timer = undefined
      }
      const armTimer = Effect.suspend(() => {
        if (attempts.length >= maxAttempts) return Effect.void
        const launched = attempts.length
        return timers.armed(delayTimer, clock, () => signal({ _tag: "Tick", launched }), (entry) => {
          timer = entry
          return Effect.void
        })
      })
      // A hedge needs a withdrawal from the budget, when one is given.
      const tryHedge: Effect.Effect<boolean, never, R> = Effect.suspend(() => {
        if (attempts.length >= maxAttempts) return Effect.succeed(false)
        const allowed = budget === undefined ? Effect.succeed(true) : budget.tryWithdraw
        return Effect.flatMap(allowed, (ok) => {
          if (!ok && !instrument.active) return Effect.succeed(false)
          return Effect.flatMap(Clock.currentTimeMillis, (at) => {
            if (!ok) {
              if (budget !== undefined) {
                instrument.emit(ResilienceEvent.BudgetExhausted({ policyName: name, budgetName: budget.name, at }))
              }
              return Effect.succeed(false)
            }
            if (instrument.active) {
              instrument.emit(ResilienceEvent.HedgeLaunched({ policyName: name, attempt: attempts.length, at }))
            }
            stopTimer()
            return Effect.as(Effect.zipRight(launch, armTimer), true)
          })
        })
      })
      const record = (outcome: "success" | "hedged" | "failure"): Effect.Effect<void> =>
        instrument.active
          ? Effect.map(Clock.currentTimeMillis, (end) => instrument.record(outcome, end - start))
          : Effect.void
      const interruptAll = Effect.suspend(() => {
        stopTimer()
        return Fiber.interruptAll(attempts)
      })

      const handle = (message: Signal<A, E>): Effect.Effect<A, E, R> => {
        if (message._tag === "Tick") {
          if (message.launched !== attempts.length) return loop
          timer = undefined
          return Effect.zipRight(tryHedge, loop)
        }
        running--
        const { attempt, exit } = message
        if (Exit.isSuccess(exit)) {
          // every loser is interrupted, and has run its finalizers, before the winner returns
          stopTimer()
          const losers = attempts.length === 1
            ? Effect.void
            : Fiber.interruptAll(attempts.filter((_, i) => i !== attempt))
          return losers.pipe(
            Effect.zipRight(attempts[attempt].inheritAll),
            Effect.zipRight(record(attempt === 0 ? "success" : "hedged")),
            Effect.as(exit.value)
          )
        }
        if (attempt === 0) primaryCause = exit.cause
        if (running > 0) return loop
        return Effect.flatMap(tryHedge, (launched) => {
          if (launched) return loop
          stopTimer()
          return Effect.zipRight(record("failure"), Effect.failCause(primaryCause!))
        })
      }
      const loop: Effect.Effect<A, E, R> = Effect.flatMap(restore(next), handle)

      const begin = Effect.zipRight(launch, Effect.zipRight(armTimer, loop))
      const started = instrument.active
        ? Effect.flatMap(Clock.currentTimeMillis, (now) => {
          start = now
          return begin
        })
        : begin
      const deposited = budget === undefined ? started : Effect.zipRight(budget.deposit, started)
      return Effect.onInterrupt(deposited, () => interruptAll)
    })
  )

/** @internal */
export const run = <A, E, R>(self: Effect.Effect<A, E, R>, config: Config): Effect.Effect<A, E, R> => {
  const delayTimer = new timers.Timer(Duration.toMillis(config.delay))
  return withInstrument(
    "Hedge",
    config.name,
    (instrument, clock, caller) => coordinate(self, config, delayTimer, instrument, clock, caller.currentScheduler)
  )
}

/** @internal */
export const hedge = dualValidated(validateOptions, run) as never

import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import { ResilienceEvent } from "../ResilienceEvent.js"
import type * as RetryBudget from "../RetryBudget.js"
import { dualValidated } from "./dual.js"
import { type Instrument, withInstrument } from "./observer.js"
import { isBudget } from "./retry.js"
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
 * The coordinator runs in the caller's fiber: attempts and the hedge timer are child fibers
 * that report to one queue, so every decision (launch, win, give up) is taken in one place.
 */
const coordinate = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  config: Config,
  instrument: Instrument
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const { budget, delay, maxHedges, name } = config
      const maxAttempts = 1 + maxHedges
      const signals = yield* Queue.unbounded<Signal<A, E>>()
      const attempts: Array<Fiber.RuntimeFiber<void>> = []
      let timer: Fiber.RuntimeFiber<void> | undefined
      let running = 0
      let primaryCause: Cause.Cause<E> | undefined

      const launch = Effect.suspend(() => {
        const attempt = attempts.length
        running++
        return Effect.map(
          Effect.fork(
            Effect.flatMap(
              Effect.exit(restore(self)),
              (exit) => Queue.offer(signals, { _tag: "Done", attempt, exit }).pipe(Effect.asVoid)
            )
          ),
          (fiber) => {
            attempts.push(fiber)
          }
        )
      })
      const stopTimer = Effect.suspend(() => {
        const current = timer
        timer = undefined
        return current === undefined ? Effect.void : Fiber.interrupt(current)
      })
      const armTimer = Effect.suspend(() => {
        if (attempts.length >= maxAttempts) return Effect.void
        const launched = attempts.length
        return Effect.map(
          Effect.fork(
            Effect.interruptible(
              Effect.asVoid(Effect.zipRight(Effect.sleep(delay), Queue.offer(signals, { _tag: "Tick", launched })))
            )
          ),
          (fiber) => {
            timer = fiber
          }
        )
      })
      // A hedge needs a withdrawal from the budget, when one is given.
      const tryHedge: Effect.Effect<boolean, never, R> = Effect.suspend(() => {
        if (attempts.length >= maxAttempts) return Effect.succeed(false)
        const allowed = budget === undefined ? Effect.succeed(true) : budget.tryWithdraw
        return Effect.flatMap(allowed, (ok) =>
          Effect.flatMap(Clock.currentTimeMillis, (at) => {
            if (!ok) {
              if (instrument.active && budget !== undefined) {
                instrument.emit(ResilienceEvent.BudgetExhausted({ policyName: name, budgetName: budget.name, at }))
              }
              return Effect.succeed(false)
            }
            if (instrument.active) {
              instrument.emit(ResilienceEvent.HedgeLaunched({ policyName: name, attempt: attempts.length, at }))
            }
            return Effect.as(Effect.zipRight(launch, Effect.zipRight(stopTimer, armTimer)), true)
          }))
      })
      const interruptAll = Effect.suspend(() => Effect.zipRight(stopTimer, Fiber.interruptAll(attempts)))

      const start = instrument.active ? yield* Clock.currentTimeMillis : 0
      const record = (outcome: "success" | "hedged" | "failure") =>
        Effect.map(Clock.currentTimeMillis, (end) => instrument.record(outcome, end - start))
      if (budget !== undefined) yield* budget.deposit
      yield* launch
      yield* armTimer
      while (true) {
        const signal = yield* Effect.onInterrupt(restore(Queue.take(signals)), () => interruptAll)
        if (signal._tag === "Tick") {
          if (signal.launched === attempts.length) {
            timer = undefined
            yield* tryHedge
          }
          continue
        }
        running--
        const { attempt, exit } = signal
        if (Exit.isSuccess(exit)) {
          // every loser is interrupted, and has run its finalizers, before the winner returns
          yield* interruptAll
          if (instrument.active) yield* record(attempt === 0 ? "success" : "hedged")
          return exit.value
        }
        if (attempt === 0) primaryCause = exit.cause
        if (running === 0 && !(yield* tryHedge)) {
          yield* stopTimer
          if (instrument.active) yield* record("failure")
          return yield* Effect.failCause(primaryCause!)
        }
      }
    })
  )

/** @internal */
export const run = <A, E, R>(self: Effect.Effect<A, E, R>, config: Config): Effect.Effect<A, E, R> =>
  withInstrument("Hedge", config.name, (instrument) => coordinate(self, config, instrument))

/** @internal */
export const hedge = dualValidated(validateOptions, run) as never

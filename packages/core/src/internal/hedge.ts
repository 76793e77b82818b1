import type * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { ResilienceEvent } from "../ResilienceEvent.js"
import type * as RetryBudget from "../RetryBudget.js"
import { currentDeadline } from "./deadline.js"
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

/**
 * One hedged call. The coordinator runs in the caller's fiber: attempts are child fibers and the
 * hedge delay a deadline on the Clock's shared timer, which report through observers and
 * callbacks to an inbox, and every decision (launch, win, give up) is taken in one place. No
 * queue and no join: the caller sleeps on one callback between signals, and the only point where
 * it can be interrupted is that wait.
 *
 * The inbox holds `k, exit` for "attempt k has exited" and `-1 - n` for "the delay armed after n
 * launches has passed" (stale once another attempt has started).
 */
class Coordinator<A, E, R> {
  readonly attempts: Array<Fiber.RuntimeFiber<A, E>> = []
  /** `k, exit` when attempt k has exited; `-1 - n` when the delay armed after n launches passed */
  readonly inbox: Array<number | Exit.Exit<A, E>> = []
  resume: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  timer: timers.Entry | undefined = undefined
  running = 0
  primaryCause: Cause.Cause<E> | undefined = undefined
  start = 0
  readonly attempt: Effect.Effect<A, E, R>
  /** made on the first wait */
  private wait: Effect.Effect<A, E, R> | undefined = undefined
  readonly maxAttempts: number

  constructor(
    self: Effect.Effect<A, E, R>,
    readonly config: Config,
    readonly delayTimer: timers.Timer,
    readonly instrument: Instrument,
    readonly clock: Clock.Clock,
    private readonly restore: <AX, EX, RX>(effect: Effect.Effect<AX, EX, RX>) => Effect.Effect<AX, EX, RX>
  ) {
    this.attempt = restore(self)
    this.maxAttempts = 1 + config.maxHedges
  }

  signal(message: number, exit?: Exit.Exit<A, E>): void {
    if (exit === undefined) this.inbox.push(message)
    else this.inbox.push(message, exit)
    const resume = this.resume
    if (resume !== undefined) {
      this.resume = undefined
      resume(Effect.void)
    }
  }

  /** the wait's canceler is the caller's interruption: every attempt is interrupted, and awaited */
  readonly register = (resume: (effect: Effect.Effect<void>) => void): Effect.Effect<void> => {
    this.resume = resume
    return Effect.suspend(() => {
      this.resume = undefined
      this.stopTimer()
      return Fiber.interruptAll(this.attempts)
    })
  }

  /** the continuation of the first fork (with the primary's fiber) and of every wait (void) */
  readonly next = (primary: Fiber.RuntimeFiber<A, E> | void): Effect.Effect<A, E, R> => {
    if (primary === undefined) return this.loop()
    this.adopt(primary)
    const started = this.armTimer()
    const next = this.loop()
    return started === Effect.void ? next : Effect.zipRight(started, next)
  }

  loop(): Effect.Effect<A, E, R> {
    const inbox = this.inbox
    while (inbox.length > 0) {
      const message = inbox.shift() as number
      const decided = this.handle(message, message >= 0 ? inbox.shift() as Exit.Exit<A, E> : undefined)
      if (decided !== undefined) return decided
    }
    return this.wait ??= Effect.flatMap(this.restore(Effect.async<void>(this.register)), this.next)
  }

  begin(): Effect.Effect<A, E, R> {
    return Effect.flatMap(Effect.fork(this.attempt), this.next)
  }

  launch(): Effect.Effect<void, never, R> {
    return Effect.flatMap(Effect.fork(this.attempt), (fiber) => {
      this.adopt(fiber)
      return this.armTimer()
    })
  }

  adopt(fiber: Fiber.RuntimeFiber<A, E>): void {
    const index = this.attempts.length
    this.attempts.push(fiber)
    this.running++
    fiber.addObserver((exit) => this.signal(index, exit))
  }

  // the hedge delay is a deadline on the Clock's shared timer (no fiber of its own)
  armTimer(): Effect.Effect<void> {
    const launched = this.attempts.length
    if (launched >= this.maxAttempts) return Effect.void
    const entry = this.delayTimer.arm(this.clock, () => this.signal(-1 - launched))
    this.timer = entry
    return timers.started(entry)
  }

  stopTimer(): void {
    if (this.timer !== undefined) {
      this.timer.cancel()
      this.timer = undefined
    }
  }

  /**
   * a hedge needs time before the fiber's deadline (read only here, when a hedge is due) and a
   * withdrawal from the budget, when one is given
   */
  tryHedge(): Effect.Effect<boolean, never, R> {
    if (this.attempts.length >= this.maxAttempts) return Effect.succeed(false)
    return Effect.withFiberRuntime((fiber) =>
      this.clock.unsafeCurrentTimeMillis() >= fiber.getFiberRef(currentDeadline)
        ? Effect.succeed(false)
        : this.withdraw()
    )
  }

  withdraw(): Effect.Effect<boolean, never, R> {
    const { budget, name } = this.config
    const instrument = this.instrument
    const allowed = budget === undefined ? Effect.succeed(true) : budget.tryWithdraw
    return Effect.flatMap(allowed, (ok) => {
      if (instrument.active) {
        const at = this.clock.unsafeCurrentTimeMillis()
        if (!ok && budget !== undefined) {
          instrument.emit(ResilienceEvent.BudgetExhausted({ policyName: name, budgetName: budget.name, at }))
        } else if (ok) {
          instrument.emit(ResilienceEvent.HedgeLaunched({ policyName: name, attempt: this.attempts.length, at }))
        }
      }
      if (!ok) return Effect.succeed(false)
      this.stopTimer()
      return Effect.as(this.launch(), true)
    })
  }

  record(outcome: "success" | "hedged" | "failure"): void {
    if (this.instrument.active) this.instrument.record(outcome, this.clock.unsafeCurrentTimeMillis() - this.start)
  }

  /** the decision for one signal, or `undefined` to read the next */
  handle(message: number, attemptExit: Exit.Exit<A, E> | undefined): Effect.Effect<A, E, R> | undefined {
    if (message < 0) {
      if (-1 - message !== this.attempts.length) return undefined
      this.timer = undefined
      return Effect.flatMap(this.tryHedge(), () => this.loop())
    }
    this.running--
    const exit = attemptExit!
    if (Exit.isSuccess(exit)) {
      // every loser is interrupted, and has run its finalizers, before the winner returns
      this.stopTimer()
      const winner = this.attempts[message]
      const value = exit.value
      const outcome = message === 0 ? "success" : "hedged"
      const won = Effect.map(winner.inheritAll, () => {
        this.record(outcome)
        return value
      })
      return this.attempts.length === 1
        ? won
        : Effect.zipRight(Fiber.interruptAll(this.attempts.filter((_, i) => i !== message)), won)
    }
    if (message === 0) this.primaryCause = exit.cause
    if (this.running > 0) return undefined
    return Effect.flatMap(this.tryHedge(), (launched) => {
      if (launched) return this.loop()
      this.stopTimer()
      this.record("failure")
      return Effect.failCause(this.primaryCause!)
    })
  }
}

/** @internal */
export const run = <A, E, R>(self: Effect.Effect<A, E, R>, config: Config): Effect.Effect<A, E, R> => {
  const delayTimer = new timers.Timer(Duration.toMillis(config.delay))
  const budget = config.budget
  return withInstrument("Hedge", config.name, (instrument, clock) =>
    Effect.uninterruptibleMask((restore) => {
      const coordinator = new Coordinator(self, config, delayTimer, instrument, clock, restore)
      if (instrument.active) coordinator.start = clock.unsafeCurrentTimeMillis()
      return budget === undefined
        ? coordinator.begin()
        : Effect.zipRight(budget.deposit, Effect.suspend(() => coordinator.begin()))
    }))
}

/** @internal */
export const hedge = dualValidated(validateOptions, run) as never

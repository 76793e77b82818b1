/**
 * The breaker service: admits calls through its store, records their outcomes, publishes
 * transitions, and steps the `breakDuration` schedule. All of its mutable state is touched
 * synchronously, between two store operations of the same fiber.
 *
 * The hot path with the in-memory store is one uninterruptible region: read the Clock, admit
 * synchronously, run the call, read the Clock, record synchronously. No fiber, no Ref, and for
 * a Closed call no allocation by the store.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as CircuitBreaker from "../../CircuitBreaker.js"
import { ResilienceEvent } from "../../ResilienceEvent.js"
import { CircuitBreakerOpen } from "../errors.js"
import type { KeyListener } from "../keyed.js"
import * as names from "../names.js"
import { type CallOutcome, type Instrument, instrumentFrom } from "../observer.js"
import { MemoryStore } from "./memoryStore.js"
import { type Config, validateOptions } from "./options.js"

type Transition = CircuitBreaker.Transition
type Admission = CircuitBreaker.Store.Admission
type Result = CircuitBreaker.Store.Result
type Rejected = Extract<Admission, { readonly _tag: "Rejected" }>
type Admitted = Extract<Admission, { readonly _tag: "Admitted" }>
type Outcome = "success" | "failure" | "ignored" | "interrupted"

const classify = <A, E>(exit: Exit.Exit<A, E>, isFailure: ((error: unknown) => boolean) | undefined): Outcome => {
  if (Exit.isSuccess(exit)) return "success"
  const cause = exit.cause
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  if (isFailure === undefined || Cause.isDie(cause)) return "failure"
  const failure = Cause.failureOption(cause)
  if (failure._tag === "None") return "failure"
  try {
    return isFailure(failure.value) ? "failure" : "ignored"
  } catch {
    // a throwing predicate must not leak a probe slot: count the call as failed
    return "failure"
  }
}

/**
 * `Effect.matchCauseEffect` with positional handlers: the hot path passes anonymous arrows,
 * which transpilers that keep names (tsx, esbuild `keepNames`) do not rename on every call,
 * as they would arrows written as `onSuccess:` properties.
 */
const matchCause = <A, E, R, A1, E1, R1, A2, E2, R2>(
  self: Effect.Effect<A, E, R>,
  onFailure: (cause: Cause.Cause<E>) => Effect.Effect<A1, E1, R1>,
  onSuccess: (a: A) => Effect.Effect<A2, E2, R2>
): Effect.Effect<A1 | A2, E1 | E2, R | R1 | R2> => Effect.matchCauseEffect(self, { onFailure, onSuccess })

/**
 * One breaker. Its memory is what a service holds per instance, so it is kept small: no closure
 * but `protect` (bound, since it is passed around detached), no pre-built effects, and no
 * finalizer until `changes` has a subscriber (the only thing the breaker's scope must end).
 */
class Breaker implements CircuitBreaker.CircuitBreaker {
  readonly protect: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitBreakerOpen, R>
  /** created on the first subscription to `changes`, with the finalizer that shuts it down */
  hub: PubSub.PubSub<Transition> | undefined = undefined
  /** transitions waiting to be published, in the order the store made them */
  pending: Array<Transition> | undefined = undefined
  closed = false
  /** the break the next opening starts */
  nextBreak: number
  scheduleState: unknown = undefined
  scheduleDone = false
  /** a keyed breaker's key, told when the breaker must be kept and when it records a call */
  listener: KeyListener | undefined = undefined

  constructor(
    readonly name: string,
    readonly store: CircuitBreaker.Store,
    readonly config: Config,
    readonly instrument: Instrument,
    /** the breaker's scope: `changes` adds the finalizer that ends its subscriptions */
    readonly scope: Scope.Scope,
    /** the key, for a breaker of a keyed instance */
    readonly key: string | undefined = undefined
  ) {
    this.nextBreak = config.breakMillis
    // a bound method rather than an arrow: no closure context per breaker
    this.protect = store instanceof MemoryStore ? this.protectInMemory.bind(this) : this.protectWithStore.bind(this)
  }

  // --- publishing ------------------------------------------------------------------------

  /**
   * Reports the transitions of one store operation (events now; `changes` through `pending`)
   * and returns what must run next: publishing, and stepping the schedule after an opening
   * or a close. Undefined when there is nothing to do, which is almost always.
   */
  private after(transitions: ReadonlyArray<Transition>, opened: boolean, now: number): Effect.Effect<void> | undefined {
    let closed = false
    if (transitions.length > 0) {
      if (this.listener !== undefined) {
        // only a Closed breaker may be forgotten; closing clears its counts
        if (transitions[transitions.length - 1].to === "Closed") this.listener.release(true)
        else this.listener.pin()
      }
      for (const t of transitions) {
        if (t.to === "Closed") closed = true
        if (this.instrument.active) {
          this.instrument.emit(
            ResilienceEvent.CircuitBreakerTransition({ policyName: this.name, from: t.from, to: t.to, at: t.at })
          )
        }
      }
      if (this.hub !== undefined) {
        if (this.pending === undefined) this.pending = transitions.slice()
        else this.pending.push(...transitions)
      }
    }
    let next: Effect.Effect<void> | undefined = this.pending === undefined ? undefined : this.flush
    if (this.config.schedule !== undefined && (closed || opened)) {
      const step = this.stepSchedule(now, closed)
      next = next === undefined ? step : Effect.zipRight(next, step)
    }
    return next
  }

  private get flush(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const items = this.pending
      this.pending = undefined
      return items === undefined || this.hub === undefined
        ? Effect.void
        : Effect.asVoid(PubSub.publishAll(this.hub, items))
    })
  }

  private afterResult<A>(result: Result, now: number, value: A): Effect.Effect<A> {
    const next = this.after(result.transitions, result.opened, now)
    return next === undefined ? Effect.succeed(value) : Effect.as(next, value)
  }

  /**
   * The schedule's next delay becomes the next break. A close restarts the schedule; once it
   * ends, its last delay repeats.
   */
  stepSchedule(now: number, restart: boolean): Effect.Effect<void> {
    const schedule = this.config.schedule!
    if (restart) {
      this.scheduleState = schedule.initial
      this.scheduleDone = false
    } else if (this.scheduleDone) {
      return Effect.void
    }
    return Effect.map(schedule.step(now, undefined, this.scheduleState), ([state, _out, decision]) => {
      if (ScheduleDecision.isDone(decision)) {
        this.scheduleDone = true
        return
      }
      this.scheduleState = state
      this.nextBreak = Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
    })
  }

  // --- calls -----------------------------------------------------------------------------

  private reject(
    admission: Rejected,
    now: number,
    next: Effect.Effect<void> | undefined
  ): Effect.Effect<never, CircuitBreakerOpen> {
    const retryAfter = Duration.millis(admission.retryAfterMillis)
    const error = this.key === undefined
      ? new CircuitBreakerOpen({ policyName: this.name, state: admission.state, retryAfter })
      : new CircuitBreakerOpen({ policyName: this.name, key: this.key, state: admission.state, retryAfter })
    if (this.instrument.active) {
      this.instrument.emit(
        ResilienceEvent.CallRejected({
          policyName: this.name,
          policy: "CircuitBreaker",
          reason: admission.state,
          at: now
        })
      )
      this.instrument.record("rejected", 0)
    }
    return next === undefined ? Effect.fail(error) : Effect.zipRight(next, Effect.fail(error))
  }

  private isSlow(outcome: Outcome, start: number, end: number): boolean {
    const slowMillis = this.config.slowMillis
    return slowMillis !== undefined && (outcome === "success" || outcome === "failure") && end - start > slowMillis
  }

  private recordCall(outcome: Outcome, start: number, end: number): void {
    if (this.instrument.active) this.instrument.record(outcome as CallOutcome, end - start)
  }

  /**
   * Only a probe lease needs an uninterruptible region (interrupted between admission and the
   * call, it would leak). A Closed call holds nothing, so an interruption that skips its
   * recording is exactly "interruption is never recorded": it runs under a plain
   * `matchCauseEffect`, the cheapest way to see its exit.
   */
  private protectInMemory<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitBreakerOpen, R> {
    const store = this.store as MemoryStore
    return Effect.withFiberRuntime((fiber): Effect.Effect<A, E | CircuitBreakerOpen, R> => {
      const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
      const start = clock.unsafeCurrentTimeMillis()
      if (store.unsafeMayLease(start)) {
        return Effect.uninterruptibleMask((restore): Effect.Effect<A, E | CircuitBreakerOpen, R> => {
          const now = clock.unsafeCurrentTimeMillis()
          const admission = store.unsafeAdmit(now)
          const before = this.after(admission.transitions, false, now)
          if (admission._tag === "Rejected") return this.reject(admission, now, before)
          const call = Effect.flatMap(
            Effect.exit(restore(self)),
            (exit) => this.settleInMemory(store, clock, admission, now, exit)
          )
          return before === undefined ? call : Effect.zipRight(before, call)
        })
      }
      // neither a lease nor a transition can come of this admission
      const admission = store.unsafeAdmit(start)
      if (admission._tag === "Rejected") return this.reject(admission, start, undefined)
      // an interrupted Closed call skips its handlers: it is neither recorded nor counted in metrics
      return matchCause(
        self,
        (cause) => this.settleInMemory(store, clock, admission, start, Exit.failCause(cause)),
        (a) => this.settleInMemory(store, clock, admission, start, Exit.succeed(a))
      )
    })
  }

  private settleInMemory<A, E>(
    store: MemoryStore,
    clock: Clock.Clock,
    admission: Admitted,
    start: number,
    exit: Exit.Exit<A, E>
  ): Effect.Effect<A, E> {
    const end = clock.unsafeCurrentTimeMillis()
    const outcome = classify(exit, this.config.isFailure)
    const result = store.unsafeRecord(
      admission,
      outcome === "interrupted" ? "ignored" : outcome,
      this.isSlow(outcome, start, end),
      end,
      this.nextBreak
    )
    if (this.listener !== undefined && (outcome === "success" || outcome === "failure")) this.listener.used()
    this.recordCall(outcome, start, end)
    const next = result.transitions.length === 0 && !result.opened
      ? undefined
      : this.after(result.transitions, result.opened, end)
    return next === undefined ? exit : Effect.zipRight(next, exit)
  }

  private protectWithStore<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitBreakerOpen, R> {
    const store = this.store
    return Effect.uninterruptibleMask((restore) =>
      Effect.clockWith((clock) => {
        const start = clock.unsafeCurrentTimeMillis()
        return Effect.flatMap(store.admit(start), (admission): Effect.Effect<A, E | CircuitBreakerOpen, R> => {
          const before = this.after(admission.transitions, false, start)
          if (admission._tag === "Rejected") return this.reject(admission, start, before)
          const call = Effect.flatMap(Effect.exit(restore(self)), (exit) => this.settle(admission, exit, start))
          return before === undefined ? call : Effect.zipRight(before, call)
        })
      })
    )
  }

  private settle<A, E>(admission: Admitted, exit: Exit.Exit<A, E>, start: number): Effect.Effect<A, E> {
    return Effect.clockWith((clock) => {
      const end = clock.unsafeCurrentTimeMillis()
      const outcome = classify(exit, this.config.isFailure)
      const stored = outcome === "interrupted" ? "ignored" : outcome
      return Effect.flatMap(
        this.store.record(admission, stored, this.isSlow(outcome, start, end), end, this.nextBreak),
        (result) => {
          if (this.listener !== undefined && (stored === "success" || stored === "failure")) this.listener.used()
          this.recordCall(outcome, start, end)
          const next = this.after(result.transitions, result.opened, end)
          return next === undefined ? exit : Effect.zipRight(next, exit)
        }
      )
    })
  }

  // --- observing and manual control ------------------------------------------------------

  private withNow<A>(f: (now: number) => Effect.Effect<A>): Effect.Effect<A> {
    return Effect.clockWith((clock) => f(clock.unsafeCurrentTimeMillis()))
  }

  get state(): Effect.Effect<CircuitBreaker.State> {
    return this.withNow((now) => Effect.flatMap(this.store.observe(now), (r) => this.afterResult(r, now, r.state)))
  }

  get trip(): Effect.Effect<void> {
    return this.withNow((now) =>
      Effect.flatMap(this.store.trip(now, this.nextBreak), (r) => this.afterResult(r, now, undefined))
    )
  }

  get isolate(): Effect.Effect<void> {
    return this.withNow((now) => Effect.flatMap(this.store.isolate(now), (r) => this.afterResult(r, now, undefined)))
  }

  get reset(): Effect.Effect<void> {
    return this.withNow((now) => Effect.flatMap(this.store.reset(now), (r) => this.afterResult(r, now, undefined)))
  }

  get snapshot(): Effect.Effect<CircuitBreaker.Snapshot> {
    return this.withNow((now) =>
      Effect.flatMap(
        this.store.observe(now),
        (r) => Effect.zipRight(this.afterResult(r, now, undefined), this.store.snapshot(now))
      )
    )
  }

  get changes(): Stream.Stream<Transition> {
    return Stream.unwrapScoped(Effect.suspend(() => {
      if (this.closed) return Effect.succeed(Stream.empty)
      if (this.hub !== undefined) return this.subscribe(this.hub)
      return Effect.flatMap(PubSub.unbounded<Transition>(), (created) => {
        if (this.hub !== undefined) return this.subscribe(this.hub)
        this.hub = created
        return Effect.zipRight(
          Scope.addFinalizer(this.scope, this.close),
          Effect.suspend(() => {
            if (!this.closed) return this.subscribe(created)
            // the scope had already closed, so the finalizer ran at once: as when a closed
            // breaker is asked for `changes` before any subscription, nothing is published
            this.hub = undefined
            return Effect.succeed(Stream.empty)
          })
        )
      })
    }))
  }

  private subscribe(hub: PubSub.PubSub<Transition>): Effect.Effect<Stream.Stream<Transition>, never, Scope.Scope> {
    return Effect.map(PubSub.subscribe(hub), (dequeue) => Stream.fromQueue(dequeue))
  }

  /** Ends every `changes` subscription: the finalizer added to the breaker's scope with the hub. */
  get close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      return this.hub === undefined ? Effect.void : PubSub.shutdown(this.hub)
    })
  }
}

const STATE_GAUGE = { Closed: 0, Open: 1, HalfOpen: 2, Isolated: 3 } as const

/**
 * One breaker from validated options: named `name`, and for a keyed instance's key, with the
 * keyed instance's instrument.
 *
 * @internal
 */
export const makeWith = (
  config: Config,
  name: string,
  instrument: Instrument,
  key?: { readonly key: string; readonly listener: KeyListener }
): Effect.Effect<CircuitBreaker.CircuitBreaker, never, Scope.Scope> =>
  Effect.flatMap(Scope.Scope, (scope) => {
    const storeConfig: CircuitBreaker.Store.Config = {
      name,
      generatedName: config.name === undefined,
      ...(key === undefined ? {} : { key: key.key }),
      trip: config.trip,
      halfOpenMaxCalls: config.halfOpenMaxCalls,
      initialState: config.initialState
    }
    return Effect.flatMap(config.store(storeConfig), (store) => {
      const breaker = new Breaker(name, store, config, instrument, scope, key?.key)
      if (key !== undefined) breaker.listener = key.listener
      if (instrument.active) instrument.gauge?.("state", STATE_GAUGE[config.initialState?.state ?? "Closed"])
      if (config.schedule === undefined) return Effect.succeed<CircuitBreaker.CircuitBreaker>(breaker)
      return Effect.as(
        Effect.clockWith((clock) => breaker.stepSchedule(clock.unsafeCurrentTimeMillis(), true)),
        breaker
      )
    })
  })

/** @internal */
export const make = (
  options?: CircuitBreaker.CircuitBreaker.Options
): Effect.Effect<CircuitBreaker.CircuitBreaker, never, Scope.Scope> => {
  const config = validateOptions(options)
  return Effect.contextWithEffect((context: Context.Context<Scope.Scope>) => {
    const name = config.name ?? names.generate("circuit-breaker")
    const instrument = instrumentFrom(context as Context.Context<never>, "CircuitBreaker", name)
    return makeWith(config, name, instrument)
  })
}

/** @internal */
export const layer = <I>(
  tag: Context.Tag<I, CircuitBreaker.CircuitBreaker>,
  options?: CircuitBreaker.CircuitBreaker.Options
): Layer.Layer<I> => Layer.scoped(tag, make(options))

/** @internal */
export const protect: {
  (
    breaker: CircuitBreaker.CircuitBreaker
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitBreakerOpen, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    breaker: CircuitBreaker.CircuitBreaker
  ): Effect.Effect<A, E | CircuitBreakerOpen, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, breaker: CircuitBreaker.CircuitBreaker) => breaker.protect(self)
)

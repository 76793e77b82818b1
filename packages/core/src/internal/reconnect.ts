/**
 * The reconnect service. One supervisor fiber, forked when the service is made, does every
 * connection attempt, so a reconnection is single-flight by construction: callers only mark a
 * connection broken (synchronously, and only if it is still the current one) and wake the
 * supervisor. Callers wait on a `Deferred` completed by the supervisor when a connection is
 * made, failed when it gives up, and failed with `"Closed"` when the scope closes.
 *
 * Every connection has a `Scope` of its own, closed exactly once: by the supervisor before
 * the next attempt (so at most one connection is open at any time), or by the service's
 * finalizer, whichever takes it from the field first.
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Reconnect from "../Reconnect.js"
import { ResilienceEvent } from "../ResilienceEvent.js"
import { ConnectionUnavailable, TimeoutError } from "./errors.js"
import * as names from "./names.js"
import * as observer from "./observer.js"
import * as schedules from "./schedules.js"
import * as validate from "./validate.js"

type ConnectionState = Reconnect.ConnectionState

/** @internal */
export const TypeId: Reconnect.TypeId = Symbol.for("@effect-resilience/core/Reconnect") as Reconnect.TypeId

/** @internal */
export const ConnectionState = Data.taggedEnum<ConnectionState>()

/** @internal */
export interface Config<A, E, R> {
  readonly name: string | undefined
  readonly acquire: Effect.Effect<A, E, R>
  readonly isConnectionError: ((error: unknown) => boolean) | undefined
  readonly schedule: Schedule.Schedule<unknown, unknown>
  readonly maxAttempts: number
  readonly retryOnReconnect: boolean
  /** undefined: wait as long as it takes */
  readonly maxWait: Duration.Duration | undefined
  /** undefined: no limit */
  readonly connectTimeout: Duration.Duration | undefined
}

const finiteOrUndefined = (d: Duration.Duration | undefined) => d === undefined || !Duration.isFinite(d) ? undefined : d

/** @internal */
export const validateOptions = <A, E, R>(options: Reconnect.Reconnect.Options<A, E, R>): Config<A, E, R> => {
  const o = validate.object("options", options)
  if (!Effect.isEffect(o.acquire)) validate.fail("acquire", "must be an Effect", o.acquire)
  if (o.schedule !== undefined && !Schedule.isSchedule(o.schedule)) {
    validate.fail("schedule", "must be a Schedule", o.schedule)
  }
  if (o.retryOnReconnect !== undefined && typeof o.retryOnReconnect !== "boolean") {
    validate.fail("retryOnReconnect", "must be a boolean", o.retryOnReconnect)
  }
  const positive = { allowZero: false, allowInfinite: true }
  return {
    name: validate.optionalName("name", o.name),
    acquire: options.acquire,
    isConnectionError: validate.optionalFunc<(error: unknown) => boolean>("isConnectionError", o.isConnectionError),
    schedule: options.schedule ?? schedules.exponential({ base: "100 millis", max: "5 seconds", jitter: "full" }),
    maxAttempts: validate.optionalInteger("maxAttempts", o.maxAttempts, 1) ?? Infinity,
    retryOnReconnect: options.retryOnReconnect ?? false,
    maxWait: finiteOrUndefined(validate.optionalDuration("maxWait", o.maxWait, positive)),
    connectTimeout: finiteOrUndefined(validate.optionalDuration("connectTimeout", o.connectTimeout, positive))
  }
}

/** One open connection and the scope its `acquire` ran in. */
interface Connection<A> {
  readonly value: A
  readonly generation: number
  readonly scope: Scope.CloseableScope
}

/** A dropped connection whose scope is still to be closed, with the exit to close it with. */
interface Dropped<A> {
  readonly connection: Connection<A>
  readonly exit: Exit.Exit<unknown, unknown>
}

const STATE_GAUGE = { Connected: 0, Connecting: 1, Reconnecting: 1, Failed: 2, Closed: 3 } as const

const variance = { _A: identity, _E: identity }

const isClosed = (state: ConnectionState): boolean => state._tag === "Closed"

/** What an attempt reports to the connection loop: connected, or stop (closing), or the error. */
const CONNECTED = Symbol("connected")
const STOP = Symbol("stop")
type AttemptResult = typeof CONNECTED | typeof STOP | { readonly error: unknown }

class ReconnectImpl<A, E, R> implements Reconnect.Reconnect<A, E> {
  readonly [TypeId] = variance
  current: Connection<A> | undefined = undefined
  /** at most one: a connection is dropped only while Connected, and closed before the next attempt */
  dropped: Dropped<A> | undefined = undefined
  /** pending while (re)connecting; undefined while Connected, Failed or Closed */
  ready: Deferred.Deferred<Connection<A>, ConnectionUnavailable> | undefined = Deferred.unsafeMake(FiberId.none)
  /** the supervisor has a (re)connection to make */
  wanted = true
  /** set while the supervisor is idle; calling it wakes the supervisor */
  wake: (() => void) | undefined = undefined
  supervisor: Fiber.RuntimeFiber<never> | undefined = undefined
  generation = 0
  /** the last connection error: the one that broke the connection, then each failed attempt's */
  lastError: unknown = undefined
  closed = false
  status: ConnectionState = ConnectionState.Connecting({ attempt: 1 })

  constructor(
    readonly name: string,
    readonly config: Config<A, E, R>,
    readonly clock: Clock.Clock,
    readonly instrument: observer.Instrument,
    readonly hub: PubSub.PubSub<ConnectionState>
  ) {}

  // --- state -------------------------------------------------------------------------------

  private setState(next: ConnectionState): void {
    const from = this.status
    // once closing, only `Closed` itself is published
    if (Equal.equals(from, next) || (this.closed && next._tag !== "Closed")) return
    this.status = next
    this.hub.unsafeOffer(next)
    if (this.instrument.active) {
      this.instrument.emit(
        ResilienceEvent.ConnectionStateChanged({
          policyName: this.name,
          from,
          to: next,
          at: this.clock.unsafeCurrentTimeMillis()
        })
      )
    }
  }

  private unavailable(reason: ConnectionUnavailable["reason"]): ConnectionUnavailable {
    return new ConnectionUnavailable(
      reason === "Closed" || this.lastError === undefined
        ? { policyName: this.name, reason }
        : { policyName: this.name, reason, cause: this.lastError }
    )
  }

  /** Wakes the supervisor for a (re)connection. */
  private request(): void {
    this.wanted = true
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
  }

  /** Drops the current connection; the supervisor closes its scope, then reconnects. */
  private drop(error: unknown, exit: Exit.Exit<unknown, unknown>): void {
    this.dropped = { connection: this.current!, exit }
    this.current = undefined
    this.lastError = error
    this.ready = Deferred.unsafeMake(FiberId.none)
    this.setState(ConnectionState.Reconnecting({ attempt: 1, error }))
    this.request()
  }

  private markBroken(generation: number, error: unknown): void {
    // a late failure from an already replaced connection starts nothing
    if (this.closed || this.current === undefined || this.current.generation !== generation) return
    this.drop(error, Exit.fail(error))
  }

  private isConnectionError(cause: Cause.Cause<unknown>): boolean {
    const predicate = this.config.isConnectionError
    if (predicate === undefined) return true
    try {
      return predicate(Cause.squash(cause))
    } catch {
      // reconnecting is the safe answer to a predicate that cannot tell
      return true
    }
  }

  // --- callers -----------------------------------------------------------------------------

  private readonly connection: Effect.Effect<Connection<A>, ConnectionUnavailable> = Effect.suspend(() => {
    if (this.closed) return Effect.fail(this.unavailable("Closed"))
    if (this.current !== undefined) return Effect.succeed(this.current)
    const ready = this.ready
    if (ready === undefined) return Effect.fail(this.unavailable("Failed"))
    const wait = Deferred.await(ready)
    const maxWait = this.config.maxWait
    return maxWait === undefined
      ? wait
      : Effect.timeoutFail(wait, { duration: maxWait, onTimeout: () => this.unavailable("Reconnecting") })
  })

  readonly use = <B, E2, R2>(
    f: (connection: A) => Effect.Effect<B, E2, R2>
  ): Effect.Effect<B, E2 | ConnectionUnavailable, R2> => {
    const run = (retried: boolean): Effect.Effect<B, E2 | ConnectionUnavailable, R2> =>
      Effect.flatMap(
        this.connection,
        (connection) =>
          Effect.catchAllCause(Effect.suspend(() => f(connection.value)), (cause) => {
            // an interrupted caller skips this handler; an operation that interrupted itself is no verdict
            if (Cause.isInterruptedOnly(cause) || !this.isConnectionError(cause)) return Effect.failCause(cause)
            this.markBroken(connection.generation, Cause.squash(cause))
            return this.config.retryOnReconnect && !retried ? run(true) : Effect.failCause(cause)
          })
      )
    return run(false)
  }

  readonly get: Effect.Effect<A, ConnectionUnavailable> = Effect.map(this.connection, (connection) => connection.value)

  readonly state: Effect.Effect<ConnectionState> = Effect.sync(() => this.status)

  readonly changes: Stream.Stream<ConnectionState> = Stream.unwrapScoped(Effect.suspend(() =>
    this.closed
      ? Effect.succeed(Stream.empty)
      : Effect.map(PubSub.subscribe(this.hub), (queue) => Stream.takeUntil(Stream.fromQueue(queue), isClosed))
  ))

  readonly invalidate: Effect.Effect<void> = Effect.sync(() => {
    if (!this.closed && this.current !== undefined) this.drop(undefined, Exit.void)
  })

  readonly reconnect: Effect.Effect<void> = Effect.sync(() => {
    if (this.closed || this.status._tag !== "Failed") return
    this.ready = Deferred.unsafeMake(FiberId.none)
    this.setState(
      this.generation === 0
        ? ConnectionState.Connecting({ attempt: 1 })
        : ConnectionState.Reconnecting({ attempt: 1, error: this.lastError })
    )
    this.request()
  })

  // --- the supervisor ----------------------------------------------------------------------

  readonly supervise: Effect.Effect<never, never, R> = Effect.forever(Effect.suspend(() => {
    if (this.wanted) {
      this.wanted = false
      return this.connectLoop()
    }
    return Effect.async<void>((resume) => {
      this.wake = () => resume(Effect.void)
      return Effect.sync(() => {
        this.wake = undefined
      })
    })
  }))

  /** Closes the scope of a dropped connection, once: whoever takes it from the field closes it. */
  private readonly closeDropped: Effect.Effect<void> = Effect.suspend(() => {
    const dropped = this.dropped
    if (dropped === undefined) return Effect.void
    this.dropped = undefined
    return Scope.close(dropped.connection.scope, dropped.exit)
  }).pipe(Effect.uninterruptible)

  /** Attempts until connected or given up; the schedule starts afresh on each call. */
  private connectLoop(): Effect.Effect<void, never, R> {
    return Effect.gen(this, function*() {
      yield* this.closeDropped
      let scheduleState = this.config.schedule.initial
      for (let attempt = 1;; attempt++) {
        if (attempt > 1) {
          this.setState(
            this.generation === 0
              ? ConnectionState.Connecting({ attempt })
              : ConnectionState.Reconnecting({ attempt, error: this.lastError })
          )
        }
        const result = yield* this.attempt()
        if (result === CONNECTED || result === STOP || this.closed) return
        this.lastError = result.error
        if (attempt >= this.config.maxAttempts) return this.giveUp(attempt)
        const now = this.clock.unsafeCurrentTimeMillis()
        const [next, , decision] = yield* this.config.schedule.step(now, result.error, scheduleState)
        if (ScheduleDecision.isDone(decision)) return this.giveUp(attempt)
        scheduleState = next
        if (this.generation > 0) this.setState(ConnectionState.Reconnecting({ attempt, error: result.error }))
        const delay = ScheduleIntervals.start(decision.intervals) - now
        if (delay > 0) yield* this.clock.sleep(Duration.millis(delay))
      }
    })
  }

  /**
   * One `acquire` in a fresh scope. Only `acquire` itself is interruptible: a connection it
   * returns is installed, and the scope of a failed or interrupted one closed, before an
   * interruption can land.
   */
  private attempt(): Effect.Effect<AttemptResult, never, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Scope.make(), (scope) => {
        let timedOut = false
        let acquire = Scope.extend(this.config.acquire, scope) as Effect.Effect<A, unknown, R>
        const limit = this.config.connectTimeout
        if (limit !== undefined) {
          acquire = Effect.timeoutFail(acquire, {
            duration: limit,
            onTimeout: () => {
              timedOut = true
              return new TimeoutError({ policyName: this.name, duration: limit })
            }
          })
        }
        return Effect.flatMap(Effect.exit(restore(acquire)), (exit): Effect.Effect<AttemptResult> => {
          if (Exit.isSuccess(exit)) return this.install(exit.value, scope)
          const closeScope = Scope.close(scope, exit)
          // interrupted because the service is closing: not an attempt
          if (this.closed) return Effect.as(closeScope, STOP)
          if (this.instrument.active) this.instrument.connectionAttempt?.(timedOut ? "timeout" : "failure")
          return Effect.as(closeScope, { error: Cause.squash(exit.cause) })
        })
      })
    )
  }

  private install(value: A, scope: Scope.CloseableScope): Effect.Effect<typeof CONNECTED | typeof STOP> {
    if (this.closed) return Effect.as(Scope.close(scope, Exit.void), STOP)
    const connection: Connection<A> = { value, generation: ++this.generation, scope }
    this.current = connection
    if (this.instrument.active) this.instrument.connectionAttempt?.("success")
    this.setState(
      ConnectionState.Connected({ generation: connection.generation, since: this.clock.unsafeCurrentTimeMillis() })
    )
    const ready = this.ready
    this.ready = undefined
    if (ready !== undefined) Deferred.unsafeDone(ready, Exit.succeed(connection))
    return Effect.succeed(CONNECTED)
  }

  private giveUp(attempts: number): void {
    this.setState(ConnectionState.Failed({ attempts, error: this.lastError }))
    const ready = this.ready
    this.ready = undefined
    if (ready !== undefined) Deferred.unsafeDone(ready, Exit.fail(this.unavailable("Failed")))
  }

  // --- closing -----------------------------------------------------------------------------

  /**
   * The finalizer of the service's scope: fails waiters and later calls with `"Closed"`,
   * interrupts the supervisor (and an attempt in progress), closes what is still open, and
   * publishes `Closed` last.
   */
  close(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.void
      this.closed = true
      const ready = this.ready
      this.ready = undefined
      if (ready !== undefined) Deferred.unsafeDone(ready, Exit.fail(this.unavailable("Closed")))
      const supervisor = this.supervisor
      return Effect.zipRight(
        supervisor === undefined ? Effect.void : Fiber.interrupt(supervisor),
        Effect.suspend(() => {
          const current = this.current
          this.current = undefined
          return Effect.zipRight(
            Effect.zipRight(
              this.closeDropped,
              current === undefined ? Effect.void : Scope.close(current.scope, exit)
            ),
            Effect.sync(() => this.setState(ConnectionState.Closed()))
          )
        })
      )
    })
  }
}

/** @internal */
export const make = <A, E, R>(
  options: Reconnect.Reconnect.Options<A, E, R>
): Effect.Effect<Reconnect.Reconnect<A, E>, never, Scope.Scope | Exclude<R, Scope.Scope>> => {
  const config = validateOptions(options)
  return Effect.uninterruptible(Effect.gen(function*() {
    const name = config.name ?? names.generate("reconnect")
    const clock = yield* Effect.clock
    const instrument = yield* observer.instrument("Reconnect", name)
    const hub = yield* PubSub.unbounded<ConnectionState>()
    const service = new ReconnectImpl(name, config, clock, instrument, hub)
    if (instrument.active) instrument.gauge?.("state", STATE_GAUGE.Connecting)
    yield* Effect.addFinalizer((exit) => service.close(exit))
    // a daemon, so the finalizer above controls the order: fail waiters, interrupt, close
    service.supervisor = yield* Effect.forkDaemon(Effect.interruptible(service.supervise))
    return service
  })) as Effect.Effect<Reconnect.Reconnect<A, E>, never, Scope.Scope | Exclude<R, Scope.Scope>>
}

/** @internal */
export const layer = <I, A, E, R>(
  tag: Context.Tag<I, Reconnect.Reconnect<A, E>>,
  options: Reconnect.Reconnect.Options<NoInfer<A>, NoInfer<E>, R>
): Layer.Layer<I, never, Exclude<R, Scope.Scope>> => Layer.scoped(tag, make(options))

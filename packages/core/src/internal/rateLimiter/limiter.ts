import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Policy } from "../../Policy.js"
import type * as RateLimiter from "../../RateLimiter.js"
import type { RateLimited } from "../errors.js"
import { type Instrument, instrumentFrom } from "../observer.js"
import * as algorithms from "./algorithms.js"
import { instanceName, instanceSpec, invalidPermits, validateOptions } from "./config.js"
import type { Config } from "./config.js"
import * as decisions from "./decisions.js"
import type { Engine } from "./decisions.js"
import { Lane } from "./lane.js"
import * as memoryStore from "./memoryStore.js"

/**
 * The store key of an unkeyed limiter.
 *
 * @internal
 */
export const SINGLE_KEY = ""

/**
 * A limiter's store, opened for one instance.
 *
 * @internal
 */
export interface Opened {
  readonly name: string
  readonly instrument: Instrument
  /**
   * Undefined for the memory store, which is never opened: the limiter keeps its state itself
   * (`algorithms.make(config.params)`, or `MemoryCells` by key), the same state the store
   * would have kept for it, without the store's handle.
   */
  readonly handle: RateLimiter.RateLimiterStore.Handle | undefined
  /** the handle's synchronous face, when it has one */
  readonly sync: memoryStore.SyncHandle | undefined
}

/**
 * Names the instance (a generated name for an unnamed config), resolves its instrument and
 * opens its store.
 *
 * @internal
 */
export const open = (config: Config): Effect.Effect<Opened, never, Scope.Scope> =>
  Effect.contextWithEffect((context: Context.Context<Scope.Scope>) => {
    const name = instanceName(config)
    const instrument = instrumentFrom(context as Context.Context<never>, "RateLimiter", name)
    if (config.store instanceof memoryStore.MemoryStore) {
      return Effect.succeed<Opened>({ name, instrument, handle: undefined, sync: undefined })
    }
    return Effect.map(
      config.store.open(instanceSpec(config, name)),
      (handle): Opened => ({ name, instrument, handle, sync: memoryStore.syncHandle(handle) })
    )
  })

/**
 * An unkeyed limiter: its own engine and its own (only) lane. Its memory is what a service holds
 * per instance, so it is kept small: the validated config is shared, `protect` is the only
 * function made with it, and everything else is built on first use.
 */
class Limiter extends Lane implements RateLimiter.RateLimiter, Engine {
  readonly protect: Policy<RateLimited>
  /** `acquire()` and `tryAcquire()`, built on first use and then shared by every call */
  private acquireOne: Effect.Effect<void, RateLimited> | undefined = undefined
  private tryAcquireOne: Effect.Effect<boolean> | undefined = undefined
  /** `acquire` and `tryAcquire` as functions that may be called detached, made on first access */
  private acquireFn: ((permits?: number) => Effect.Effect<void, RateLimited>) | undefined = undefined
  private tryAcquireFn: ((permits?: number) => Effect.Effect<boolean>) | undefined = undefined
  private decideFn: ((permits?: number) => Effect.Effect<RateLimiter.Decision>) | undefined = undefined

  constructor(
    readonly name: string,
    readonly config: Config,
    readonly handle: RateLimiter.RateLimiterStore.Handle | undefined,
    readonly instrument: Instrument,
    cell: algorithms.Cell | undefined
  ) {
    super(SINGLE_KEY, undefined, cell)
    // a bound method rather than an arrow: no closure context per limiter
    this.protect = this.protectSelf.bind(this)
  }

  get algorithm(): RateLimiter.Algorithm {
    return this.config.spec.algorithm
  }

  get limit(): number {
    return this.config.spec.limit
  }

  get interval(): Duration.Duration {
    return this.config.interval
  }

  get capacity(): number {
    return this.config.capacity
  }

  get onExceeded(): RateLimiter.OnExceeded {
    return this.config.onExceeded
  }

  get decide(): (permits?: number) => Effect.Effect<RateLimiter.Decision> {
    return this.decideFn ??= (permits) => {
      if (permits !== undefined && permits !== 1) {
        const invalid = invalidPermits(permits, this.config.capacity)
        if (invalid !== undefined) return Effect.die(invalid)
      }
      const n = permits ?? 1
      return this.cell !== undefined
        ? Effect.map(Clock.currentTimeMillis, (now) => decisions.decideNow(this, this, n, now))
        : Effect.flatMap(Clock.currentTimeMillis, (now) => decisions.decideTake(this, this, n, now))
    }
  }

  get acquire(): (permits?: number) => Effect.Effect<void, RateLimited> {
    return this.acquireFn ??= (permits) => {
      if (permits === undefined || permits === 1) return this.acquireOne ??= this.acquireWith(1)
      const invalid = invalidPermits(permits, this.config.capacity)
      return invalid === undefined ? this.acquireWith(permits) : Effect.die(invalid)
    }
  }

  get tryAcquire(): (permits?: number) => Effect.Effect<boolean> {
    return this.tryAcquireFn ??= (permits) => {
      if (permits === undefined || permits === 1) return this.tryAcquireOne ??= this.tryAcquireWith(1)
      const invalid = invalidPermits(permits, this.config.capacity)
      return invalid === undefined ? this.tryAcquireWith(permits) : Effect.die(invalid)
    }
  }

  get available(): Effect.Effect<number> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => decisions.remaining(this, this, now))
  }

  /**
   * With a cell, an admitted call is decided in the step that starts it: one Clock read, one
   * take, then `self`, with nothing allocated but that step.
   */
  private protectSelf<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | RateLimited, R> {
    const cell = this.cell
    if (cell === undefined) return Effect.zipRight(this.acquireOne ??= this.acquireWith(1), self)
    return Effect.withFiberRuntime((fiber): Effect.Effect<A, E | RateLimited, R> => {
      const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
      if (this.head === undefined && cell.take(1, now) === 0) {
        if (this.instrument.active) this.instrument.record("success", 0)
        return self
      }
      return Effect.zipRight(decisions.acquireSlow(this, this, 1), self)
    })
  }

  private acquireWith(permits: number): Effect.Effect<void, RateLimited> {
    const cell = this.cell
    return cell !== undefined
      ? Effect.flatMap(
        Clock.currentTimeMillis,
        (now) =>
          this.head === undefined && cell.take(permits, now) === 0
            ? decisions.admitted(this)
            : decisions.acquireSlow(this, this, permits)
      )
      : decisions.acquireSlow(this, this, permits)
  }

  private tryAcquireWith(permits: number): Effect.Effect<boolean> {
    return this.cell !== undefined
      ? Effect.map(Clock.currentTimeMillis, (now) => decisions.tryNow(this, this, permits, now))
      : Effect.flatMap(Clock.currentTimeMillis, (now) => decisions.tryTake(this, this, permits, now))
  }
}

/** @internal */
export const make = (
  options: RateLimiter.RateLimiter.Options
): Effect.Effect<RateLimiter.RateLimiter, never, Scope.Scope> => {
  const config = validateOptions(options)
  return Effect.map(open(config), ({ handle, instrument, name, sync }) =>
    new Limiter(
      name,
      config,
      handle,
      instrument,
      handle === undefined ? algorithms.make(config.params) : sync?.bind(SINGLE_KEY)
    ))
}

/** @internal */
export const layer = <I>(
  tag: Context.Tag<I, RateLimiter.RateLimiter>,
  options: RateLimiter.RateLimiter.Options
): Layer.Layer<I> => Layer.scoped(tag, make(options))

/** @internal */
export const protect: {
  (
    limiter: RateLimiter.RateLimiter
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RateLimited, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, limiter: RateLimiter.RateLimiter): Effect.Effect<A, E | RateLimited, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, limiter: RateLimiter.RateLimiter): Effect.Effect<A, E | RateLimited, R> =>
    limiter.protect(self)
)

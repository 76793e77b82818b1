import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as RateLimiter from "../../RateLimiter.js"
import type { RateLimited } from "../errors.js"
import { instrument } from "../observer.js"
import { forInstance, invalidPermits, validateOptions } from "./config.js"
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

/** @internal */
export const makeEngine = (config: Config): Effect.Effect<Engine, never, Scope.Scope> =>
  Effect.suspend(() => makeNamedEngine(forInstance(config)))

const makeNamedEngine = (config: Config): Effect.Effect<Engine, never, Scope.Scope> =>
  Effect.flatMap(
    instrument("RateLimiter", config.name),
    (instrument) =>
      Effect.map(config.store.open(config.spec), (handle) => ({
        config,
        handle,
        sync: memoryStore.syncHandle(handle),
        instrument
      }))
  )

const build = (engine: Engine): RateLimiter.RateLimiter => {
  const { config } = engine
  const lane = new Lane(SINGLE_KEY, undefined, engine.sync?.bind(SINGLE_KEY))
  const resolve = () => lane
  const cell = lane.cell

  const acquireWith = (permits: number): Effect.Effect<void, RateLimited> =>
    cell !== undefined
      ? Effect.flatMap(
        Clock.currentTimeMillis,
        (now) =>
          lane.head === undefined && cell.take(permits, now) === 0
            ? decisions.admitted(engine)
            : decisions.acquireSlow(engine, resolve, permits)
      )
      : decisions.acquireSlow(engine, resolve, permits)

  const tryAcquireWith = (permits: number): Effect.Effect<boolean> =>
    cell !== undefined
      ? Effect.map(Clock.currentTimeMillis, (now) => decisions.tryNow(engine, lane, permits, now))
      : Effect.flatMap(Clock.currentTimeMillis, (now) => decisions.tryTake(engine, lane, permits, now))

  // the common calls are built once: an admitted `protect` allocates only its `zipRight`
  const acquireOne = acquireWith(1)
  const tryAcquireOne = tryAcquireWith(1)

  return {
    name: config.name,
    algorithm: config.spec.algorithm,
    limit: config.spec.limit,
    interval: Duration.millis(config.spec.intervalMillis),
    capacity: config.capacity,
    protect: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.zipRight(acquireOne, self),
    acquire: (permits) => {
      if (permits === undefined || permits === 1) return acquireOne
      const invalid = invalidPermits(permits, config.capacity)
      return invalid === undefined ? acquireWith(permits) : Effect.die(invalid)
    },
    tryAcquire: (permits) => {
      if (permits === undefined || permits === 1) return tryAcquireOne
      const invalid = invalidPermits(permits, config.capacity)
      return invalid === undefined ? tryAcquireWith(permits) : Effect.die(invalid)
    },
    available: Effect.flatMap(Clock.currentTimeMillis, (now) => decisions.remaining(engine, lane, now))
  }
}

/** @internal */
export const make = (
  options: RateLimiter.RateLimiter.Options
): Effect.Effect<RateLimiter.RateLimiter, never, Scope.Scope> => {
  const config = validateOptions(options)
  return Effect.map(makeEngine(config), build)
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

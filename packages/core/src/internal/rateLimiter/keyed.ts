import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as RateLimiter from "../../RateLimiter.js"
import type { RateLimited } from "../errors.js"
import { invalidPermits, validateKeyedOptions } from "./config.js"
import type { KeyedConfig } from "./config.js"
import * as decisions from "./decisions.js"
import type { Engine } from "./decisions.js"
import { open } from "./limiter.js"
import type { Opened } from "./limiter.js"
import { MemoryCells } from "./memoryStore.js"
import { Registry } from "./registry.js"
import type { Entry } from "./registry.js"

const build = (config: KeyedConfig, opened: Opened): RateLimiter.KeyedRateLimiter => {
  const { handle, instrument, name } = opened
  const engine: Engine = { name, config, handle, instrument }
  // the memory store is not opened: its cells are kept here
  const sync = handle === undefined ? new MemoryCells(config.params) : opened.sync
  const { idleTimeout, maxKeys } = config
  // keys evicted from an effectful store are deleted there after the call that evicted them
  const evicted: Array<string> = []
  const registry = new Registry(
    maxKeys,
    idleTimeout,
    sync !== undefined ? (key) => sync.bind(key) : () => undefined,
    sync !== undefined ? (entry: Entry) => sync.delete(entry.key) : (entry: Entry) => evicted.push(entry.key)
  )
  const flush = Effect.suspend(() => {
    if (evicted.length === 0) return Effect.void
    // a key used again since its eviction has fresh state in the store that must stay
    const gone = evicted.splice(0).filter((key) => !registry.entries.has(key))
    return Effect.forEach(gone, handle!.delete, { discard: true })
  })
  const flushed = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    sync !== undefined ? effect : Effect.ensuring(effect, flush)

  const acquire = (key: string, permits: number): Effect.Effect<void, RateLimited> =>
    flushed(Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const entry = registry.get(key, now)
      const cell = entry.cell
      return cell !== undefined && entry.head === undefined && cell.take(permits, now) === 0
        ? decisions.admitted(engine)
        : decisions.acquireSlow(engine, (now) => registry.get(key, now), permits)
    }))

  const tryAcquire = (key: string, permits: number): Effect.Effect<boolean> =>
    sync !== undefined
      ? Effect.map(Clock.currentTimeMillis, (now) => decisions.tryNow(engine, registry.get(key, now), permits, now))
      : flushed(Effect.flatMap(
        Clock.currentTimeMillis,
        (now) => decisions.tryTake(engine, registry.get(key, now), permits, now)
      ))

  const decide = (key: string, permits: number): Effect.Effect<RateLimiter.Decision> =>
    sync !== undefined
      ? Effect.map(Clock.currentTimeMillis, (now) => decisions.decideNow(engine, registry.get(key, now), permits, now))
      : flushed(Effect.flatMap(
        Clock.currentTimeMillis,
        (now) => decisions.decideTake(engine, registry.get(key, now), permits, now)
      ))

  return {
    name,
    algorithm: config.spec.algorithm,
    limit: config.spec.limit,
    interval: config.interval,
    capacity: config.capacity,
    onExceeded: config.onExceeded,
    protect: (key) => {
      const acquireKey = acquire(key, 1)
      return <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.zipRight(acquireKey, self)
    },
    acquire: (key, permits) => {
      if (permits === undefined) return acquire(key, 1)
      const invalid = invalidPermits(permits, config.capacity)
      return invalid === undefined ? acquire(key, permits) : Effect.die(invalid)
    },
    tryAcquire: (key, permits) => {
      if (permits === undefined) return tryAcquire(key, 1)
      const invalid = invalidPermits(permits, config.capacity)
      return invalid === undefined ? tryAcquire(key, permits) : Effect.die(invalid)
    },
    decide: (key, permits) => {
      if (permits === undefined) return decide(key, 1)
      const invalid = invalidPermits(permits, config.capacity)
      return invalid === undefined ? decide(key, permits) : Effect.die(invalid)
    },
    available: (key) =>
      flushed(Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const entry = registry.peek(key, now)
        if (entry !== undefined) return decisions.remaining(engine, entry, now)
        // a key this process does not hold is fresh in memory, but may have state in a shared store
        return sync !== undefined
          ? Effect.succeed(config.capacity)
          : Effect.map(handle!.take(key, 0, now), (decision) => decision.remaining)
      })),
    size: flushed(Effect.map(Clock.currentTimeMillis, (now) => {
      registry.advance(now)
      return registry.entries.size
    }))
  }
}

/** @internal */
export const keyed = (
  options: RateLimiter.KeyedRateLimiter.Options
): Effect.Effect<RateLimiter.KeyedRateLimiter, never, Scope.Scope> => {
  const config = validateKeyedOptions(options)
  return Effect.map(open(config), (opened) => build(config, opened))
}

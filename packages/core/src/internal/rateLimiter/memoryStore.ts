/**
 * The in-memory `RateLimiterStore`: one cell per key in a `Map`. Besides the effectful contract
 * every store implements, it offers a synchronous face (under `SyncTypeId`) that the limiter
 * uses to decide without any effect overhead: one Clock read and one state update per call.
 */
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import type * as RateLimiter from "../../RateLimiter.js"
import * as algorithms from "./algorithms.js"

type Store = RateLimiter.RateLimiterStore
type Handle = RateLimiter.RateLimiterStore.Handle
type Decision = RateLimiter.RateLimiterStore.Decision

/** @internal */
export const SyncTypeId: unique symbol = Symbol.for("@effect-resilience/core/RateLimiter/SyncHandle")

/**
 * A store's synchronous face, for state that lives in this process.
 *
 * @internal
 */
export interface SyncHandle {
  /** the key's cell, created fresh when absent; it stays valid until `delete(key)` */
  readonly bind: (key: string) => algorithms.Cell
  readonly delete: (key: string) => void
}

/** @internal */
export const syncHandle = (handle: Handle): SyncHandle | undefined =>
  Predicate.hasProperty(handle, SyncTypeId) ? handle[SyncTypeId] as SyncHandle : undefined

/** @internal */
export const decide = (cell: algorithms.Cell, permits: number, now: number): Decision => {
  const retryAfterMillis = cell.take(permits, now)
  const freshAt = cell.freshAt()
  return {
    allowed: retryAfterMillis === 0,
    remaining: cell.remaining(now),
    retryAfterMillis,
    resetAfterMillis: freshAt > now ? freshAt - now : 0
  }
}

/**
 * The cells of one limiter opened on the memory store, by key.
 *
 * @internal
 */
export class MemoryCells implements SyncHandle {
  readonly cells = new Map<string, algorithms.Cell>()
  constructor(readonly params: algorithms.Params) {}

  bind(key: string): algorithms.Cell {
    let cell = this.cells.get(key)
    if (cell === undefined) {
      cell = algorithms.make(this.params)
      this.cells.set(key, cell)
    }
    return cell
  }

  delete(key: string): void {
    this.cells.delete(key)
  }
}

const open = (spec: RateLimiter.RateLimiterStore.Spec): Handle => {
  const params = new algorithms.Params(spec)
  const sync = new MemoryCells(params)
  const fresh: Decision = {
    allowed: true,
    remaining: algorithms.capacity(spec),
    retryAfterMillis: 0,
    resetAfterMillis: 0
  }
  const handle: Handle & { readonly [SyncTypeId]: SyncHandle } = {
    [SyncTypeId]: sync,
    take: (key, permits, now) =>
      Effect.sync(() =>
        // a read of an unknown key must not grow the map
        permits === 0 && !sync.cells.has(key) ? fresh : decide(sync.bind(key), permits, now)
      ),
    snapshot: (key, now) => Effect.sync(() => (sync.cells.get(key) ?? algorithms.make(params)).snapshot(now)),
    delete: (key) => Effect.sync(() => sync.delete(key))
  }
  return handle
}

/**
 * The memory store. Each limiter opened on it gets its own state, which lives as long as the
 * limiter. A limiter that finds this class need not open it: the limiter keeps its state
 * itself (one cell, or `MemoryCells` by key), with nothing else per instance.
 *
 * @internal
 */
export class MemoryStore implements Store {
  readonly open = (spec: RateLimiter.RateLimiterStore.Spec): Effect.Effect<Handle> => Effect.sync(() => open(spec))
}

/** @internal */
export const make = (): Store => new MemoryStore()

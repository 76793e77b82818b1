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

class MemoryCells implements SyncHandle {
  readonly cells = new Map<string, algorithms.Cell>()
  constructor(readonly spec: RateLimiter.RateLimiterStore.Spec) {}

  bind(key: string): algorithms.Cell {
    let cell = this.cells.get(key)
    if (cell === undefined) {
      cell = algorithms.make(this.spec)
      this.cells.set(key, cell)
    }
    return cell
  }

  delete(key: string): void {
    this.cells.delete(key)
  }
}

const open = (spec: RateLimiter.RateLimiterStore.Spec): Handle => {
  const sync = new MemoryCells(spec)
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
    snapshot: (key, now) => Effect.sync(() => (sync.cells.get(key) ?? algorithms.make(spec)).snapshot(now)),
    delete: (key) => Effect.sync(() => sync.delete(key))
  }
  return handle
}

/**
 * Each limiter opened on the store gets its own state, which lives as long as the limiter.
 *
 * @internal
 */
export const make = (): Store => ({
  open: (spec) => Effect.sync(() => open(spec))
})

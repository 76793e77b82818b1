/**
 * The keys of a keyed breaker or bulkhead, with bounded memory: the same bounds as the keyed
 * rate limiter's `Registry` (`maxKeys`, least recently used first, idle keys dropped after
 * `idleTimeout`, never a busy key), for instances that say themselves when they become busy or
 * idle instead of having a refill time to sort by. The map holds more than `maxKeys` keys only
 * while all but one are pinned (it then holds the pinned ones and the newest key); once more
 * keys may go again, they go at once.
 *
 * Each key's slot is in at most one of two recency lists, oldest first, built on the same
 * intrusive `LinkedList` as the wait queues:
 *
 * - `fresh`: keys whose instance holds nothing worth keeping (a Closed breaker with no recorded
 *   call), evicted first;
 * - `kept`: the other evictable keys (a Closed breaker with recorded calls, an idle bulkhead).
 *
 * A pinned key (an Open, HalfOpen or Isolated breaker; a bulkhead with active or queued calls;
 * an instance being created) is in neither list, so it can be neither evicted nor dropped for
 * idleness, and finding a victim is O(1). Every append stamps `lastAccess` with the keys' clock,
 * so both lists stay sorted by last use and idle keys are found at their heads.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Scope from "effect/Scope"
import { ResilienceEvent } from "../ResilienceEvent.js"
import type { Instrument } from "./observer.js"
import * as validate from "./validate.js"
import { type Linked, LinkedList } from "./waitQueue.js"

/** @internal */
export const DEFAULT_MAX_KEYS = 10_000

/** @internal */
export interface KeyedLimits {
  readonly maxKeys: number
  /** millis; undefined: keys are never dropped for idleness */
  readonly idleTimeout: number | undefined
}

/**
 * Validates `maxKeys` and `idleTimeout` and returns the options without them.
 *
 * @internal
 */
export const validateLimits = <O extends object>(
  options: O
): { readonly limits: KeyedLimits; readonly rest: Omit<O, "maxKeys" | "idleTimeout"> } => {
  const o = validate.object("options", options)
  const maxKeys = o.maxKeys === undefined ? DEFAULT_MAX_KEYS : validate.integer("maxKeys", o.maxKeys, 1)
  const idle = validate.optionalDuration("idleTimeout", o.idleTimeout, { allowZero: false, allowInfinite: true })
  const idleTimeout = idle === undefined || !Duration.isFinite(idle) ? undefined : Duration.toMillis(idle)
  const { idleTimeout: _idle, maxKeys: _max, ...rest } = o
  return { limits: { maxKeys, idleTimeout }, rest: rest as Omit<O, "maxKeys" | "idleTimeout"> }
}

/**
 * What an instance tells its key about itself.
 *
 * @internal
 */
export interface KeyListener {
  /** it must not be forgotten until `release` (an Open breaker, a bulkhead with calls) */
  readonly pin: () => void
  /** it may be forgotten again; `fresh` when forgetting it loses nothing */
  readonly release: (fresh: boolean) => void
  /** it now holds something worth keeping (a breaker recorded a call) */
  readonly used: () => void
}

/** @internal */
export class Slot<A> implements Linked<Slot<A>>, KeyListener {
  prev: Slot<A> | undefined = undefined
  next: Slot<A> | undefined = undefined
  linked = false
  /** the recency list holding the slot; undefined while pinned */
  list: LinkedList<Slot<A>> | undefined = undefined
  lastAccess = -Infinity
  /** undefined while being created */
  instance: A | undefined = undefined
  /** completed when the instance is created */
  creating: Deferred.Deferred<A> | undefined = undefined
  /** true once the key has been forgotten: a late `release` must not bring it back */
  gone = false

  constructor(readonly key: string, readonly keys: Keys<A>) {}

  readonly pin = (): void => this.keys.pin(this)
  readonly release = (fresh: boolean): void => this.keys.release(this, fresh)
  readonly used = (): void => this.keys.used(this)
}

/** @internal */
export class Keys<A> {
  readonly slots = new Map<string, Slot<A>>()
  readonly fresh = new LinkedList<Slot<A>>()
  readonly kept = new LinkedList<Slot<A>>()
  now = -Infinity

  constructor(
    readonly limits: KeyedLimits,
    /** a key was forgotten (evicted or idle): its instance, if made, is let go */
    readonly dropped: (slot: Slot<A>) => void
  ) {}

  /** The key's slot if present, counted as a use. */
  lookup(key: string, now: number): Slot<A> | undefined {
    this.advance(now)
    const slot = this.slots.get(key)
    if (slot !== undefined) {
      slot.lastAccess = this.now
      const list = slot.list
      if (list !== undefined && list.tail !== slot) {
        list.remove(slot)
        list.append(slot)
      }
    }
    return slot
  }

  /** The key's slot if present; not a use. */
  peek(key: string, now: number): Slot<A> | undefined {
    this.advance(now)
    return this.slots.get(key)
  }

  /**
   * A new slot for `key` (absent), pinned while its instance is made. Makes room first: the
   * map exceeds `maxKeys` only while every key is pinned.
   */
  insert(key: string, now: number): Slot<A> {
    this.advance(now)
    while (this.slots.size >= this.limits.maxKeys && this.evictOne()) {
      // evicted one
    }
    const slot = new Slot<A>(key, this)
    slot.lastAccess = this.now
    slot.creating = Deferred.unsafeMake<A>(FiberId.none)
    this.slots.set(key, slot)
    return slot
  }

  /** Moves the keys' clock and drops the keys idle for `idleTimeout`. */
  advance(now: number): void {
    if (now > this.now) this.now = now
    const idle = this.limits.idleTimeout
    if (idle === undefined) return
    const limit = this.now - idle
    for (const list of [this.fresh, this.kept]) {
      while (list.head !== undefined && list.head.lastAccess <= limit) this.remove(list.head)
    }
  }

  /** Forgets one evictable key but `except`, fresh ones first; false when there is none. */
  evictOne(except?: Slot<A>): boolean {
    for (const list of [this.fresh, this.kept]) {
      const victim = list.head === except ? except?.next : list.head
      if (victim !== undefined) {
        this.remove(victim)
        return true
      }
    }
    return false
  }

  remove(slot: Slot<A>): void {
    slot.list?.remove(slot)
    slot.list = undefined
    slot.gone = true
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key)
    this.dropped(slot)
  }

  pin(slot: Slot<A>): void {
    if (slot.list === undefined) return
    slot.list.remove(slot)
    slot.list = undefined
  }

  release(slot: Slot<A>, fresh: boolean): void {
    if (slot.gone) return
    const list = fresh ? this.fresh : this.kept
    if (slot.list === list) return
    slot.list?.remove(slot)
    slot.lastAccess = this.now
    slot.list = list
    list.append(slot)
    // keys added while every key was pinned: back within bounds as soon as others may go
    while (this.slots.size > this.limits.maxKeys && this.evictOne(slot)) {
      // evicted one
    }
  }

  used(slot: Slot<A>): void {
    if (slot.list === this.fresh) this.release(slot, false)
  }
}

/**
 * The levels of a keyed bulkhead's keys, summed: its `active` and `queued` gauges report the
 * whole keyed instance, under its name.
 *
 * @internal
 */
export class Levels {
  active = 0
  queued = 0
}

/**
 * The instrument of one key's instance: the keyed instance's own (metrics labelled with its
 * name, never the key), with the key added to the events that can carry one. A breaker's state
 * gauge is left alone (one gauge cannot hold every key's state); a bulkhead's levels are summed
 * over the keys in `levels`.
 *
 * @internal
 */
export const keyInstrument = (base: Instrument, key: string, levels: Levels | undefined): Instrument => {
  if (!base.active) return base
  let active = 0
  let queued = 0
  return {
    active: true,
    record: base.record,
    emit: (event) => {
      switch (event._tag) {
        case "CallRejected":
          return base.emit(ResilienceEvent.CallRejected({ ...event, key }))
        case "CircuitBreakerTransition":
          return base.emit(ResilienceEvent.CircuitBreakerTransition({ ...event, key }))
        default:
          return base.emit(event)
      }
    },
    gauge: (gauge, value) => {
      if (levels === undefined || gauge === "state") return
      if (gauge === "active") {
        levels.active += value - active
        active = value
        base.gauge?.("active", levels.active)
      } else {
        levels.queued += value - queued
        queued = value
        base.gauge?.("queued", levels.queued)
      }
    }
  }
}

/**
 * One instance per key, made on first use (once, however many fibers ask at once), living in
 * `scope`, and let go when its key is forgotten.
 *
 * @internal
 */
export interface KeyedInstances<A> {
  readonly get: (key: string) => Effect.Effect<A>
  readonly size: Effect.Effect<number>
  /** every instance held now */
  readonly instances: () => ReadonlyArray<A>
}

/** @internal */
export const keyedInstances = <A>(options: {
  readonly limits: KeyedLimits
  readonly scope: Scope.Scope
  /** makes the key's instance, pinned until it returns; it tells `listener` what it holds */
  readonly create: (key: string, listener: KeyListener) => Effect.Effect<A, never, Scope.Scope>
  /** once made: `release(fresh)` if the instance may be forgotten at once */
  readonly created: (instance: A, listener: KeyListener) => void
  /** what must run when a key's instance is let go (undefined: nothing) */
  readonly forget: (instance: A) => Effect.Effect<void> | undefined
}): KeyedInstances<A> => {
  const { create, created, forget, scope } = options
  const pending: Array<Effect.Effect<void>> = []
  const keys = new Keys<A>(options.limits, (slot) => {
    if (slot.instance === undefined) return
    const run = forget(slot.instance)
    if (run !== undefined) pending.push(run)
  })
  const flush = Effect.suspend(() => Effect.all(pending.splice(0), { discard: true }))
  const flushed = <B>(effect: Effect.Effect<B>): Effect.Effect<B> =>
    pending.length === 0 ? effect : Effect.zipLeft(effect, flush)
  const nowOf = (fiber: { readonly currentDefaultServices: Context.Context<Clock.Clock> }): number =>
    Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()

  const make = (slot: Slot<A>): Effect.Effect<A> =>
    create(slot.key, slot).pipe(
      Scope.extend(scope),
      Effect.map((instance) => {
        slot.instance = instance
        Deferred.unsafeDone(slot.creating!, Exit.succeed(instance))
        slot.creating = undefined
        if (slot.gone) {
          const run = forget(instance)
          if (run !== undefined) pending.push(run)
        } else {
          created(instance, slot)
        }
        return instance
      }),
      Effect.uninterruptible
    )

  const get = (key: string): Effect.Effect<A> =>
    Effect.withFiberRuntime((fiber) => {
      const now = nowOf(fiber)
      const slot = keys.lookup(key, now)
      if (slot === undefined) return flushed(make(keys.insert(key, now)))
      if (slot.instance !== undefined) return flushed(Effect.succeed(slot.instance))
      return flushed(Deferred.await(slot.creating!))
    })

  return {
    get,
    size: Effect.withFiberRuntime((fiber) => {
      keys.advance(nowOf(fiber))
      return flushed(Effect.succeed(keys.slots.size))
    }),
    instances: () => {
      const out: Array<A> = []
      for (const slot of keys.slots.values()) if (slot.instance !== undefined) out.push(slot.instance)
      return out
    }
  }
}

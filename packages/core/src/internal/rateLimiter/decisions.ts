/**
 * Decisions for one lane, shared by the single and the keyed limiter.
 *
 * Two paths: with a store that has a synchronous face (the in-memory one) a decision is one
 * Clock read and one state update, and an admitted call allocates nothing; with any other
 * store, each decision is one effectful store operation. Waiting is the same for both: FIFO,
 * only the head takes, one sleep on the Clock for the head.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import type * as RateLimiter from "../../RateLimiter.js"
import { ResilienceEvent } from "../../ResilienceEvent.js"
import { currentDeadline } from "../deadline.js"
import { RateLimited } from "../errors.js"
import type { Instrument } from "../observer.js"
import * as algorithms from "./algorithms.js"
import type { Config } from "./config.js"
import type { Lane, Waiter } from "./lane.js"
import * as memoryStore from "./memoryStore.js"

/**
 * What decisions need of a limiter: the unkeyed limiter is its own engine.
 *
 * @internal
 */
export interface Engine {
  /** the instance's name, in errors, events and metrics */
  readonly name: string
  readonly config: Config
  /**
   * The store's handle; undefined when the limiter keeps its state itself (the memory store),
   * and then every lane has a cell: the handle is only used for lanes without one.
   */
  readonly handle: RateLimiter.RateLimiterStore.Handle | undefined
  readonly instrument: Instrument
}

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** @internal */
export type Reason = "LimitExceeded" | "MaxWaitExceeded" | "DeadlineExceeded"

/** @internal */
export const reject = (
  engine: Engine,
  lane: Lane,
  now: number,
  retryAfterMillis: number,
  remaining: number,
  reason: Reason
): Effect.Effect<never, RateLimited> => {
  const { config, instrument, name } = engine
  const retryAfter = Duration.millis(Math.max(0, retryAfterMillis))
  const error = lane.reportKey === undefined
    ? new RateLimited({ policyName: name, retryAfter, limit: config.spec.limit, remaining })
    : new RateLimited({ policyName: name, key: lane.reportKey, retryAfter, limit: config.spec.limit, remaining })
  if (instrument.active) {
    instrument.emit(ResilienceEvent.CallRejected({ policyName: name, policy: "RateLimiter", reason, at: now }))
    instrument.record("rejected", 0)
  }
  return Effect.fail(error)
}

/** @internal */
export const admitted = (engine: Engine): Effect.Effect<void> => {
  if (engine.instrument.active) engine.instrument.record("success", 0)
  return Effect.void
}

/**
 * `tryAcquire` on the synchronous path: false while anyone waits, so it never overtakes them.
 *
 * @internal
 */
export const tryNow = (engine: Engine, lane: Lane, permits: number, now: number): boolean => {
  const ok = lane.head === undefined && lane.cell!.take(permits, now) === 0
  if (engine.instrument.active) report(engine, ok, now)
  return ok
}

/** A `tryAcquire` decision, for events and metrics. */
const report = (engine: Engine, ok: boolean, now: number): void => {
  const { instrument, name } = engine
  if (ok) return instrument.record("success", 0)
  instrument.emit(
    ResilienceEvent.CallRejected({ policyName: name, policy: "RateLimiter", reason: "LimitExceeded", at: now })
  )
  instrument.record("rejected", 0)
}

/**
 * `tryAcquire` on the effectful path.
 *
 * @internal
 */
export const tryTake = (engine: Engine, lane: Lane, permits: number, now: number): Effect.Effect<boolean> => {
  if (lane.head !== undefined) {
    if (engine.instrument.active) report(engine, false, now)
    return Effect.succeed(false)
  }
  return Effect.map(engine.handle!.take(lane.key, permits, now), (decision) => {
    lane.freshAt = now + decision.resetAfterMillis
    if (engine.instrument.active) report(engine, decision.allowed, now)
    return decision.allowed
  })
}

const decision = (allowed: boolean, remaining: number, retryAfterMillis: number, resetAfterMillis: number) => ({
  allowed,
  remaining,
  retryAfter: allowed ? Duration.zero : Duration.millis(Math.max(0, retryAfterMillis)),
  resetAfter: Duration.millis(Math.max(0, resetAfterMillis))
})

/**
 * `decide` on the synchronous path: `tryAcquire` that reports the decision. Behind waiters it
 * is refused, and `retryAfter` is when the same request would be admitted behind them.
 *
 * @internal
 */
export const decideNow = (engine: Engine, lane: Lane, permits: number, now: number): RateLimiter.Decision => {
  const cell = lane.cell!
  if (lane.head === undefined) {
    const taken = memoryStore.decide(cell, permits, now)
    if (engine.instrument.active) report(engine, taken.allowed, now)
    return decision(taken.allowed, taken.remaining, taken.retryAfterMillis, taken.resetAfterMillis)
  }
  if (engine.instrument.active) report(engine, false, now)
  const eta = lane.eta(permits, now, () => cell.clone())
  return decision(false, cell.remaining(now), eta - now, cell.freshAt() - now)
}

/**
 * `decide` on the effectful path.
 *
 * @internal
 */
export const decideTake = (
  engine: Engine,
  lane: Lane,
  permits: number,
  now: number
): Effect.Effect<RateLimiter.Decision> => {
  if (lane.head === undefined) {
    return Effect.map(engine.handle!.take(lane.key, permits, now), (taken) => {
      lane.freshAt = now + taken.resetAfterMillis
      if (engine.instrument.active) report(engine, taken.allowed, now)
      return decision(taken.allowed, taken.remaining, taken.retryAfterMillis, taken.resetAfterMillis)
    })
  }
  if (engine.instrument.active) report(engine, false, now)
  return Effect.map(engine.handle!.snapshot(lane.key, now), (snapshot) => {
    const state = algorithms.restore(engine.config.params, snapshot)
    const eta = lane.head === undefined
      ? now + state.wait(permits, now)
      : lane.eta(permits, now, () => algorithms.restore(engine.config.params, snapshot))
    return decision(false, state.remaining(now), eta - now, state.freshAt() - now)
  })
}

/** @internal */
export const remaining = (engine: Engine, lane: Lane, now: number): Effect.Effect<number> =>
  lane.cell !== undefined
    ? Effect.succeed(lane.cell.remaining(now))
    : Effect.map(engine.handle!.take(lane.key, 0, now), (decision) => decision.remaining)

/**
 * `acquire` once the fast path (no waiters, permits available) has not admitted the call: decides
 * again, in an uninterruptible region so that a waiter is always unlinked when interrupted, then
 * fails or queues. `resolve` is the lane, or finds it again (a keyed limiter may have replaced it).
 * The fiber's deadline, read here, bounds a wait as `maxWait` does.
 *
 * @internal
 */
export const acquireSlow = (
  engine: Engine,
  resolve: Lane | ((now: number) => Lane),
  permits: number
): Effect.Effect<void, RateLimited> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
      const bound = waitBound(engine.config.maxWait, fiber.getFiberRef(currentDeadline), now)
      const lane = typeof resolve === "function" ? resolve(now) : resolve
      if (lane.cell !== undefined) {
        if (lane.head === undefined) {
          const wait = lane.cell.take(permits, now)
          return wait === 0 ? admitted(engine) : exceeded(engine, lane, permits, now, wait, restore, bound)
        }
        return exceeded(engine, lane, permits, now, undefined, restore, bound)
      }
      if (lane.head === undefined) {
        // a remote store may be slow: its calls stay interruptible
        return Effect.flatMap(restore(engine.handle!.take(lane.key, permits, now)), (decision) => {
          lane.freshAt = now + decision.resetAfterMillis
          if (decision.allowed) return admitted(engine)
          return lane.head === undefined
            ? exceeded(engine, lane, permits, now, decision.retryAfterMillis, restore, bound, decision.remaining)
            : exceeded(engine, lane, permits, now, undefined, restore, bound)
        })
      }
      return exceeded(engine, lane, permits, now, undefined, restore, bound)
    })
  )

/** The longest a caller may wait, and what to report when it would wait longer. */
interface WaitBound {
  readonly maxWait: number
  readonly reason: Reason
}

/** `maxWait` or the time left before the deadline, whichever is shorter; undefined when neither. */
const waitBound = (maxWait: number | undefined, deadline: number, now: number): WaitBound | undefined => {
  if (deadline === Infinity) return maxWait === undefined ? undefined : { maxWait, reason: "MaxWaitExceeded" }
  const left = Math.max(0, deadline - now)
  return maxWait !== undefined && maxWait <= left
    ? { maxWait, reason: "MaxWaitExceeded" }
    : { maxWait: left, reason: "DeadlineExceeded" }
}

/**
 * The permits are not there. `wait` is how long until they would be when nobody is queued
 * (undefined when someone is).
 */
const exceeded = (
  engine: Engine,
  lane: Lane,
  permits: number,
  now: number,
  wait: number | undefined,
  restore: Restore,
  bound: WaitBound | undefined,
  left?: number
): Effect.Effect<void, RateLimited> => {
  if (engine.config.onExceeded === "fail") {
    return rejectNow(engine, lane, now, wait ?? 0, "LimitExceeded", left)
  }
  if (bound === undefined) {
    return waitTurn(engine, lane, lane.enqueue(permits, now, false), undefined, restore)
  }
  if (wait === undefined && lane.plan === undefined && lane.cell === undefined) {
    // the planner needs the store's state; the queue may have changed meanwhile, so decide again
    return Effect.flatMap(restore(engine.handle!.snapshot(lane.key, now)), (snapshot) => {
      if (lane.head === undefined) {
        return Effect.flatMap(restore(engine.handle!.take(lane.key, permits, now)), (decision) => {
          lane.freshAt = now + decision.resetAfterMillis
          if (decision.allowed) return admitted(engine)
          return planned(engine, lane, permits, now, now + decision.retryAfterMillis, restore, bound)
        })
      }
      const eta = lane.eta(permits, now, () => algorithms.restore(engine.config.params, snapshot))
      return planned(engine, lane, permits, now, eta, restore, bound)
    })
  }
  const eta = wait !== undefined ? now + wait : lane.eta(permits, now, () => lane.cell!.clone())
  return planned(engine, lane, permits, now, eta, restore, bound, left)
}

/** Queues the caller when it would be admitted within the bound, fails otherwise. */
const planned = (
  engine: Engine,
  lane: Lane,
  permits: number,
  now: number,
  eta: number,
  restore: Restore,
  bound: WaitBound,
  left?: number
): Effect.Effect<void, RateLimited> => {
  const maxWait = bound.maxWait
  // a nanosecond of slack: a plan rebuilt from a store's snapshot may carry float rounding
  if (eta - now > maxWait + algorithms.minStep(now)) {
    return rejectNow(engine, lane, now, eta - now, bound.reason, left)
  }
  return waitTurn(engine, lane, lane.enqueue(permits, now, true), now + maxWait, restore)
}

const rejectNow = (
  engine: Engine,
  lane: Lane,
  now: number,
  retryAfterMillis: number,
  reason: Reason,
  left: number | undefined
): Effect.Effect<never, RateLimited> => {
  if (left !== undefined) return reject(engine, lane, now, retryAfterMillis, left, reason)
  if (lane.cell !== undefined) return reject(engine, lane, now, retryAfterMillis, lane.cell.remaining(now), reason)
  return Effect.flatMap(
    remaining(engine, lane, now),
    (left) => reject(engine, lane, now, retryAfterMillis, left, reason)
  )
}

/**
 * Waits for the waiter's turn, then (as head) sleeps until its permits exist and takes them.
 * Runs inside `acquireSlow`'s uninterruptible region: only the waits are interruptible, and an
 * interrupted waiter leaves the queue, handing the turn on, without having taken anything.
 */
const waitTurn = (
  engine: Engine,
  lane: Lane,
  waiter: Waiter,
  deadline: number | undefined,
  restore: Restore
): Effect.Effect<void, RateLimited> => {
  const done = (now: number): Effect.Effect<void> => {
    lane.leave(waiter, true)
    const { instrument, name } = engine
    if (instrument.active) {
      const waited = now - waiter.since
      instrument.emit(ResilienceEvent.LimiterWaited({
        policyName: name,
        ...(lane.reportKey === undefined ? {} : { key: lane.reportKey }),
        permits: waiter.permits,
        waited: Duration.millis(waited),
        at: now
      }))
      instrument.record("success", waited)
    }
    return Effect.void
  }
  const sleep = (now: number, wait: number): Effect.Effect<void, RateLimited> =>
    Effect.zipRight(restore(Effect.sleep(Duration.nanos(algorithms.sleepNanos(wait, now)))), turn)
  const takeTurn = (now: number): Effect.Effect<void, RateLimited> => {
    if (lane.cell !== undefined) {
      const wait = lane.cell.take(waiter.permits, now)
      return wait === 0 ? done(now) : sleep(now, wait)
    }
    return Effect.flatMap(restore(engine.handle!.take(lane.key, waiter.permits, now)), (decision) => {
      lane.freshAt = now + decision.resetAfterMillis
      if (decision.allowed) return done(now)
      const wakeAt = now + decision.retryAfterMillis
      if (deadline !== undefined && wakeAt > deadline + algorithms.minStep(deadline)) {
        // other processes took the permits this waiter planned on
        lane.leave(waiter, false)
        return reject(engine, lane, now, decision.retryAfterMillis, decision.remaining, "MaxWaitExceeded")
      }
      return sleep(now, decision.retryAfterMillis)
    })
  }
  // an interruption that arrived while the sleep was ending must win over taking permits, so
  // the check and the take happen in one step
  const turn: Effect.Effect<void, RateLimited> = Effect.flatMap(
    Clock.currentTimeMillis,
    (now) =>
      Effect.withFiberRuntime<void, RateLimited>((fiber) =>
        Cause.isEmpty(fiber.getFiberRef(FiberRef.interruptedCause)) ? takeTurn(now) : Effect.interrupt
      )
  )
  const body = waiter.turn === undefined ? turn : Effect.zipRight(restore(Deferred.await(waiter.turn)), turn)
  return Effect.onInterrupt(body, () => Effect.sync(() => lane.leave(waiter, false)))
}

import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Bulkhead from "../Bulkhead.js"
import { ResilienceEvent } from "../ResilienceEvent.js"
import { BulkheadRejected } from "./errors.js"
import type { KeyListener } from "./keyed.js"
import * as names from "./names.js"
import * as observer from "./observer.js"
import * as validate from "./validate.js"
import { type Node, WaitQueue } from "./waitQueue.js"

type Reason = BulkheadRejected["reason"]

/** @internal */
export interface Config {
  readonly name: string | undefined
  readonly maxConcurrent: number
  readonly maxQueue: number
  /** undefined: wait as long as needed */
  readonly queueTimeout: Duration.Duration | undefined
}

/** @internal */
export const validateOptions = (options: unknown): Config => {
  const o = validate.object("options", options)
  const maxConcurrent = validate.integer("maxConcurrent", o.maxConcurrent, 1)
  const rawQueue = o.maxQueue
  const maxQueue = rawQueue === undefined
    ? 0
    : rawQueue === Infinity
    ? Infinity
    : typeof rawQueue === "number" && Number.isSafeInteger(rawQueue) && rawQueue >= 0
    ? rawQueue
    : validate.fail("maxQueue", "must be a non-negative integer or Infinity", rawQueue)
  const timeout = validate.optionalDuration("queueTimeout", o.queueTimeout, { allowZero: true, allowInfinite: true })
  return {
    name: validate.optionalName("name", o.name),
    maxConcurrent,
    maxQueue,
    queueTimeout: timeout === undefined || !Duration.isFinite(timeout) ? undefined : timeout
  }
}

/** @internal */
export type Outcome = Effect.Effect<void, BulkheadRejected>

/**
 * A caller waiting for a permit. Its verdict (`outcome`) may be decided before the caller's
 * fiber has registered its resume callback (the fiber can yield between enqueueing and
 * suspending), so the verdict is kept and delivered on registration.
 */
/** @internal */
export class Waiter {
  resume: ((outcome: Outcome) => void) | undefined = undefined
  outcome: Outcome | undefined = undefined
  /** true once a permit was handed over: whoever holds the waiter must then release it */
  granted = false
  constructor(readonly enqueuedAt: number, readonly deadline: number) {}

  settle(outcome: Outcome): void {
    this.outcome = outcome
    if (this.resume !== undefined) this.resume(outcome)
  }

  readonly await: Outcome = Effect.async<void, BulkheadRejected>((resume) => {
    if (this.outcome !== undefined) resume(this.outcome)
    else this.resume = resume
  })
}

class BulkheadImpl implements Bulkhead.Bulkhead {
  active = 0
  closed = false
  readonly queue = new WaitQueue<Waiter>()
  readonly maxConcurrent: number
  readonly maxQueue: number
  readonly timeoutMillis: number
  private readonly closeWaiters = new Set<() => void>()
  /** set while the queue-timeout reaper is idle (empty queue); calling it wakes the reaper */
  private wakeReaper: (() => void) | undefined = undefined
  /** a keyed bulkhead's key, told when the bulkhead becomes busy and idle again */
  listener: KeyListener | undefined = undefined

  constructor(
    readonly name: string,
    config: Config,
    private readonly clock: Clock.Clock,
    private readonly instrument: observer.Instrument,
    /** the key, for a bulkhead of a keyed instance */
    readonly key: string | undefined = undefined
  ) {
    this.maxConcurrent = config.maxConcurrent
    this.maxQueue = config.maxQueue
    this.timeoutMillis = config.queueTimeout === undefined ? Infinity : Duration.toMillis(config.queueTimeout)
  }

  readonly protect = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadRejected, R> => {
    // `restore(self)` and the admitted call without metrics are the same Effects every time for
    // the same `restore` (callers are either interruptible or not): built once, not per call.
    let lastRestore: (<AX, EX, RX>(effect: Effect.Effect<AX, EX, RX>) => Effect.Effect<AX, EX, RX>) | undefined
    let restored: Effect.Effect<A, E, R> | undefined
    let admitted: Effect.Effect<A, E, R> | undefined
    return Effect.uninterruptibleMask((restore) => {
      if (this.closed) return this.rejection("Closed", 0)
      // queue non-empty implies every permit is taken (freed permits go straight to waiters)
      if (this.active < this.maxConcurrent) {
        // queued calls imply active ones: busy from the first active call to the last
        if (this.active++ === 0 && this.listener !== undefined) this.listener.pin()
        if (restore !== lastRestore) {
          lastRestore = restore
          restored = restore(self)
          admitted = Effect.matchCauseEffect(restored, this.releasing) as Effect.Effect<A, E, R>
        }
        if (this.instrument.active) {
          this.instrument.gauge?.("active", this.active)
          return this.runObserved(restored!)
        }
        return admitted!
      }
      if (this.queue.length >= this.maxQueue) return this.rejection("Full", 0)
      if (this.timeoutMillis <= 0) return this.rejection("QueueTimeout", 0)
      const now = this.clock.unsafeCurrentTimeMillis()
      const waiter = new Waiter(now, now + this.timeoutMillis)
      const node = this.queue.push(waiter)
      if (this.instrument.active) this.instrument.gauge?.("queued", this.queue.length)
      if (this.wakeReaper !== undefined) {
        const wake = this.wakeReaper
        this.wakeReaper = undefined
        wake()
      }
      return Effect.matchCauseEffect(restore(waiter.await), {
        onFailure: (cause) => this.leave(waiter, node, cause),
        onSuccess: () => this.run(restore(self))
      })
    })
  }

  readonly stats: Effect.Effect<Bulkhead.Bulkhead.Stats> = Effect.sync(() => ({
    active: this.active,
    queued: this.queue.length,
    maxConcurrent: this.maxConcurrent,
    maxQueue: this.maxQueue,
    limit: this.maxConcurrent
  }))

  readonly close: Effect.Effect<void> = Effect.suspend(() => {
    this.shutdown()
    if (this.active === 0) return Effect.void
    return Effect.async<void>((resume) => {
      const done = () => resume(Effect.void)
      this.closeWaiters.add(done)
      return Effect.sync(() => {
        this.closeWaiters.delete(done)
      })
    })
  })

  /** Rejects queued and future calls; active calls run on. */
  shutdown(): void {
    if (this.closed) return
    this.closed = true
    const now = this.clock.unsafeCurrentTimeMillis()
    this.queue.drain((waiter) => waiter.settle(this.rejection("Closed", now - waiter.enqueuedAt)))
    if (this.instrument.active) this.levels()
  }

  /** Publishes both gauges; the hot paths publish only the one that changed. */
  private levels(): void {
    this.instrument.gauge?.("active", this.active)
    this.instrument.gauge?.("queued", this.queue.length)
  }

  /** A waiter failed (interrupted, timed out, closed): pass on a permit it was handed. */
  private leave(waiter: Waiter, node: Node<Waiter>, cause: Cause.Cause<BulkheadRejected>) {
    if (waiter.granted) {
      this.release()
    } else {
      this.queue.remove(node)
      if (this.instrument.active) this.instrument.gauge?.("queued", this.queue.length)
    }
    return Effect.failCause(cause)
  }

  private release(): void {
    let next = this.queue.shift()
    if (next !== undefined && next.deadline !== Infinity) {
      // a waiter past its deadline whose reaper has not run yet (same instant) is not admitted
      const now = this.clock.unsafeCurrentTimeMillis()
      while (next !== undefined && next.deadline < now) {
        next.settle(this.rejection("QueueTimeout", now - next.enqueuedAt))
        next = this.queue.shift()
        if (next === undefined && this.instrument.active) this.instrument.gauge?.("queued", 0)
      }
    }
    if (next !== undefined) {
      // hand the permit over: `active` is unchanged
      next.granted = true
      next.settle(Effect.void)
      if (this.instrument.active) this.instrument.gauge?.("queued", this.queue.length)
      return
    }
    this.active--
    if (this.active === 0 && this.listener !== undefined) this.listener.release(false)
    if (this.instrument.active) this.instrument.gauge?.("active", this.active)
    if (this.active === 0 && this.closeWaiters.size > 0) {
      const waiters = Array.from(this.closeWaiters)
      this.closeWaiters.clear()
      for (const done of waiters) done()
    }
  }

  private readonly releasing = {
    onFailure: (cause: Cause.Cause<unknown>) => {
      this.release()
      return Effect.failCause(cause)
    },
    onSuccess: (value: unknown) => {
      this.release()
      return Effect.succeed(value)
    }
  }

  /** Runs an admitted call (already holding a permit) and releases the permit when it exits. */
  private run<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return this.instrument.active
      ? this.runObserved(self)
      : Effect.matchCauseEffect(self, this.releasing) as Effect.Effect<A, E, R>
  }

  /** `run` with the call's outcome and Clock duration recorded */
  private runObserved<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    const start = this.clock.unsafeCurrentTimeMillis()
    return Effect.matchCauseEffect(self, {
      onFailure: (cause) => {
        this.release()
        this.instrument.record(
          Cause.isInterruptedOnly(cause) ? "interrupted" : "failure",
          this.clock.unsafeCurrentTimeMillis() - start
        )
        return Effect.failCause(cause)
      },
      onSuccess: (value) => {
        this.release()
        this.instrument.record("success", this.clock.unsafeCurrentTimeMillis() - start)
        return Effect.succeed(value)
      }
    })
  }

  private rejection(reason: Reason, waitedMillis: number): Effect.Effect<never, BulkheadRejected> {
    if (this.instrument.active) {
      const at = this.clock.unsafeCurrentTimeMillis()
      this.instrument.emit(ResilienceEvent.CallRejected({ policyName: this.name, policy: "Bulkhead", reason, at }))
      this.instrument.record("rejected", waitedMillis)
    }
    return Effect.fail(
      this.key === undefined
        ? new BulkheadRejected({ policyName: this.name, reason })
        : new BulkheadRejected({ policyName: this.name, key: this.key, reason })
    )
  }

  /**
   * Deadlines grow in queue order (one `queueTimeout` for all), so the head always expires
   * first: one fiber sleeping until the head's deadline serves the whole queue. A wait *longer*
   * than `queueTimeout` is rejected, at millisecond resolution: a waiter still queued at exactly
   * its deadline can be admitted; one still queued a millisecond later is rejected.
   */
  private readonly reapStep: Effect.Effect<void> = Effect.suspend(() => {
    const now = this.clock.unsafeCurrentTimeMillis()
    let head = this.queue.peek()
    while (head !== undefined && head.deadline < now) {
      this.queue.shift()
      head.settle(this.rejection("QueueTimeout", now - head.enqueuedAt))
      head = this.queue.peek()
    }
    if (this.instrument.active) this.instrument.gauge?.("queued", this.queue.length)
    if (head !== undefined) return this.clock.sleep(Duration.millis(Math.floor(head.deadline - now) + 1))
    return Effect.async<void>((resume) => {
      this.wakeReaper = () => resume(Effect.void)
    })
  })

  readonly reaper: Effect.Effect<never> = Effect.forever(this.reapStep)
}

/**
 * One bulkhead from validated options, its queue-timeout reaper not yet started (see
 * `needsReaper`): `make` forks it in the bulkhead's Scope, a keyed bulkhead per key.
 *
 * @internal
 */
export const makeWith = (
  config: Config,
  name: string,
  clock: Clock.Clock,
  instrument: observer.Instrument,
  key?: string
): BulkheadImpl => new BulkheadImpl(name, config, clock, instrument, key)

/** @internal */
export const needsReaper = (config: Config): boolean =>
  config.queueTimeout !== undefined && config.maxQueue > 0 && Duration.toMillis(config.queueTimeout) > 0

/** @internal */
export type { BulkheadImpl }

/** @internal */
export const make = (options: Bulkhead.Bulkhead.Options): Effect.Effect<Bulkhead.Bulkhead, never, Scope.Scope> => {
  const config = validateOptions(options)
  return Effect.gen(function*() {
    const name = config.name ?? names.generate("bulkhead")
    const clock = yield* Effect.clock
    const instrument = yield* observer.instrument("Bulkhead", name)
    const bulkhead = makeWith(config, name, clock, instrument)
    if (instrument.active) instrument.gauge?.("limit", config.maxConcurrent)
    yield* Effect.addFinalizer(() => Effect.sync(() => bulkhead.shutdown()))
    // the registry makes instances in an uninterruptible region: the reaper must stay interruptible
    if (needsReaper(config)) yield* Effect.forkScoped(Effect.interruptible(bulkhead.reaper))
    return bulkhead
  })
}

/** @internal */
export const layer = <I>(
  tag: Context.Tag<I, Bulkhead.Bulkhead>,
  options: Bulkhead.Bulkhead.Options
): Layer.Layer<I> => Layer.scoped(tag, make(options))

/** @internal */
export const protect: {
  (bulkhead: Bulkhead.Bulkhead): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BulkheadRejected, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, bulkhead: Bulkhead.Bulkhead): Effect.Effect<A, E | BulkheadRejected, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, bulkhead: Bulkhead.Bulkhead): Effect.Effect<A, E | BulkheadRejected, R> =>
    bulkhead.protect(self)
)

/**
 * `Bulkhead.adaptive`: a bulkhead whose limit follows the dependency's latency. The queue and
 * its rules are the fixed bulkhead's (FIFO, `maxQueue`, `queueTimeout`, `close`); what differs
 * is that every finished call is a sample for the limit algorithm, and the limit can change
 * under running calls: when it shrinks, running calls finish and nobody is admitted until fewer
 * than the limit run; when it grows, waiters are admitted at once.
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Bulkhead from "../Bulkhead.js"
import { ResilienceEvent } from "../ResilienceEvent.js"
import { Aimd, Gradient2, type LimitAlgorithm } from "./adaptiveLimit.js"
import { Waiter } from "./bulkhead.js"
import { BulkheadRejected } from "./errors.js"
import * as names from "./names.js"
import * as observer from "./observer.js"
import * as validate from "./validate.js"
import { type Node, WaitQueue } from "./waitQueue.js"

type Reason = BulkheadRejected["reason"]

/** @internal */
export interface Config {
  readonly name: string | undefined
  readonly algorithm: "aimd" | "gradient2"
  readonly initialLimit: number
  readonly minLimit: number
  readonly maxLimit: number
  readonly maxQueue: number
  readonly queueTimeoutMillis: number
  readonly isFailure: (error: unknown) => boolean
  readonly timeoutMillis: number
  readonly backoffRatio: number
  readonly rttTolerance: number
  readonly smoothing: number
  readonly longWindow: number
}

const always = () => true

/** Netflix's AIMD default: a call slower than this is a drop. */
const AIMD_TIMEOUT_MILLIS = 5_000

/** @internal */
export const validateOptions = (options: unknown): Config => {
  const o = validate.object("options", options)
  const algorithm = validate.literal("algorithm", o.algorithm, ["aimd", "gradient2"] as const)
  const minLimit = validate.integer("minLimit", o.minLimit, 1)
  const maxLimit = validate.integer("maxLimit", o.maxLimit, minLimit)
  const initialLimit = validate.integer("initialLimit", o.initialLimit, minLimit, maxLimit)
  const rawQueue = o.maxQueue
  const maxQueue = rawQueue === undefined
    ? 0
    : rawQueue === Infinity
    ? Infinity
    : typeof rawQueue === "number" && Number.isSafeInteger(rawQueue) && rawQueue >= 0
    ? rawQueue
    : validate.fail("maxQueue", "must be a non-negative integer or Infinity", rawQueue)
  const queueTimeout = validate.optionalDuration("queueTimeout", o.queueTimeout, {
    allowZero: true,
    allowInfinite: true
  })
  const timeout = validate.optionalDuration("timeout", o.timeout, { allowZero: false, allowInfinite: true })
  const onlyFor = (option: string, wanted: Config["algorithm"]) => {
    if (o[option] !== undefined && algorithm !== wanted) {
      validate.fail(option, `applies only when algorithm is "${wanted}"`, o[option])
    }
  }
  onlyFor("backoffRatio", "aimd")
  onlyFor("rttTolerance", "gradient2")
  onlyFor("smoothing", "gradient2")
  onlyFor("longWindow", "gradient2")
  return {
    name: validate.optionalName("name", o.name),
    algorithm,
    initialLimit,
    minLimit,
    maxLimit,
    maxQueue,
    queueTimeoutMillis: queueTimeout === undefined ? Infinity : Duration.toMillis(queueTimeout),
    isFailure: validate.optionalFunc<(error: unknown) => boolean>("isFailure", o.isFailure) ?? always,
    timeoutMillis: timeout !== undefined
      ? Duration.toMillis(timeout)
      : algorithm === "aimd"
      ? AIMD_TIMEOUT_MILLIS
      : Infinity,
    backoffRatio: o.backoffRatio === undefined
      ? 0.9
      : validate.number("backoffRatio", o.backoffRatio, { min: 0.5, max: 1, minExclusive: false }),
    rttTolerance: o.rttTolerance === undefined ? 1.5 : validate.number("rttTolerance", o.rttTolerance, { min: 1 }),
    smoothing: o.smoothing === undefined
      ? 0.2
      : validate.number("smoothing", o.smoothing, { min: 0, max: 1, minExclusive: true }),
    longWindow: o.longWindow === undefined ? 600 : validate.integer("longWindow", o.longWindow, 1, 1_000_000)
  }
}

class AdaptiveBulkhead implements Bulkhead.Bulkhead {
  active = 0
  closed = false
  readonly queue = new WaitQueue<Waiter>()
  private readonly closeWaiters = new Set<() => void>()
  private wakeReaper: (() => void) | undefined = undefined

  constructor(
    readonly name: string,
    readonly config: Config,
    readonly algorithm: LimitAlgorithm,
    private readonly clock: Clock.Clock,
    private readonly instrument: observer.Instrument
  ) {}

  readonly protect = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadRejected, R> =>
    Effect.uninterruptibleMask((restore) => {
      if (this.closed) return this.rejection("Closed", 0)
      if (this.queue.length === 0 && this.active < this.algorithm.limit) {
        this.active++
        if (this.instrument.active) this.instrument.gauge?.("active", this.active)
        return this.run(restore(self))
      }
      if (this.queue.length >= this.config.maxQueue) return this.rejection("Full", 0)
      if (this.config.queueTimeoutMillis <= 0) return this.rejection("QueueTimeout", 0)
      const now = this.clock.unsafeCurrentTimeMillis()
      const waiter = new Waiter(now, now + this.config.queueTimeoutMillis)
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

  readonly stats: Effect.Effect<Bulkhead.Bulkhead.Stats> = Effect.sync(() => ({
    active: this.active,
    queued: this.queue.length,
    maxConcurrent: this.config.maxLimit,
    maxQueue: this.config.maxQueue,
    limit: this.algorithm.limit
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

  shutdown(): void {
    if (this.closed) return
    this.closed = true
    const now = this.clock.unsafeCurrentTimeMillis()
    this.queue.drain((waiter) => waiter.settle(this.rejection("Closed", now - waiter.enqueuedAt)))
    if (this.instrument.active) this.instrument.gauge?.("queued", 0)
  }

  private leave(waiter: Waiter, node: Node<Waiter>, cause: Cause.Cause<BulkheadRejected>) {
    if (waiter.granted) {
      // handed a permit it will not use: no sample, just the permit back
      this.release()
    } else {
      this.queue.remove(node)
      if (this.instrument.active) this.instrument.gauge?.("queued", this.queue.length)
    }
    return Effect.failCause(cause)
  }

  /** The next waiter still within its queue timeout, rejecting the expired ones on the way. */
  private nextWaiter(): Waiter | undefined {
    let next = this.queue.shift()
    if (next !== undefined && next.deadline !== Infinity) {
      const now = this.clock.unsafeCurrentTimeMillis()
      while (next !== undefined && next.deadline < now) {
        next.settle(this.rejection("QueueTimeout", now - next.enqueuedAt))
        next = this.queue.shift()
      }
    }
    return next
  }

  /** A permit comes back: handed to the next waiter while under the limit, otherwise returned. */
  private release(): void {
    if (this.active <= this.algorithm.limit) {
      const next = this.nextWaiter()
      if (next !== undefined) {
        next.granted = true
        next.settle(Effect.void)
        if (this.instrument.active) this.instrument.gauge?.("queued", this.queue.length)
        return
      }
    }
    this.active--
    if (this.instrument.active) this.levels()
    if (this.active === 0 && this.closeWaiters.size > 0) {
      const waiters = Array.from(this.closeWaiters)
      this.closeWaiters.clear()
      for (const done of waiters) done()
    }
  }

  /** After the limit grew: admit waiters up to it. */
  private admitWaiters(): void {
    while (this.active < this.algorithm.limit) {
      const next = this.nextWaiter()
      if (next === undefined) break
      this.active++
      next.granted = true
      next.settle(Effect.void)
    }
    if (this.instrument.active) this.levels()
  }

  private levels(): void {
    this.instrument.gauge?.("active", this.active)
    this.instrument.gauge?.("queued", this.queue.length)
  }

  /** Feeds one sample to the algorithm, publishing the limit when it changed. */
  private sample(start: number, inflight: number, dropped: boolean): void {
    const before = this.algorithm.limit
    this.algorithm.sample(start, this.clock.unsafeCurrentTimeMillis(), inflight, dropped)
    const after = this.algorithm.limit
    if (after !== before && this.instrument.active) this.instrument.gauge?.("limit", after)
  }

  /**
   * Runs an admitted call and releases its permit. Its outcome is a sample: a success (a drop
   * when slower than `timeout`), a drop (a failure `isFailure` accepts, or a defect), or nothing
   * (interruption, or a failure `isFailure` rejects).
   */
  private run<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    const start = this.clock.unsafeCurrentTimeMillis()
    const inflight = this.active
    return Effect.matchCauseEffect(self, {
      onFailure: (cause) => {
        const elapsed = this.clock.unsafeCurrentTimeMillis() - start
        if (!Cause.isInterruptedOnly(cause)) {
          const failure = Cause.failureOption(cause)
          if (failure._tag === "None" || this.config.isFailure(failure.value)) this.sample(start, inflight, true)
        }
        this.finish()
        if (this.instrument.active) {
          this.instrument.record(Cause.isInterruptedOnly(cause) ? "interrupted" : "failure", elapsed)
        }
        return Effect.failCause(cause)
      },
      onSuccess: (value) => {
        const elapsed = this.clock.unsafeCurrentTimeMillis() - start
        this.sample(start, inflight, false)
        this.finish()
        if (this.instrument.active) this.instrument.record("success", elapsed)
        return Effect.succeed(value)
      }
    })
  }

  private finish(): void {
    this.release()
    if (this.active < this.algorithm.limit && this.queue.length > 0) this.admitWaiters()
  }

  private rejection(reason: Reason, waitedMillis: number): Effect.Effect<never, BulkheadRejected> {
    if (this.instrument.active) {
      const at = this.clock.unsafeCurrentTimeMillis()
      this.instrument.emit(ResilienceEvent.CallRejected({ policyName: this.name, policy: "Bulkhead", reason, at }))
      this.instrument.record("rejected", waitedMillis)
    }
    return Effect.fail(new BulkheadRejected({ policyName: this.name, reason }))
  }

  /** As in the fixed bulkhead: one fiber sleeps until the head's queue deadline. */
  readonly reaper: Effect.Effect<never> = Effect.forever(Effect.suspend(() => {
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
  }))
}

/** @internal */
export const make = (
  options: Bulkhead.Bulkhead.AdaptiveOptions
): Effect.Effect<Bulkhead.Bulkhead, never, Scope.Scope> => {
  const config = validateOptions(options)
  return Effect.gen(function*() {
    const name = config.name ?? names.generate("bulkhead")
    const clock = yield* Effect.clock
    const instrument = yield* observer.instrument("Bulkhead", name)
    const bounds = config
    const algorithm: LimitAlgorithm = config.algorithm === "aimd"
      ? new Aimd(bounds, config.backoffRatio, config.timeoutMillis)
      : new Gradient2(bounds, config)
    const bulkhead = new AdaptiveBulkhead(name, config, algorithm, clock, instrument)
    if (instrument.active) instrument.gauge?.("limit", algorithm.limit)
    yield* Effect.addFinalizer(() => Effect.sync(() => bulkhead.shutdown()))
    if (config.maxQueue > 0 && config.queueTimeoutMillis > 0 && config.queueTimeoutMillis !== Infinity) {
      yield* Effect.forkScoped(Effect.interruptible(bulkhead.reaper))
    }
    return bulkhead
  })
}

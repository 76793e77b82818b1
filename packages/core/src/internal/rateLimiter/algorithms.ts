/**
 * The three limiter algorithms as small synchronous state machines ("cells"), one per key.
 *
 * A cell answers one question atomically: may `permits` be taken at `now`? When they may, it
 * takes them and answers 0; when not, it changes nothing and answers how many milliseconds
 * until they could be taken, if nobody else took any. The in-memory store keeps one cell per
 * key, and the waiting planner replays the queue on a copy of one.
 */
import type * as RateLimiter from "../../RateLimiter.js"

/** @internal */
export type Algorithm = RateLimiter.Algorithm

/** @internal */
export type Spec = RateLimiter.RateLimiterStore.Spec

/** @internal */
export type Snapshot = RateLimiter.RateLimiterStore.Snapshot

/** @internal */
export interface Cell {
  /** 0 when `permits` exist at `now` (they are taken), otherwise the millis until they would (nothing taken) */
  readonly take: (permits: number, now: number) => number
  /** what `take` would answer, without taking */
  readonly wait: (permits: number, now: number) => number
  /** whole permits available at `now` */
  readonly remaining: (now: number) => number
  /** the Clock time from which, without further takes, the state equals a fresh one */
  readonly freshAt: () => number
  readonly snapshot: (now: number) => Snapshot
  readonly clone: () => Cell
}

/**
 * Continuous refill at `limit` per `interval`, at most `burst` tokens. Tokens are kept scaled by
 * the interval (`credit = tokens · intervalMillis`) so that integer clock times give exact
 * integer arithmetic: refilling adds `elapsed · limit`, taking removes `permits · intervalMillis`.
 */
class TokenBucket implements Cell {
  constructor(
    readonly limit: number,
    readonly interval: number,
    readonly capacity: number,
    // a billionth of a token: absorbs float rounding in fractional refills, so a waiter woken
    // at the computed instant is always admitted
    readonly epsilon: number,
    public credit: number,
    public last: number
  ) {}

  refill(now: number): void {
    if (now > this.last) {
      const credit = this.credit + (now - this.last) * this.limit
      this.credit = credit < this.capacity ? credit : this.capacity
      this.last = now
    }
  }

  wait(permits: number, now: number): number {
    this.refill(now)
    const missing = permits * this.interval - this.credit
    return missing <= this.epsilon ? 0 : missing / this.limit
  }

  take(permits: number, now: number): number {
    const wait = this.wait(permits, now)
    if (wait === 0) {
      const credit = this.credit - permits * this.interval
      this.credit = credit > 0 ? credit : 0
    }
    return wait
  }

  remaining(now: number): number {
    this.refill(now)
    return Math.floor((this.credit + this.epsilon) / this.interval)
  }

  freshAt(): number {
    return this.last + (this.capacity - this.credit) / this.limit
  }

  snapshot(now: number): Snapshot {
    this.refill(now)
    return { algorithm: "token-bucket", tokens: this.credit / this.interval, at: this.last }
  }

  clone(): Cell {
    return new TokenBucket(this.limit, this.interval, this.capacity, this.epsilon, this.credit, this.last)
  }
}

/** At most `limit` per window; windows are `[k·interval, (k+1)·interval)` on the Clock. */
class FixedWindow implements Cell {
  constructor(
    readonly limit: number,
    readonly interval: number,
    public window: number,
    public count: number
  ) {}

  wait(permits: number, now: number): number {
    const window = Math.floor(now / this.interval)
    if (window > this.window) {
      this.window = window
      this.count = 0
    }
    return this.count + permits <= this.limit ? 0 : (this.window + 1) * this.interval - now
  }

  take(permits: number, now: number): number {
    const wait = this.wait(permits, now)
    if (wait === 0) this.count += permits
    return wait
  }

  remaining(now: number): number {
    this.wait(0, now)
    return this.limit - this.count
  }

  freshAt(): number {
    return this.count === 0 ? -Infinity : (this.window + 1) * this.interval
  }

  snapshot(now: number): Snapshot {
    this.wait(0, now)
    return { algorithm: "fixed-window", windowStart: this.window * this.interval, count: this.count }
  }

  clone(): Cell {
    return new FixedWindow(this.limit, this.interval, this.window, this.count)
  }
}

/**
 * At most `limit` in any `interval`-long span: an admission at `t` counts until `t + interval`.
 * Admissions live in a ring (at most `limit` entries, grown on demand) of their times and of the
 * running total of permits before each, so the time at which enough permits have expired is a
 * binary search, and expiry is amortised O(1).
 */
class SlidingWindow implements Cell {
  times: Float64Array
  before: Float64Array
  head = 0
  size = 0
  total = 0

  constructor(readonly limit: number, readonly interval: number, capacity = 4) {
    this.times = new Float64Array(capacity)
    this.before = new Float64Array(capacity)
  }

  at(i: number): number {
    return (this.head + i) & (this.times.length - 1)
  }

  expire(now: number): void {
    const mask = this.times.length - 1
    while (this.size > 0 && this.times[this.head] + this.interval <= now) {
      this.head = (this.head + 1) & mask
      this.size--
    }
    if (this.size === 0) {
      this.head = 0
      this.total = 0
    }
  }

  used(): number {
    return this.size === 0 ? 0 : this.total - this.before[this.head]
  }

  wait(permits: number, now: number): number {
    this.expire(now)
    if (this.used() + permits <= this.limit) return 0
    // the first entry that may stay: every entry before it must have expired
    const target = this.total - this.limit + permits
    let lo = 1
    let hi = this.size
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.before[this.at(mid)] >= target) hi = mid
      else lo = mid + 1
    }
    return this.times[this.at(lo - 1)] + this.interval - now
  }

  take(permits: number, now: number): number {
    const wait = this.wait(permits, now)
    if (wait === 0 && permits > 0) this.push(now, permits)
    return wait
  }

  push(now: number, permits: number): void {
    if (this.size > 0 && this.times[this.at(this.size - 1)] === now) {
      this.total += permits
      return
    }
    if (this.size === this.times.length) this.grow()
    const i = this.at(this.size)
    this.times[i] = now
    this.before[i] = this.total
    this.size++
    this.total += permits
  }

  grow(): void {
    const times = new Float64Array(this.times.length * 2)
    const before = new Float64Array(this.times.length * 2)
    for (let i = 0; i < this.size; i++) {
      times[i] = this.times[this.at(i)]
      before[i] = this.before[this.at(i)]
    }
    this.times = times
    this.before = before
    this.head = 0
  }

  remaining(now: number): number {
    this.expire(now)
    return this.limit - this.used()
  }

  freshAt(): number {
    return this.size === 0 ? -Infinity : this.times[this.at(this.size - 1)] + this.interval
  }

  snapshot(now: number): Snapshot {
    this.expire(now)
    const admissions: Array<readonly [number, number]> = []
    for (let i = 0; i < this.size; i++) {
      const next = i + 1 < this.size ? this.before[this.at(i + 1)] : this.total
      admissions.push([this.times[this.at(i)], next - this.before[this.at(i)]])
    }
    return { algorithm: "sliding-window", admissions }
  }

  clone(): Cell {
    const copy = new SlidingWindow(this.limit, this.interval, this.times.length)
    copy.times.set(this.times)
    copy.before.set(this.before)
    copy.head = this.head
    copy.size = this.size
    copy.total = this.total
    return copy
  }
}

/**
 * The capacity of a limiter: the most permits one request can ever get.
 *
 * @internal
 */
export const capacity = (spec: Spec): number => spec.algorithm === "token-bucket" ? spec.burst : spec.limit

/**
 * A cell in the fresh state: a full bucket, an empty window.
 *
 * @internal
 */
export const make = (spec: Spec): Cell => {
  switch (spec.algorithm) {
    case "token-bucket": {
      const capacity = spec.burst * spec.intervalMillis
      return new TokenBucket(spec.limit, spec.intervalMillis, capacity, spec.intervalMillis * 1e-9, capacity, -Infinity)
    }
    case "fixed-window":
      return new FixedWindow(spec.limit, spec.intervalMillis, -Infinity, 0)
    case "sliding-window":
      return new SlidingWindow(spec.limit, spec.intervalMillis)
  }
}

/**
 * A cell holding the state a store reported, so the planner can replay waiters on it.
 *
 * @internal
 */
export const restore = (spec: Spec, snapshot: Snapshot): Cell => {
  switch (snapshot.algorithm) {
    case "token-bucket": {
      const capacity = spec.burst * spec.intervalMillis
      const credit = Math.min(capacity, Math.max(0, snapshot.tokens * spec.intervalMillis))
      return new TokenBucket(spec.limit, spec.intervalMillis, capacity, spec.intervalMillis * 1e-9, credit, snapshot.at)
    }
    case "fixed-window": {
      const window = Number.isFinite(snapshot.windowStart)
        ? Math.round(snapshot.windowStart / spec.intervalMillis)
        : -Infinity
      return new FixedWindow(spec.limit, spec.intervalMillis, window, snapshot.count)
    }
    case "sliding-window": {
      const cell = new SlidingWindow(spec.limit, spec.intervalMillis)
      for (const [at, permits] of snapshot.admissions) cell.push(at, permits)
      return cell
    }
  }
}

/**
 * The smallest step that moves the Clock forward from `now`: one nanosecond (a `Duration`'s
 * resolution), or more where a float clock is too coarse for that. A shorter sleep would not
 * advance the clock, and a waiter would spin at the same instant.
 *
 * @internal
 */
export const minStep = (now: number): number => Math.max(Math.abs(now) * Number.EPSILON * 2, 1e-6)

/**
 * A sleep of at least `millis`, rounded up to whole nanoseconds (`Duration.millis` rounds to the
 * nearest), so a waiter never wakes before its permits exist.
 *
 * @internal
 */
export const sleepNanos = (millis: number, now: number): bigint =>
  BigInt(Math.ceil(Math.max(millis, minStep(now)) * 1_000_000))

/**
 * Takes `permits` at the first instant from `from` on at which they exist; returns that instant.
 *
 * @internal
 */
export const takeAtEarliest = (cell: Cell, permits: number, from: number): number => {
  let at = from
  for (let wait = cell.take(permits, at); wait > 0; wait = cell.take(permits, at)) {
    at += Math.max(wait, minStep(at))
  }
  return at
}

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
 * The constants of one limiter's cells, computed once from its spec and shared by every cell
 * (every key, every planner copy): a cell holds only its changing state.
 *
 * @internal
 */
export class Params {
  readonly algorithm: Algorithm
  readonly limit: number
  readonly interval: number
  /** token bucket: `burst` scaled by the interval, the most credit the bucket holds */
  readonly capacity: number
  /** token bucket: a billionth of a token, scaled */
  readonly epsilon: number
  constructor(spec: Spec) {
    this.algorithm = spec.algorithm
    this.limit = spec.limit
    this.interval = spec.intervalMillis
    this.capacity = spec.burst * spec.intervalMillis
    this.epsilon = spec.intervalMillis * 1e-9
  }
}

/**
 * Continuous refill at `limit` per `interval`, at most `burst` tokens. Tokens are kept scaled by
 * the interval (`credit = tokens · intervalMillis`) so that integer clock times give exact
 * integer arithmetic: refilling adds `elapsed · limit`, taking removes `permits · intervalMillis`.
 * The epsilon (a billionth of a token) absorbs float rounding in fractional refills, so a
 * waiter woken at the computed instant is always admitted.
 */
class TokenBucket implements Cell {
  constructor(readonly p: Params, public credit: number, public last: number) {}

  refill(now: number): void {
    if (now > this.last) {
      const capacity = this.p.capacity
      const credit = this.credit + (now - this.last) * this.p.limit
      this.credit = credit < capacity ? credit : capacity
      this.last = now
    }
  }

  wait(permits: number, now: number): number {
    this.refill(now)
    const missing = permits * this.p.interval - this.credit
    return missing <= this.p.epsilon ? 0 : missing / this.p.limit
  }

  take(permits: number, now: number): number {
    const wait = this.wait(permits, now)
    if (wait === 0) {
      const credit = this.credit - permits * this.p.interval
      this.credit = credit > 0 ? credit : 0
    }
    return wait
  }

  remaining(now: number): number {
    this.refill(now)
    return Math.floor((this.credit + this.p.epsilon) / this.p.interval)
  }

  freshAt(): number {
    return this.last + (this.p.capacity - this.credit) / this.p.limit
  }

  snapshot(now: number): Snapshot {
    this.refill(now)
    return { algorithm: "token-bucket", tokens: this.credit / this.p.interval, at: this.last }
  }

  clone(): Cell {
    return new TokenBucket(this.p, this.credit, this.last)
  }
}

/**
 * At most `limit` per window; windows are `[k·interval + offset, (k+1)·interval + offset)` on the
 * Clock, `offset` 0 (aligned to multiples of `interval`) except in a cell restored from a
 * snapshot taken in another clock's frame (a store on server time shifts `windowStart` into the
 * caller's frame): the planner takes that window as given rather than re-aligning it.
 */
class FixedWindow implements Cell {
  constructor(readonly p: Params, public window: number, public count: number, readonly offset = 0) {}

  wait(permits: number, now: number): number {
    const interval = this.p.interval
    const window = Math.floor((now - this.offset) / interval)
    if (window > this.window) {
      this.window = window
      this.count = 0
    }
    return this.count + permits <= this.p.limit ? 0 : (this.window + 1) * interval + this.offset - now
  }

  take(permits: number, now: number): number {
    const wait = this.wait(permits, now)
    if (wait === 0) this.count += permits
    return wait
  }

  remaining(now: number): number {
    this.wait(0, now)
    return this.p.limit - this.count
  }

  freshAt(): number {
    return this.count === 0 ? -Infinity : (this.window + 1) * this.p.interval + this.offset
  }

  snapshot(now: number): Snapshot {
    this.wait(0, now)
    return { algorithm: "fixed-window", windowStart: this.window * this.p.interval + this.offset, count: this.count }
  }

  clone(): Cell {
    return new FixedWindow(this.p, this.window, this.count, this.offset)
  }
}

/**
 * A ring for `capacity` entries: an array of exactly `2 · capacity` doubles (filled with a
 * non-integer so that its elements are unboxed doubles from the start).
 */
const newRing = (capacity: number): Array<number> => new Array<number>(capacity * 2).fill(-0.5)

/**
 * At most `limit` in any `interval`-long span: an admission at `t` counts until `t + interval`.
 * Admissions live in a ring (at most `limit` entries, grown on demand from one) of their times
 * and of the running total of permits before each, so the time at which enough permits have
 * expired is a binary search, and expiry is amortised O(1). The ring is one plain array of
 * doubles, entry `i` at `2i` (time) and `2i + 1` (total before): far smaller than two typed
 * arrays (each about 230 bytes even when tiny) for the few entries most limiters hold.
 */
class SlidingWindow implements Cell {
  /** `2 · capacity` numbers; the capacity is a power of two */
  ring: Array<number> = newRing(1)
  head = 0
  size = 0
  total = 0

  constructor(readonly p: Params) {}

  /** the slot of the `i`-th oldest entry */
  at(i: number): number {
    return (this.head + i) & ((this.ring.length >> 1) - 1)
  }

  time(slot: number): number {
    return this.ring[slot << 1]
  }

  before(slot: number): number {
    return this.ring[(slot << 1) + 1]
  }

  expire(now: number): void {
    const interval = this.p.interval
    const mask = (this.ring.length >> 1) - 1
    while (this.size > 0 && this.time(this.head) + interval <= now) {
      this.head = (this.head + 1) & mask
      this.size--
    }
    if (this.size === 0) {
      this.head = 0
      this.total = 0
    }
  }

  used(): number {
    return this.size === 0 ? 0 : this.total - this.before(this.head)
  }

  wait(permits: number, now: number): number {
    this.expire(now)
    const limit = this.p.limit
    if (this.used() + permits <= limit) return 0
    // the first entry that may stay: every entry before it must have expired
    const target = this.total - limit + permits
    let lo = 1
    let hi = this.size
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.before(this.at(mid)) >= target) hi = mid
      else lo = mid + 1
    }
    return this.time(this.at(lo - 1)) + this.p.interval - now
  }

  take(permits: number, now: number): number {
    const wait = this.wait(permits, now)
    if (wait === 0 && permits > 0) this.push(now, permits)
    return wait
  }

  push(now: number, permits: number): void {
    if (this.size > 0 && this.time(this.at(this.size - 1)) === now) {
      this.total += permits
      return
    }
    if (this.size === this.ring.length >> 1) this.grow()
    const i = this.at(this.size) << 1
    this.ring[i] = now
    this.ring[i + 1] = this.total
    this.size++
    this.total += permits
  }

  /** Doubles the capacity, oldest entry first. */
  grow(): void {
    const ring = newRing(this.ring.length)
    for (let i = 0; i < this.size; i++) {
      const from = this.at(i) << 1
      ring[i << 1] = this.ring[from]
      ring[(i << 1) + 1] = this.ring[from + 1]
    }
    this.ring = ring
    this.head = 0
  }

  remaining(now: number): number {
    this.expire(now)
    return this.p.limit - this.used()
  }

  freshAt(): number {
    return this.size === 0 ? -Infinity : this.time(this.at(this.size - 1)) + this.p.interval
  }

  snapshot(now: number): Snapshot {
    this.expire(now)
    const admissions: Array<readonly [number, number]> = []
    for (let i = 0; i < this.size; i++) {
      const next = i + 1 < this.size ? this.before(this.at(i + 1)) : this.total
      admissions.push([this.time(this.at(i)), next - this.before(this.at(i))])
    }
    return { algorithm: "sliding-window", admissions }
  }

  clone(): Cell {
    const copy = new SlidingWindow(this.p)
    copy.ring = this.ring.slice()
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
export const make = (params: Params): Cell => {
  switch (params.algorithm) {
    case "token-bucket":
      return new TokenBucket(params, params.capacity, -Infinity)
    case "fixed-window":
      return new FixedWindow(params, -Infinity, 0)
    case "sliding-window":
      return new SlidingWindow(params)
  }
}

/**
 * A cell holding the state a store reported, so the planner can replay waiters on it.
 *
 * @internal
 */
export const restore = (params: Params, snapshot: Snapshot): Cell => {
  switch (snapshot.algorithm) {
    case "token-bucket": {
      const credit = Math.min(params.capacity, Math.max(0, snapshot.tokens * params.interval))
      return new TokenBucket(params, credit, snapshot.at)
    }
    case "fixed-window": {
      // the window as given: a start off the multiples of `interval` becomes the cell's offset
      const start = snapshot.windowStart
      if (!Number.isFinite(start)) return new FixedWindow(params, -Infinity, snapshot.count)
      const window = Math.floor(start / params.interval)
      return new FixedWindow(params, window, snapshot.count, start - window * params.interval)
    }
    case "sliding-window": {
      const cell = new SlidingWindow(params)
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

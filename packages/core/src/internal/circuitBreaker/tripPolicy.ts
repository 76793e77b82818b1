/**
 * Trip policies decide; the state machine acts. A policy is a descriptor (`_tag` plus its
 * validated parameters, so a remote store can pick the matching script) with `make`, which
 * returns a fresh `Counter` holding the counts of one breaker. Adding a policy touches
 * nothing else: the machine only calls `record`, `reset`, `toJSON` and `restore`.
 */
import * as Duration from "effect/Duration"
import type * as CircuitBreaker from "../../CircuitBreaker.js"
import * as validate from "../validate.js"

type TripPolicy = CircuitBreaker.TripPolicy
type Counter = CircuitBreaker.TripPolicy.Counter

const FAILURE = 1
const SLOW = 2

const isCount = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 0

// ---------------------------------------------------------------------------------------------
// consecutive
// ---------------------------------------------------------------------------------------------

class ConsecutiveCounter implements Counter {
  failures = 0
  constructor(readonly limit: number) {}
  record(failure: boolean): boolean {
    if (!failure) {
      this.failures = 0
      return false
    }
    this.failures++
    return this.failures >= this.limit
  }
  reset(): void {
    this.failures = 0
  }
  toJSON(): unknown {
    return { failures: this.failures }
  }
  restore(json: unknown): boolean {
    if (typeof json !== "object" || json === null || !isCount((json as { failures?: unknown }).failures)) {
      return false
    }
    this.failures = (json as { failures: number }).failures
    return true
  }
}

/** @internal */
export const consecutive = (failures: number): CircuitBreaker.ConsecutivePolicy => {
  const n = validate.integer("consecutive", failures, 1)
  return {
    _tag: "Consecutive",
    failures: n,
    make: () => new ConsecutiveCounter(n)
  }
}

// ---------------------------------------------------------------------------------------------
// failureRate
// ---------------------------------------------------------------------------------------------

/**
 * Opens when `failures / total ≥ threshold` (or `slow / total ≥ slowRate`) once `total ≥ minimumCalls`.
 * Division rather than `failures ≥ threshold · total`: 0.3 · 10 is 3.0000000000000004 in floats.
 */
const exceeds = (
  total: number,
  failures: number,
  slow: number,
  minimumCalls: number,
  threshold: number,
  slowRate: number | undefined
): boolean =>
  total >= minimumCalls &&
  (failures / total >= threshold || (slowRate !== undefined && slow / total >= slowRate))

/**
 * The parameters of a failure-rate policy, shared by the counters of every breaker made with it:
 * a counter holds only its counts.
 */
class RateParams {
  constructor(
    readonly minimumCalls: number,
    readonly threshold: number,
    readonly slowRate: number | undefined
  ) {}
}

/** Outcomes per word of a count window's ring: two bits each, 30 bits, so a word is always a small integer. */
const PER_WORD = 15

/**
 * The last `size` outcomes in a ring of two-bit entries (a bit for failure, a bit for slow),
 * packed into a plain array of small integers: 7 words for 100 calls, where a typed array
 * would cost about 200 bytes before its first element.
 */
class CountWindowCounter implements Counter {
  readonly ring: Array<number>
  next = 0
  total = 0
  failures = 0
  slow = 0
  constructor(readonly size: number, readonly p: RateParams) {
    this.ring = new Array<number>(Math.ceil(size / PER_WORD)).fill(0)
  }
  /** the outcome in slot `i` */
  at(i: number): number {
    return (this.ring[(i / PER_WORD) | 0] >>> ((i % PER_WORD) * 2)) & (FAILURE | SLOW)
  }
  record(failure: boolean, slow: boolean): boolean {
    const size = this.size
    const word = (this.next / PER_WORD) | 0
    const shift = (this.next % PER_WORD) * 2
    if (this.total === size) {
      const evicted = (this.ring[word] >>> shift) & (FAILURE | SLOW)
      if (evicted & FAILURE) this.failures--
      if (evicted & SLOW) this.slow--
    } else {
      this.total++
    }
    const outcome = (failure ? FAILURE : 0) | (slow ? SLOW : 0)
    this.ring[word] = (this.ring[word] & ~((FAILURE | SLOW) << shift)) | (outcome << shift)
    this.next = (this.next + 1) % size
    if (failure) this.failures++
    if (slow) this.slow++
    const p = this.p
    return exceeds(this.total, this.failures, this.slow, p.minimumCalls, p.threshold, p.slowRate)
  }
  reset(): void {
    this.next = 0
    this.total = 0
    this.failures = 0
    this.slow = 0
  }
  /** Oldest first: `[failed, slow]` pairs as 0/1. */
  toJSON(): unknown {
    const size = this.size
    const outcomes: Array<number> = []
    const start = this.total === size ? this.next : 0
    for (let i = 0; i < this.total; i++) outcomes.push(this.at((start + i) % size))
    return { outcomes }
  }
  restore(json: unknown): boolean {
    const outcomes = typeof json === "object" && json !== null ? (json as { outcomes?: unknown }).outcomes : undefined
    if (
      !Array.isArray(outcomes) || outcomes.length > this.size ||
      !outcomes.every((o) => isCount(o) && o <= (FAILURE | SLOW))
    ) return false
    this.reset()
    for (const o of outcomes as Array<number>) this.record((o & FAILURE) !== 0, (o & SLOW) !== 0)
    return true
  }
}

/**
 * Outcomes counted in `buckets` buckets of `duration / buckets` each: a call recorded at `t`
 * counts while its bucket is one of the last `buckets` (Finagle's WindowedAdder, resilience4j's
 * time-based window). One plain array of doubles holds `[epoch, total, failures, slow]` per
 * bucket (a Float64Array would add about 180 bytes of array buffer and views).
 */
class TimeWindowCounter implements Counter {
  readonly cells: Array<number>
  constructor(
    readonly buckets: number,
    readonly bucketMillis: number,
    readonly p: RateParams
  ) {
    // filled with a double: the elements are unboxed doubles from the start
    this.cells = new Array<number>(buckets * 4).fill(-Infinity)
    this.reset()
  }
  record(failure: boolean, slow: boolean, now: number): boolean {
    const epoch = Math.floor(now / this.bucketMillis)
    const at = (((epoch % this.buckets) + this.buckets) % this.buckets) * 4
    const cells = this.cells
    if (cells[at] !== epoch) {
      cells[at] = epoch
      cells[at + 1] = 0
      cells[at + 2] = 0
      cells[at + 3] = 0
    }
    cells[at + 1]++
    if (failure) cells[at + 2]++
    if (slow) cells[at + 3]++
    let total = 0
    let failures = 0
    let slowCount = 0
    const oldest = epoch - this.buckets + 1
    for (let i = 0; i < cells.length; i += 4) {
      if (cells[i] >= oldest && cells[i] <= epoch) {
        total += cells[i + 1]
        failures += cells[i + 2]
        slowCount += cells[i + 3]
      }
    }
    const p = this.p
    return exceeds(total, failures, slowCount, p.minimumCalls, p.threshold, p.slowRate)
  }
  reset(): void {
    for (let i = 0; i < this.cells.length; i += 4) {
      this.cells[i] = -Infinity
      this.cells[i + 1] = 0
      this.cells[i + 2] = 0
      this.cells[i + 3] = 0
    }
  }
  /** Non-empty buckets as `[epoch, total, failures, slow]`. */
  toJSON(): unknown {
    const buckets: Array<[number, number, number, number]> = []
    const cells = this.cells
    for (let i = 0; i < cells.length; i += 4) {
      if (cells[i] !== -Infinity) buckets.push([cells[i], cells[i + 1], cells[i + 2], cells[i + 3]])
    }
    return { bucketMillis: this.bucketMillis, buckets }
  }
  restore(json: unknown): boolean {
    if (typeof json !== "object" || json === null) return false
    const { bucketMillis, buckets } = json as { bucketMillis?: unknown; buckets?: unknown }
    if (bucketMillis !== this.bucketMillis || !Array.isArray(buckets) || buckets.length > this.buckets) return false
    const valid = buckets.every((b) =>
      Array.isArray(b) && b.length === 4 && Number.isInteger(b[0]) && isCount(b[1]) && isCount(b[2]) &&
      isCount(b[3]) && b[2] <= b[1] && b[3] <= b[1]
    )
    if (!valid) return false
    this.reset()
    for (const [epoch, total, failures, slow] of buckets as Array<[number, number, number, number]>) {
      const at = (((epoch % this.buckets) + this.buckets) % this.buckets) * 4
      if (this.cells[at] !== -Infinity) return false
      this.cells[at] = epoch
      this.cells[at + 1] = total
      this.cells[at + 2] = failures
      this.cells[at + 3] = slow
    }
    return true
  }
}

const DEFAULT_BUCKETS = 10

/**
 * Windows allocate their counts up front, so their sizes are bounded: 100,000 calls is a
 * thousand times resilience4j's default window, and 1,000 buckets resolve a minute to 60 ms.
 *
 * @internal
 */
export const MAX_WINDOW_CALLS = 100_000

/** @internal */
export const MAX_WINDOW_BUCKETS = 1_000

/** @internal */
export const failureRate = (options: CircuitBreaker.FailureRateOptions): CircuitBreaker.FailureRatePolicy => {
  const o = validate.object("options", options)
  const threshold = validate.number("threshold", o.threshold, { min: 0, minExclusive: true, max: 1 })
  const w = validate.object("window", o.window)
  if ((w.calls === undefined) === (w.duration === undefined)) {
    validate.fail("window", "must be either { calls } or { duration, buckets? }", o.window)
  }
  if (w.calls !== undefined) {
    if (w.buckets !== undefined) validate.fail("window.buckets", "applies only to a { duration } window", w.buckets)
    const calls = validate.integer("window.calls", w.calls, 1, MAX_WINDOW_CALLS)
    const minimumCalls = validate.integer("minimumCalls", o.minimumCalls, 1, calls)
    return countWindow(threshold, minimumCalls, calls, undefined)
  }
  const duration = validate.duration("window.duration", w.duration, { allowZero: false })
  const buckets = w.buckets === undefined
    ? DEFAULT_BUCKETS
    : validate.integer("window.buckets", w.buckets, 1, MAX_WINDOW_BUCKETS)
  const minimumCalls = validate.integer("minimumCalls", o.minimumCalls, 1)
  return timeWindow(threshold, minimumCalls, duration, buckets, undefined)
}

const countWindow = (
  threshold: number,
  minimumCalls: number,
  calls: number,
  slowCallRate: number | undefined
): CircuitBreaker.FailureRatePolicy => {
  const params = new RateParams(minimumCalls, threshold, slowCallRate)
  return {
    _tag: "FailureRate",
    threshold,
    minimumCalls,
    window: { calls },
    slowCallRate,
    make: () => new CountWindowCounter(calls, params),
    withSlowCalls: (rate) => countWindow(threshold, minimumCalls, calls, rate)
  }
}

const timeWindow = (
  threshold: number,
  minimumCalls: number,
  duration: Duration.Duration,
  buckets: number,
  slowCallRate: number | undefined
): CircuitBreaker.FailureRatePolicy => {
  const params = new RateParams(minimumCalls, threshold, slowCallRate)
  const bucketMillis = Duration.toMillis(duration) / buckets
  return {
    _tag: "FailureRate",
    threshold,
    minimumCalls,
    window: { duration, buckets },
    slowCallRate,
    make: () => new TimeWindowCounter(buckets, bucketMillis, params),
    withSlowCalls: (rate) => timeWindow(threshold, minimumCalls, duration, buckets, rate)
  }
}

/** @internal */
export const isTripPolicy = (u: unknown): u is TripPolicy =>
  typeof u === "object" && u !== null && typeof (u as { make?: unknown }).make === "function" &&
  typeof (u as { _tag?: unknown })._tag === "string"

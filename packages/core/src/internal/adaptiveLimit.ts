/**
 * Concurrency limit algorithms for `Bulkhead.adaptive`, after Netflix's concurrency-limits: each
 * takes one sample per finished call (its Clock latency, the calls in flight when it started,
 * and whether it was dropped) and answers the new limit. Pure numbers: no clock, no effects.
 */

/** @internal */
export interface LimitAlgorithm {
  /** the current limit, an integer in [minLimit, maxLimit] */
  readonly limit: number
  /** `startedAt` and `now` are Clock millis: when the call started and when it ended */
  readonly sample: (startedAt: number, now: number, inflight: number, dropped: boolean) => void
}

/** @internal */
export interface Bounds {
  readonly initialLimit: number
  readonly minLimit: number
  readonly maxLimit: number
}

const clamp = (value: number, bounds: Bounds): number => Math.max(bounds.minLimit, Math.min(bounds.maxLimit, value))

/**
 * Additive increase, multiplicative decrease: +1 after a success seen while at least half the
 * limit is in use (an idle limit does not grow); × `backoffRatio`, rounded down, after a drop. A
 * call slower than `timeoutMillis` is a drop. As TCP cuts once per round trip, a drop cuts only
 * when its call started after the previous cut: the calls admitted under the old limit fail
 * together, and counting each of them would slam the limit to `minLimit`.
 *
 * @internal
 */
export class Aimd implements LimitAlgorithm {
  limit: number
  lastCut = -Infinity
  constructor(
    readonly bounds: Bounds,
    readonly backoffRatio: number,
    readonly timeoutMillis: number
  ) {
    this.limit = bounds.initialLimit
  }

  readonly sample = (startedAt: number, now: number, inflight: number, dropped: boolean): void => {
    if (dropped || now - startedAt > this.timeoutMillis) {
      if (startedAt < this.lastCut) return
      this.lastCut = now
      this.limit = clamp(Math.floor(this.limit * this.backoffRatio), this.bounds)
    } else if (inflight * 2 >= this.limit) {
      this.limit = clamp(this.limit + 1, this.bounds)
    }
  }
}

/** @internal */
export interface Gradient2Options {
  readonly rttTolerance: number
  readonly smoothing: number
  readonly longWindow: number
  readonly timeoutMillis: number
}

/** Netflix's warm-up: the first samples are averaged plainly, then exponentially. */
const WARMUP = 10

/**
 * Netflix's Gradient2: the ratio of the long-term RTT (an exponential average over `longWindow`
 * samples) to the short-term one (this sample) tells whether calls queue up.
 * `gradient = max(0.5, min(1, rttTolerance × long / short))`; the new limit is
 * `limit × gradient + √limit` (the queue allowance), smoothed by `smoothing`. It grows while
 * latency stays within the tolerance and cuts when latency jumps; a drop counts as the smallest
 * gradient, 0.5. As in Netflix's, an app-limited sample (fewer than half the limit in flight)
 * changes nothing, and a long-term RTT more than twice the short one decays by 5 %. A drop cuts
 * only when its call started after the previous drop's cut, as for AIMD.
 *
 * The short-term RTT is the average over one round, as Netflix's windowed limit does: samples
 * are gathered until a call that started after the last update finishes, and the limit is
 * updated once per round. Updating on every sample would grow the limit by `0.2·√limit` per
 * call, `limit` times per round trip, before the latency of the grown limit is ever seen.
 *
 * One departure, for a sustained overload: a sample slower than `rttTolerance × long` (queueing)
 * does not feed the long-term average unless the limit is already at `minLimit`. Netflix's lets
 * the average absorb the queueing delay, after which the limit grows again, and under constant
 * overload it drifts up to `maxLimit`; at `minLimit` the average still follows a dependency
 * that has really become slower.
 *
 * @internal
 */
export class Gradient2 implements LimitAlgorithm {
  estimate: number
  limit: number
  lastCut = -Infinity
  longRtt = 0
  /** the round being gathered: since when, the sum of its RTTs, its samples, its most in flight */
  roundStart = -Infinity
  roundSum = 0
  roundCount = 0
  roundInflight = 0
  count = 0
  private readonly factor: number

  constructor(readonly bounds: Bounds, readonly options: Gradient2Options) {
    this.estimate = bounds.initialLimit
    this.limit = bounds.initialLimit
    this.factor = 2 / (options.longWindow + 1)
  }

  private feed(rtt: number): void {
    if (this.count < WARMUP) {
      this.count++
      this.longRtt += (rtt - this.longRtt) / this.count
    } else {
      this.longRtt = this.longRtt * (1 - this.factor) + rtt * this.factor
    }
  }

  readonly sample = (startedAt: number, now: number, inflight: number, dropped: boolean): void => {
    const { rttTolerance, timeoutMillis } = this.options
    const short = now - startedAt
    const drop = dropped || short > timeoutMillis
    if (drop) {
      if (startedAt < this.lastCut) return
      this.lastCut = now
      this.roundStart = now
      this.roundSum = this.roundCount = this.roundInflight = 0
    } else {
      if (this.count < WARMUP || short <= rttTolerance * this.longRtt || this.limit <= this.bounds.minLimit) {
        this.feed(short)
      }
      this.roundSum += short
      this.roundCount++
      this.roundInflight = Math.max(this.roundInflight, inflight)
      if (startedAt < this.roundStart) return
      const average = this.roundSum / this.roundCount
      const roundInflight = this.roundInflight
      this.roundStart = now
      this.roundSum = this.roundCount = this.roundInflight = 0
      if (average > 0 && this.longRtt / average > 2) this.longRtt *= 0.95
      if (roundInflight < this.estimate / 2) return
      this.update(average, false)
      return
    }
    this.update(short, true)
  }

  private update(short: number, drop: boolean): void {
    const { rttTolerance, smoothing } = this.options
    const gradient = drop || short <= 0
      ? drop ? 0.5 : 1
      : Math.max(0.5, Math.min(1, rttTolerance * this.longRtt / short))
    const target = this.estimate * gradient + Math.sqrt(this.estimate)
    this.estimate = clamp(this.estimate * (1 - smoothing) + target * smoothing, this.bounds)
    this.limit = Math.floor(this.estimate)
  }
}

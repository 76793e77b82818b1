import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as RetryBudget from "../RetryBudget.js"
import * as names from "./names.js"
import * as validate from "./validate.js"

const BUCKETS = 10
// 0.1 · 10 calls must allow exactly one retry, whatever the float rounding
const EPSILON = 1e-9

/**
 * Calls and retries counted in `BUCKETS` time buckets covering the window (Finagle's
 * WindowedAdder): a deposit or withdrawal counts until its bucket leaves the window.
 */
class WindowedCounts {
  readonly calls = new Float64Array(BUCKETS)
  readonly retries = new Float64Array(BUCKETS)
  readonly epochs = new Float64Array(BUCKETS).fill(-Infinity)
  constructor(readonly bucketMillis: number) {}

  slot(now: number): number {
    const epoch = Math.floor(now / this.bucketMillis)
    const slot = ((epoch % BUCKETS) + BUCKETS) % BUCKETS
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch
      this.calls[slot] = 0
      this.retries[slot] = 0
    }
    return slot
  }

  totals(now: number): readonly [calls: number, retries: number] {
    const oldest = Math.floor(now / this.bucketMillis) - BUCKETS + 1
    let calls = 0
    let retries = 0
    for (let i = 0; i < BUCKETS; i++) {
      if (this.epochs[i] >= oldest) {
        calls += this.calls[i]
        retries += this.retries[i]
      }
    }
    return [calls, retries]
  }
}

/** @internal */
export interface Config {
  readonly name: string | undefined
  readonly ratio: number
  readonly minPerSecond: number
  readonly window: Duration.Duration
}

/** @internal */
export const validateOptions = (options: unknown): Config => {
  const o = validate.object("options", options)
  return {
    ratio: validate.number("ratio", o.ratio, { min: 0, max: 1 }),
    minPerSecond: validate.number("minPerSecond", o.minPerSecond, { min: 0 }),
    window: validate.duration("window", o.window, { allowZero: false }),
    name: validate.optionalName("name", o.name)
  }
}

/** @internal */
export const unsafeMake = (config: Config): RetryBudget.RetryBudget => {
  const { minPerSecond, ratio, window } = config
  const name = config.name ?? names.generate("retry-budget")
  const windowMillis = Duration.toMillis(window)
  const reserve = minPerSecond * (windowMillis / 1000)
  const counts = new WindowedCounts(windowMillis / BUCKETS)
  const allowance = (now: number): number => {
    const [calls, retries] = counts.totals(now)
    return ratio * calls + reserve - retries
  }
  return {
    name,
    ratio,
    minPerSecond,
    window,
    deposit: Effect.map(Clock.currentTimeMillis, (now) => {
      counts.calls[counts.slot(now)] += 1
    }),
    tryWithdraw: Effect.map(Clock.currentTimeMillis, (now) => {
      if (allowance(now) + EPSILON < 1) return false
      counts.retries[counts.slot(now)] += 1
      return true
    }),
    available: Effect.map(Clock.currentTimeMillis, (now) => Math.max(0, Math.floor(allowance(now) + EPSILON)))
  }
}

/** @internal */
export const make = (
  options: RetryBudget.RetryBudget.Options
): Effect.Effect<RetryBudget.RetryBudget, never, Scope.Scope> => {
  const config = validateOptions(options)
  return Effect.sync(() => unsafeMake(config))
}

import * as Duration from "effect/Duration"
import type * as RateLimiter from "../../RateLimiter.js"
import { ResilienceConfigError } from "../errors.js"
import { validateLimits } from "../keyed.js"
import * as names from "../names.js"
import * as validate from "../validate.js"
import * as algorithms from "./algorithms.js"
import * as memoryStore from "./memoryStore.js"

/**
 * Validated options, shared by every instance made from them: an instance holds its own name
 * (see `instanceName`) and a reference to this.
 *
 * @internal
 */
export interface Config {
  /** the given name, or "" */
  readonly name: string
  /** no name was given: each instance made from this config gets a generated one */
  readonly unnamed: boolean
  /** the spec with the given name ("" when unnamed: see `instanceSpec`) */
  readonly spec: RateLimiter.RateLimiterStore.Spec
  /** the constants of the spec's cells */
  readonly params: algorithms.Params
  /** `spec.intervalMillis` as a Duration, for the limiter's `interval` */
  readonly interval: Duration.Duration
  /** the most permits one request can get: `burst` for the token bucket, `limit` for windows */
  readonly capacity: number
  readonly onExceeded: RateLimiter.OnExceeded
  /** millis; undefined: wait as long as needed */
  readonly maxWait: number | undefined
  readonly store: RateLimiter.RateLimiterStore
}

/** @internal */
export interface KeyedConfig extends Config {
  readonly maxKeys: number
  /** millis; undefined: keys are never dropped for idleness */
  readonly idleTimeout: number | undefined
}

const ALGORITHMS: ReadonlyArray<RateLimiter.Algorithm> = ["token-bucket", "fixed-window", "sliding-window"]
const ON_EXCEEDED: ReadonlyArray<RateLimiter.OnExceeded> = ["wait", "fail"]

const validateStore = (value: unknown): RateLimiter.RateLimiterStore => {
  if (value === undefined) return memoryStore.make()
  const store = validate.object("store", value)
  if (typeof store.open !== "function") {
    return validate.fail("store", "must be a RateLimiterStore (an object with an `open` function)", value)
  }
  return value as RateLimiter.RateLimiterStore
}

/** @internal */
export const validateOptions = (options: unknown): Config => {
  const o = validate.object("options", options)
  const name = validate.optionalName("name", o.name)
  const algorithm = o.algorithm === undefined ? "token-bucket" : validate.literal("algorithm", o.algorithm, ALGORITHMS)
  const limit = validate.integer("limit", o.limit, 1)
  const interval = validate.duration("interval", o.interval, { allowZero: false })
  let burst = limit
  if (o.burst !== undefined) {
    if (algorithm !== "token-bucket") {
      validate.fail("burst", "applies only to the \"token-bucket\" algorithm", o.burst)
    }
    burst = validate.integer("burst", o.burst, 1)
  }
  const onExceeded = o.onExceeded === undefined ? "wait" : validate.literal("onExceeded", o.onExceeded, ON_EXCEEDED)
  let maxWait: number | undefined
  if (o.maxWait !== undefined) {
    if (onExceeded !== "wait") validate.fail("maxWait", "applies only when onExceeded is \"wait\"", o.maxWait)
    const decoded = validate.duration("maxWait", o.maxWait, { allowInfinite: true })
    maxWait = Duration.isFinite(decoded) ? Duration.toMillis(decoded) : undefined
  }
  const store = validateStore(o.store)
  const spec: RateLimiter.RateLimiterStore.Spec = {
    name: name ?? "",
    generatedName: name === undefined,
    algorithm,
    limit,
    intervalMillis: Duration.toMillis(interval),
    burst
  }
  return {
    name: spec.name,
    unnamed: name === undefined,
    spec,
    params: new algorithms.Params(spec),
    interval: Duration.millis(spec.intervalMillis),
    capacity: algorithms.capacity(spec),
    onExceeded,
    maxWait,
    store
  }
}

/**
 * The name of one instance: an unnamed one gets its generated name when it is made, not when
 * its options were validated, so two instances made from one `make` effect have two names.
 *
 * @internal
 */
export const instanceName = (config: Config): string => config.unnamed ? names.generate("rate-limiter") : config.name

/**
 * The spec a store opens for the instance named `name`.
 *
 * @internal
 */
export const instanceSpec = (config: Config, name: string): RateLimiter.RateLimiterStore.Spec =>
  config.spec.name === name ? config.spec : { ...config.spec, name }

/** @internal */
export const validateKeyedOptions = (options: unknown): KeyedConfig => {
  const config = validateOptions(options)
  // the same bounds as keyed breakers and bulkheads
  const { limits } = validateLimits(options as object)
  return { ...config, maxKeys: limits.maxKeys, idleTimeout: limits.idleTimeout }
}

/**
 * The defect for a per-call `permits` that can never be satisfied, or undefined when it can.
 *
 * @internal
 */
export const invalidPermits = (permits: unknown, capacity: number): ResilienceConfigError | undefined => {
  if (typeof permits !== "number" || !Number.isInteger(permits) || permits < 1) {
    return new ResilienceConfigError({ option: "permits", rule: "must be a positive integer", value: permits })
  }
  if (permits > capacity) {
    return new ResilienceConfigError({
      option: "permits",
      rule: `must be at most ${capacity}, the limiter's capacity, or it could never be satisfied`,
      value: permits
    })
  }
  return undefined
}

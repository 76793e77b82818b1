/**
 * Options per instance name from Effect `Config`: keys `RESILIENCE_<KIND>_<NAME>_<OPTION>`, the
 * name upper-cased with every non-alphanumeric character turned into `_`. Every such key the
 * ConfigProvider holds for a known kind is read (and an unknown option is an error) when the
 * layer is built; other `RESILIENCE_*` keys are left alone.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import type * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as HashSet from "effect/HashSet"

/** @internal */
export type Kind = "circuitBreaker" | "bulkhead" | "rateLimiter" | "retryBudget"

/** @internal */
export type ValueType = "integer" | "number" | "duration" | "string"

/** @internal */
export interface OptionSpec {
  readonly type: ValueType
  /** the option as constructors name it in a `ResilienceConfigError` */
  readonly option: string
}

/** @internal */
export const KIND_KEYS: Record<Kind, string> = {
  circuitBreaker: "CIRCUITBREAKER",
  bulkhead: "BULKHEAD",
  rateLimiter: "RATELIMITER",
  retryBudget: "RETRYBUDGET"
}

/** @internal */
export const SPECS: Record<Kind, Record<string, OptionSpec>> = {
  circuitBreaker: {
    BREAK_DURATION: { type: "duration", option: "breakDuration" },
    HALF_OPEN_MAX_CALLS: { type: "integer", option: "halfOpenMaxCalls" },
    CONSECUTIVE_FAILURES: { type: "integer", option: "consecutive" },
    FAILURE_RATE_THRESHOLD: { type: "number", option: "threshold" },
    FAILURE_RATE_MINIMUM_CALLS: { type: "integer", option: "minimumCalls" },
    FAILURE_RATE_WINDOW_CALLS: { type: "integer", option: "window.calls" },
    FAILURE_RATE_WINDOW_DURATION: { type: "duration", option: "window.duration" },
    FAILURE_RATE_WINDOW_BUCKETS: { type: "integer", option: "window.buckets" },
    SLOW_CALL_DURATION: { type: "duration", option: "slowCall.duration" },
    SLOW_CALL_RATE: { type: "number", option: "slowCall.rate" }
  },
  bulkhead: {
    MAX_CONCURRENT: { type: "integer", option: "maxConcurrent" },
    MAX_QUEUE: { type: "integer", option: "maxQueue" },
    QUEUE_TIMEOUT: { type: "duration", option: "queueTimeout" }
  },
  rateLimiter: {
    ALGORITHM: { type: "string", option: "algorithm" },
    LIMIT: { type: "integer", option: "limit" },
    INTERVAL: { type: "duration", option: "interval" },
    BURST: { type: "integer", option: "burst" },
    ON_EXCEEDED: { type: "string", option: "onExceeded" },
    MAX_WAIT: { type: "duration", option: "maxWait" }
  },
  retryBudget: {
    RATIO: { type: "number", option: "ratio" },
    MIN_PER_SECOND: { type: "number", option: "minPerSecond" },
    WINDOW: { type: "duration", option: "window" }
  }
}

/** @internal */
export const normalizeName = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]/g, "_")

/** @internal */
export const keyOf = (kind: Kind, name: string, suffix: string): string =>
  `RESILIENCE_${KIND_KEYS[kind]}_${normalizeName(name)}_${suffix}`

/** One configured option: the key it came from and its parsed value. */
export interface Entry {
  readonly key: string
  readonly spec: OptionSpec
  readonly value: number | string
}

/** Options from Config, by kind, then normalized name, then option suffix. */
export type FromConfig = Record<Kind, Map<string, Map<string, Entry>>>

const PREFIX = "RESILIENCE"

/** Flat keys (`A_B_C`) under RESILIENCE that the provider holds, whatever its path delimiter. */
const resilienceKeys = (
  provider: ConfigProvider.ConfigProvider
): Effect.Effect<Array<string>, ConfigError.ConfigError> => {
  const flat = provider.flattened
  const walk = (path: ReadonlyArray<string>): Effect.Effect<Array<string>, ConfigError.ConfigError> =>
    Effect.flatMap(flat.enumerateChildren(path), (children) => {
      const joined = path.join("_")
      if (HashSet.size(children) === 0) return Effect.succeed(joined.startsWith(`${PREFIX}_`) ? [joined] : [])
      const relevant = Array.from(children).filter((child) => {
        const next = [...path, child].join("_")
        return next.startsWith(`${PREFIX}_`) || next === PREFIX || `${PREFIX}_`.startsWith(`${next}_`)
      })
      return Effect.map(Effect.forEach(relevant, (child) => walk([...path, child])), (nested) => nested.flat())
    })
  return walk([])
}

const parse = (key: string, spec: OptionSpec, raw: string): Effect.Effect<number | string, ConfigError.ConfigError> => {
  const text = raw.trim()
  switch (spec.type) {
    case "string":
      return Effect.succeed(text)
    case "duration":
      return Effect.succeed(/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text)
    case "integer":
    case "number": {
      const value = Number(text)
      return !/^[-+]?\d+(\.\d+)?$/.test(text)
        ? Effect.fail(ConfigError.InvalidData([key], `Expected a number, but received ${JSON.stringify(raw)}`))
        : Effect.succeed(value)
    }
  }
}

/** @internal */
export const read: Effect.Effect<FromConfig, ConfigError.ConfigError> = Effect.configProviderWith((provider) =>
  Effect.gen(function*() {
    const result: FromConfig = {
      circuitBreaker: new Map(),
      bulkhead: new Map(),
      rateLimiter: new Map(),
      retryBudget: new Map()
    }
    for (const key of yield* resilienceKeys(provider)) {
      const kind = (Object.keys(KIND_KEYS) as Array<Kind>).find((k) => key.startsWith(`${PREFIX}_${KIND_KEYS[k]}_`))
      // RESILIENCE_<something else>: not ours (an application's own setting)
      if (kind === undefined) continue
      const rest = key.slice(`${PREFIX}_${KIND_KEYS[kind]}_`.length)
      const suffix = Object.keys(SPECS[kind]).sort((a, b) => b.length - a.length).find((s) =>
        rest.endsWith(`_${s}`) && rest.length > s.length + 1
      )
      if (suffix === undefined) {
        return yield* Effect.fail(
          ConfigError.InvalidData(
            [key],
            `Unknown ${kind} option: expected one of ${Object.keys(SPECS[kind]).join(", ")} after the name`
          )
        )
      }
      const name = normalizeName(rest.slice(0, rest.length - suffix.length - 1))
      const spec = SPECS[kind][suffix]
      const raw = yield* provider.load(Config.string(key))
      const value = yield* parse(key, spec, raw)
      let options = result[kind].get(name)
      if (options === undefined) {
        options = new Map()
        result[kind].set(name, options)
      }
      options.set(suffix, { key, spec, value })
    }
    return result
  })
)

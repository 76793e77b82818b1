/**
 * `RedisStore.make`'s options, validated when it is called: a bad option throws
 * `ResilienceConfigError` at once, as every constructor of the core does.
 */
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import * as Duration from "effect/Duration"
import type * as RedisStore from "../RedisStore.js"

/** @internal */
export interface Settings {
  readonly prefix: string
  readonly time: RedisStore.Time
  readonly commandTimeoutMillis: number
  readonly onUnavailable: RedisStore.OnUnavailable
  readonly localShare: number
  readonly probeLeaseMillis: number
  readonly idleTimeToLiveMillis: number
}

const fail = (option: string, rule: string, value: unknown): never => {
  throw new ResilienceConfigError({ option, rule, value })
}

const literal = <const L extends string>(option: string, value: unknown, literals: ReadonlyArray<L>, def: L): L => {
  if (value === undefined) return def
  if (typeof value === "string" && (literals as ReadonlyArray<string>).includes(value)) return value as L
  return fail(option, `must be one of ${literals.map((l) => `"${l}"`).join(", ")}`, value)
}

const DURATION_STRING = /^\d+(?:\.\d+)?\s+(nanos?|micros?|millis?|seconds?|minutes?|hours?|days?|weeks?)$/

/** A duration in (0, max], checked before `Duration.decode` (which turns `-5` into zero). */
const duration = (
  option: string,
  value: unknown,
  def: Duration.DurationInput,
  max: Duration.Duration | undefined
): number => {
  const rule = max === undefined
    ? "must be a positive, finite duration"
    : `must be a positive duration of at most ${Duration.format(max)}`
  if (value === undefined) return Duration.toMillis(Duration.decode(def))
  const ok = Duration.isDuration(value) ||
    (typeof value === "number" && Number.isFinite(value)) ||
    (typeof value === "string" && DURATION_STRING.test(value.trim()))
  if (!ok) return fail(option, rule, value)
  const decoded = Duration.decode(value as Duration.DurationInput)
  if (!Duration.isFinite(decoded) || Duration.lessThanOrEqualTo(decoded, Duration.zero)) {
    return fail(option, rule, value)
  }
  if (max !== undefined && Duration.greaterThan(decoded, max)) return fail(option, rule, value)
  return Duration.toMillis(decoded)
}

/** @internal */
export const validate = (options: unknown): Settings => {
  if (options === undefined) return validate({})
  if (typeof options !== "object" || options === null) return fail("options", "must be an object", options)
  const o = options as Record<string, unknown>
  const prefix = o.prefix === undefined ? "resilience:" : typeof o.prefix === "string"
    ? o.prefix
    : fail("prefix", "must be a string", o.prefix)
  const time = literal("time", o.time, ["redis", "app"], "redis")
  const commandTimeoutMillis = duration("commandTimeout", o.commandTimeout, "100 millis", Duration.minutes(1))
  const onUnavailable = literal("onUnavailable", o.onUnavailable, ["local", "fail-open", "fail-closed"], "local")
  const localShare = o.localShare === undefined
    ? 1
    : Number.isSafeInteger(o.localShare) && (o.localShare as number) >= 1
    ? o.localShare as number
    : fail("localShare", "must be a positive integer", o.localShare)
  const probeLeaseMillis = duration("probeLease", o.probeLease, "10 seconds", undefined)
  const idleTimeToLiveMillis = duration("idleTimeToLive", o.idleTimeToLive, "1 hour", undefined)
  return { prefix, time, commandTimeoutMillis, onUnavailable, localShare, probeLeaseMillis, idleTimeToLiveMillis }
}

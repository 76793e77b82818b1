/**
 * Option checks for the client's combinators and presets. Bad options are programmer errors:
 * they throw core's `ResilienceConfigError` at the call that received them.
 */
import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"

/** @internal */
export const fail = (option: string, rule: string, value: unknown): never => {
  throw new ResilienceError.ResilienceConfigError({ option, rule, value })
}

/** @internal */
export const object = (option: string, value: unknown): Record<string, unknown> => {
  if (!Predicate.isObject(value) || typeof value === "function" || Array.isArray(value)) {
    return fail(option, "must be an options object", value)
  }
  return value as Record<string, unknown>
}

/** @internal */
export const optionalObject = (option: string, value: unknown): Record<string, unknown> =>
  value === undefined ? {} : object(option, value)

/** @internal */
export const optionalFunc = <F>(option: string, value: unknown): F | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "function") return fail(option, "must be a function", value)
  return value as F
}

/** @internal */
export const optionalName = (option: string, value: unknown): string | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "string" || value.length === 0) return fail(option, "must be a non-empty string", value)
  return value
}

/** @internal */
export const optionalInteger = (option: string, value: unknown, min: number): number | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    return fail(option, min === 0 ? "must be a non-negative integer" : `must be an integer ≥ ${min}`, value)
  }
  return value
}

const DURATION_STRING = /^(\d+(?:\.\d+)?)\s+(nanos?|micros?|millis?|seconds?|minutes?|hours?|days?|weeks?)$/

/**
 * A non-negative, finite duration, checked before `Duration.decode` (which turns `-5`, `NaN`
 * and `"-5 millis"` into zero).
 *
 * @internal
 */
export const duration = (option: string, input: unknown): Duration.Duration => {
  const rule = "must be a non-negative, finite duration (a Duration, milliseconds, or a string like \"100 millis\")"
  let decoded: Duration.Duration | undefined
  if (Duration.isDuration(input)) decoded = input
  else if (typeof input === "number" && !Number.isNaN(input) && input >= 0) decoded = Duration.millis(input)
  else if (typeof input === "string" && DURATION_STRING.test(input.trim())) {
    decoded = Duration.decode(input.trim() as Duration.DurationInput)
  }
  if (decoded === undefined || !Duration.isFinite(decoded)) return fail(option, rule, input)
  return decoded
}

/** @internal */
export const methods = (option: string, value: unknown): ReadonlySet<string> => {
  if (!Array.isArray(value) || value.some((m) => typeof m !== "string" || m.length === 0)) {
    return fail(option, "must be an array of HTTP method names", value)
  }
  return new Set(value.map((m: string) => m.toUpperCase()))
}

/**
 * Option validation shared by every constructor and combinator.
 *
 * Invalid options are programmer errors: they throw a `ResilienceConfigError` at the call
 * that received them, so nothing half-configured ever runs. Raw input is checked before it
 * reaches `Duration.decode`, which quietly turns `-5`, `NaN` and `"-5 millis"` into zero.
 */
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import { ResilienceConfigError } from "./errors.js"

/** @internal */
export const fail = (option: string, rule: string, value: unknown): never => {
  throw new ResilienceConfigError({ option, rule, value })
}

const DURATION_STRING = /^(-?\d+(?:\.\d+)?)\s+(nanos?|micros?|millis?|seconds?|minutes?|hours?|days?|weeks?)$/

const isTuple = (input: ReadonlyArray<unknown>): input is readonly [number, number] =>
  input.length === 2 && typeof input[0] === "number" && typeof input[1] === "number" &&
  !Number.isNaN(input[0]) && !Number.isNaN(input[1]) && input[0] >= 0 && input[1] >= 0

/** @internal */
export interface DurationRule {
  /** zero allowed (default true) */
  readonly allowZero?: boolean
  /** `Duration.infinity` / `Infinity` allowed (default false) */
  readonly allowInfinite?: boolean
}

/** @internal */
export const duration = (option: string, input: unknown, rule: DurationRule = {}): Duration.Duration => {
  const allowZero = rule.allowZero ?? true
  const allowInfinite = rule.allowInfinite ?? false
  const ruleText = `must be a ${allowZero ? "non-negative" : "positive"}${allowInfinite ? "" : ", finite"} duration` +
    ` (a Duration, milliseconds, or a string like "100 millis")`
  let decoded: Duration.Duration | undefined
  if (Duration.isDuration(input)) {
    decoded = input
  } else if (typeof input === "number") {
    if (Number.isNaN(input) || input < 0) return fail(option, ruleText, input)
    decoded = Duration.millis(input)
  } else if (typeof input === "bigint") {
    if (input < BigInt(0)) return fail(option, ruleText, input)
    decoded = Duration.nanos(input)
  } else if (Array.isArray(input)) {
    if (!isTuple(input)) return fail(option, ruleText, input)
    // an infinite part is Duration.infinity; a finite one too large for nanoseconds is a RangeError in decode
    if (input[0] === Infinity || input[1] === Infinity) {
      decoded = Duration.infinity
    } else {
      if (!Number.isFinite(input[0] * 1e9 + input[1])) return fail(option, ruleText, input)
      decoded = Duration.decode(input as unknown as readonly [number, number])
    }
  } else if (typeof input === "string") {
    const match = DURATION_STRING.exec(input.trim())
    if (match === null || Number(match[1]) < 0) return fail(option, ruleText, input)
    decoded = Duration.decode(input.trim() as Duration.DurationInput)
  } else {
    return fail(option, ruleText, input)
  }
  if (!allowInfinite && !Duration.isFinite(decoded)) return fail(option, ruleText, input)
  if (!allowZero && Duration.isZero(decoded)) return fail(option, ruleText, input)
  return decoded
}

/** @internal */
export const optionalDuration = (
  option: string,
  input: unknown,
  rule?: DurationRule
): Duration.Duration | undefined => input === undefined ? undefined : duration(option, input, rule)

/** @internal */
export const integer = (option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const rule = max === Number.MAX_SAFE_INTEGER
      ? min === 0
        ? "must be a non-negative integer"
        : min === 1
        ? "must be a positive integer"
        : `must be an integer ≥ ${min}`
      : `must be an integer in [${min}, ${max}]`
    return fail(option, rule, value)
  }
  return value
}

/** @internal */
export const optionalInteger = (option: string, value: unknown, min: number, max?: number): number | undefined =>
  value === undefined ? undefined : integer(option, value, min, max)

/** @internal */
export interface NumberRule {
  readonly min: number
  readonly max?: number
  readonly minExclusive?: boolean
}

/** @internal */
export const number = (option: string, value: unknown, rule: NumberRule): number => {
  const max = rule.max ?? Infinity
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (rule.minExclusive ? value > rule.min : value >= rule.min) && value <= max
  if (!ok) {
    const lower = `${rule.minExclusive ? "(" : "["}${rule.min}`
    const text = rule.max === undefined
      ? rule.minExclusive ? `must be a finite number > ${rule.min}` : `must be a finite number ≥ ${rule.min}`
      : `must be a number in ${lower}, ${max}]`
    return fail(option, text, value)
  }
  return value as number
}

/** @internal */
export const literal = <const L extends string>(option: string, value: unknown, literals: ReadonlyArray<L>): L => {
  if (typeof value !== "string" || !literals.includes(value as L)) {
    return fail(option, `must be one of ${literals.map((l) => `"${l}"`).join(", ")}`, value)
  }
  return value as L
}

/** @internal */
export const optionalBoolean = (option: string, value: unknown): boolean | undefined => {
  if (value !== undefined && typeof value !== "boolean") return fail(option, "must be a boolean", value)
  return value
}

/** @internal */
export const func = <F>(option: string, value: unknown): F => {
  if (typeof value !== "function") return fail(option, "must be a function", value)
  return value as F
}

/** @internal */
export const optionalFunc = <F>(option: string, value: unknown): F | undefined =>
  value === undefined ? undefined : func<F>(option, value)

/** @internal */
export const optionalName = (option: string, value: unknown): string | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "string" || value.length === 0) return fail(option, "must be a non-empty string", value)
  return value
}

/** @internal */
export const object = (option: string, value: unknown): Record<string, unknown> => {
  if (!Predicate.isObject(value) || typeof value === "function") return fail(option, "must be an options object", value)
  return value as Record<string, unknown>
}

/** @internal */
export const optionalObject = (option: string, value: unknown): Record<string, unknown> | undefined =>
  value === undefined ? undefined : object(option, value)

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as validate from "./validate.js"

/** @internal */
export type Jitter = "none" | "full" | "equal"

/** Without `max`, delays stop growing here, so no schedule ever produces an infinite Duration. */
const CEILING_MILLIS = 24 * 60 * 60 * 1000

const JITTERS: ReadonlyArray<Jitter> = ["none", "full", "equal"]

const done = ScheduleDecision.done

/**
 * A schedule whose output is the delay before retry `n` (n = 1, 2, ...), stopping after
 * `maxRetries` retries when given. `delay` computes the capped delay in milliseconds.
 */
const delays = <S>(
  initial: S,
  maxRetries: number | undefined,
  delay: (retry: number, state: S) => Effect.Effect<readonly [millis: number, state: S]>
): Schedule.Schedule<Duration.Duration, unknown> =>
  Schedule.makeWithState<readonly [number, S], unknown, Duration.Duration>(
    [0, initial],
    (now, _input, [count, state]) => {
      const retry = count + 1
      if (maxRetries !== undefined && retry > maxRetries) {
        return Effect.succeed([[count, state], Duration.zero, done] as const)
      }
      return Effect.map(delay(retry, state), ([millis, next]) =>
        [
          [retry, next],
          Duration.millis(millis),
          ScheduleDecision.continueWith(ScheduleInterval.after(now + millis))
        ] as const)
    }
  )

/** Jitter is drawn within the already capped delay, so it never exceeds `max`. */
const jittered = (jitter: Jitter, millis: number): Effect.Effect<number> => {
  switch (jitter) {
    case "none":
      return Effect.succeed(millis)
    case "full":
      return Effect.map(Random.next, (r) => millis * r)
    case "equal":
      return Effect.map(Random.next, (r) => millis / 2 + (millis / 2) * r)
  }
}

const withState = <S>(state: S) => (millis: number) => [millis, state] as const

/** A `max` below `base` is allowed, as in Polly: every delay is then `max`. */
const readMax = (options: Record<string, unknown>): number | undefined => {
  const max = validate.optionalDuration("max", options.max)
  return max === undefined ? undefined : Duration.toMillis(max)
}

const readCommon = (options: Record<string, unknown>) => ({
  maxRetries: validate.optionalInteger("maxRetries", options.maxRetries, 0),
  jitter: options.jitter === undefined ? "none" as Jitter : validate.literal("jitter", options.jitter, JITTERS)
})

/** @internal */
export const constant = (delay: unknown, options?: unknown): Schedule.Schedule<Duration.Duration, unknown> => {
  const millis = Duration.toMillis(validate.duration("delay", delay))
  const { jitter, maxRetries } = readCommon(validate.optionalObject("options", options) ?? {})
  return delays(undefined, maxRetries, () => Effect.map(jittered(jitter, millis), withState(undefined)))
}

/** @internal */
export const linear = (options: unknown): Schedule.Schedule<Duration.Duration, unknown> => {
  const o = validate.object("options", options)
  const base = Duration.toMillis(validate.duration("base", o.base))
  const increment = o.increment === undefined ? base : Duration.toMillis(validate.duration("increment", o.increment))
  // without max, linear growth stays finite: no ceiling needed
  const max = readMax(o) ?? Infinity
  const { jitter, maxRetries } = readCommon(o)
  return delays(undefined, maxRetries, (retry) =>
    Effect.map(
      jittered(jitter, Math.min(max, base + increment * (retry - 1))),
      withState(undefined)
    ))
}

/** @internal */
export const exponentialMillis = (base: number, factor: number, max: number, retry: number): number => {
  if (base === 0) return 0
  // pow saturates to Infinity for large exponents; min() then yields the cap, never NaN or overflow
  return Math.min(max, base * Math.pow(factor, retry - 1))
}

/** @internal */
export const exponential = (options: unknown): Schedule.Schedule<Duration.Duration, unknown> => {
  const o = validate.object("options", options)
  const base = Duration.toMillis(validate.duration("base", o.base))
  const factor = o.factor === undefined ? 2 : validate.number("factor", o.factor, { min: 1 })
  const max = readMax(o) ?? Math.max(CEILING_MILLIS, base)
  const { jitter, maxRetries } = readCommon(o)
  return delays(undefined, maxRetries, (retry) =>
    Effect.map(
      jittered(jitter, exponentialMillis(base, factor, max, retry)),
      withState(undefined)
    ))
}

// Polly's DecorrelatedJitterBackoffV2 constants (George Polevoy's formula, Polly's scaling).
const P_FACTOR = 4.0
const RP_SCALING_FACTOR = 1 / 1.4

/**
 * One step of Polly's DecorrelatedJitterBackoffV2: `attempt` is zero-based, `prev` the formula's
 * previous value (0 at first), `random` uniform in [0, 1).
 *
 * @internal
 */
export const decorrelatedJitterStep = (
  attempt: number,
  base: number,
  max: number,
  prev: number,
  random: number
): readonly [millis: number, prev: number] => {
  const t = attempt + random
  const next = Math.pow(2, t) * Math.tanh(Math.sqrt(P_FACTOR * t))
  if (!Number.isFinite(next)) return [max, next]
  const millis = (next - prev) * RP_SCALING_FACTOR * base
  return [Math.min(max, Math.max(0, millis)), next]
}

/** @internal */
export const decorrelatedJitter = (options: unknown): Schedule.Schedule<Duration.Duration, unknown> => {
  const o = validate.object("options", options)
  const base = Duration.toMillis(validate.duration("base", o.base))
  const max = readMax(o) ?? Math.max(CEILING_MILLIS, base)
  const maxRetries = validate.optionalInteger("maxRetries", o.maxRetries, 0)
  return delays(
    0,
    maxRetries,
    (retry, prev) => Effect.map(Random.next, (random) => decorrelatedJitterStep(retry - 1, base, max, prev, random))
  )
}

/** @internal */
export const retryAfterMillis = (input: unknown): number | undefined => {
  if (typeof input !== "object" || input === null || !("retryAfter" in input)) return undefined
  const retryAfter = (input as { readonly retryAfter: unknown }).retryAfter
  if (!Duration.isDuration(retryAfter) || !Duration.isFinite(retryAfter)) return undefined
  return Duration.toMillis(retryAfter)
}

/** @internal */
export const honorRetryAfter = <Out, In, R>(schedule: Schedule.Schedule<Out, In, R>): Schedule.Schedule<Out, In, R> => {
  if (!Schedule.isSchedule(schedule)) validate.fail("schedule", "must be a Schedule", schedule)
  return Schedule.makeWithState(
    schedule.initial,
    (now, input, state) =>
      Effect.map(schedule.step(now, input, state), (step) => {
        const [next, out, decision] = step
        if (ScheduleDecision.isDone(decision)) return step
        const retryAfter = retryAfterMillis(input)
        if (retryAfter === undefined) return step
        const target = now + retryAfter
        return target > ScheduleIntervals.start(decision.intervals)
          ? [next, out, ScheduleDecision.continueWith(ScheduleInterval.after(target))] as const
          : step
      })
  )
}

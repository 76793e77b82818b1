import * as Retry from "@effect-resilience/core/Retry"
import type * as RetryBudget from "@effect-resilience/core/RetryBudget"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import { dualClient } from "./dual.js"
import {
  defaultRetryMethods,
  discard,
  isRejection,
  isReplayable,
  isTransientOutcome,
  ResponseFailure,
  responseOf,
  retryAfterMillis
} from "./outcome.js"
import * as validate from "./validate.js"

type Outcome = Exit.Exit<HttpClientResponse.HttpClientResponse, unknown>

/** @internal */
export interface RetryConfig {
  readonly methods: ReadonlySet<string>
  readonly retryOn: (outcome: Outcome) => boolean
  readonly policy: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

const defaultSchedule = () => Retry.exponential({ base: "200 millis", max: "10 seconds", jitter: "full" })

/**
 * The user's schedule, capped at `times` retries, waiting at least as long as a `Retry-After`
 * header asks (read against the Clock's `now`, which the schedule is stepped with) and ending
 * the retries when it asks for longer than `maxRetryAfter`.
 */
const httpSchedule = (
  schedule: Schedule.Schedule<unknown, unknown>,
  times: number,
  maxRetryAfter: number
): Schedule.Schedule<unknown, unknown> =>
  Schedule.makeWithState(
    [0, schedule.initial] as readonly [number, unknown],
    (now, input, [count, state]) => {
      const stop = Effect.succeed([[count, state] as const, undefined as unknown, ScheduleDecision.done] as const)
      if (count >= times) return stop
      const response = responseOf(input)
      const retryAfter = response === undefined ? undefined : retryAfterMillis(response, now)
      if (retryAfter !== undefined && retryAfter > maxRetryAfter) return stop
      return Effect.map(schedule.step(now, input, state), ([next, out, decision]) => {
        if (ScheduleDecision.isDone(decision)) return [[count, next] as const, out, decision] as const
        const start = retryAfter === undefined
          ? ScheduleIntervals.start(decision.intervals)
          : Math.max(ScheduleIntervals.start(decision.intervals), now + retryAfter)
        return [[count + 1, next] as const, out, ScheduleDecision.continueWith(ScheduleInterval.after(start))] as const
      })
    }
  )

/** @internal */
export const validateRetry = (input: unknown): RetryConfig => {
  const o = validate.optionalObject("options", input)
  if (o.schedule !== undefined && !Schedule.isSchedule(o.schedule)) {
    validate.fail("schedule", "must be a Schedule", o.schedule)
  }
  const times = validate.optionalInteger("times", o.times, 0) ?? 3
  const methods = o.methods === undefined ? defaultRetryMethods : validate.methods("methods", o.methods)
  const retryOn = validate.optionalFunc<(outcome: Outcome) => boolean>("retryOn", o.retryOn) ?? isTransientOutcome
  const maxRetryAfter = o.maxRetryAfter === undefined
    ? 60_000
    : Duration.toMillis(validate.duration("maxRetryAfter", o.maxRetryAfter))
  const name = validate.optionalName("name", o.name) ?? "http"
  const schedule = httpSchedule(
    (o.schedule as Schedule.Schedule<unknown, unknown> | undefined) ?? defaultSchedule(),
    times,
    maxRetryAfter
  )
  // core's Retry.retry validates the budget (and records events, metrics and budget use)
  const policy = Retry.retry({
    schedule,
    // our rejections are never retried, whatever retryOn says; a ResponseFailure was made
    // only for a response retryOn accepted
    while: (error: unknown) => error instanceof ResponseFailure || (!isRejection(error) && retryOn(Exit.fail(error))),
    budget: o.budget as RetryBudget.RetryBudget | undefined,
    name
  }) as RetryConfig["policy"]
  return { methods, retryOn, policy }
}

/**
 * One request through the retry loop. A response to retry becomes a `ResponseFailure` inside
 * the loop (so the loop, its events and budget see it) and the last one is returned unchanged
 * when retries end; each dropped response's body is discarded before the next attempt.
 */
const retryRequest = <E, R>(
  effect: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  config: RetryConfig
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> => {
  let previous: HttpClientResponse.HttpClientResponse | undefined
  const attempt = Effect.suspend(() => {
    const dropped = previous
    previous = undefined
    const call = Effect.flatMap(effect, (response) => {
      if (!config.retryOn(Exit.succeed(response))) return Effect.succeed(response)
      previous = response
      return Effect.fail(new ResponseFailure({ response }))
    })
    return dropped === undefined ? call : Effect.zipRight(discard(dropped), call)
  })
  return Effect.catchIf(
    config.policy(attempt),
    (error): error is ResponseFailure => error instanceof ResponseFailure,
    (failure) => Effect.succeed(failure.response)
  ) as Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>
}

/** @internal */
export const retryTransient = dualClient(
  validateRetry,
  (client, config) =>
    HttpClient.transform(
      client,
      (effect, request) => isReplayable(request, config.methods) ? retryRequest(effect, config) : effect
    )
)

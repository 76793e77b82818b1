/**
 * Retry on the success path: ours, `Effect.retry` with an Effect schedule, cockatiel's `retry`
 * and p-retry, all exponential from 10 ms with at most 3 retries.
 */
import * as Retry from "@effect-resilience/core/Retry"
import { ExponentialBackoff, handleAll, retry } from "cockatiel"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import pRetry from "p-retry"
import { call, fn, type Group, inFiber, perCall, settings, TARGET_ROUNDS } from "../harness.js"

export const retryOurs = Retry.retry({
  schedule: Retry.exponential({ base: `${settings.retryBaseMillis} millis`, maxRetries: settings.maxRetries })
})
export const effectSchedule = Schedule.exponential(`${settings.retryBaseMillis} millis`).pipe(
  Schedule.intersect(Schedule.recurs(settings.maxRetries))
)
export const cockatielRetry = () =>
  retry(handleAll, {
    maxAttempts: settings.maxRetries,
    backoff: new ExponentialBackoff({ initialDelay: settings.retryBaseMillis })
  })

const ours = call.pipe(retryOurs)
const effect = call.pipe(Effect.retry(effectSchedule))
const cockatiel = cockatielRetry()
const pRetryOptions = { retries: settings.maxRetries, minTimeout: settings.retryBaseMillis, factor: 2 }

export const groups: ReadonlyArray<Group> = [
  {
    id: "retry",
    title: "Retry, success path, per call",
    mode: "runPromise",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: perCall(call) },
      { name: "Retry.retry (ours)", kind: "ours", run: perCall(ours) },
      { name: "Effect.retry(Schedule)", kind: "effect", run: perCall(effect) },
      { name: "cockatiel retry", kind: "peer", run: () => cockatiel.execute(fn) },
      { name: "p-retry", kind: "peer", run: () => pRetry(fn, pRetryOptions) }
    ]
  },
  {
    id: "retry-fiber",
    rounds: TARGET_ROUNDS,
    title: "Retry, success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      { name: "Retry.retry (ours)", kind: "ours", run: inFiber(ours) },
      { name: "Effect.retry(Schedule)", kind: "effect", run: inFiber(effect) }
    ]
  }
]

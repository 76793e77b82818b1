/**
 * Circuit breakers on the success path: ours (consecutive failures; failure rate over a count
 * window and over a time window) against cockatiel's Consecutive and Sampling breakers and
 * opossum (its default options, which time every call out after 10 s, and `timeout: false`).
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import { circuitBreaker, ConsecutiveBreaker, handleAll, SamplingBreaker } from "cockatiel"
import type * as Effect from "effect/Effect"
import Opossum from "opossum"
import { build, call, disposeAtExit, fn, type Group, inFiber, perCall, settings, TARGET_ROUNDS } from "../harness.js"

export const oursConsecutive = () =>
  CircuitBreaker.make({
    trip: CircuitBreaker.consecutive(settings.consecutiveFailures),
    breakDuration: `${settings.breakMillis} millis`
  })
export const oursCountWindow = () =>
  CircuitBreaker.make({
    trip: CircuitBreaker.failureRate({
      threshold: settings.failureThreshold,
      minimumCalls: settings.windowCalls,
      window: { calls: settings.windowCalls }
    }),
    breakDuration: `${settings.breakMillis} millis`
  })
export const oursTimeWindow = () =>
  CircuitBreaker.make({
    trip: CircuitBreaker.failureRate({
      threshold: settings.failureThreshold,
      minimumCalls: settings.windowCalls,
      window: { duration: `${settings.windowMillis} millis`, buckets: 10 }
    }),
    breakDuration: `${settings.breakMillis} millis`
  })
export const cockatielConsecutive = () =>
  circuitBreaker(handleAll, {
    halfOpenAfter: settings.breakMillis,
    breaker: new ConsecutiveBreaker(settings.consecutiveFailures)
  })
export const cockatielSampling = () =>
  circuitBreaker(handleAll, {
    halfOpenAfter: settings.breakMillis,
    breaker: new SamplingBreaker({ threshold: settings.failureThreshold, duration: settings.windowMillis })
  })
/** opossum with its default options: a 10 s timeout per call, 50% over a 10 s rolling window */
export const opossumDefault = () => new Opossum(fn)
export const opossumNoTimeout = () => new Opossum(fn, { timeout: false })

const consecutive = build(oursConsecutive())
const countWindow = build(oursCountWindow())
const timeWindow = build(oursTimeWindow())
const cockatielC = cockatielConsecutive()
const cockatielS = cockatielSampling()
const opossum = disposeAtExit(opossumDefault(), (breaker) => breaker.shutdown())
const opossumNoTimer = disposeAtExit(opossumNoTimeout(), (breaker) => breaker.shutdown())

const ourRows = (wrap: (effect: Effect.Effect<unknown, unknown>) => () => unknown) => [
  { name: "consecutive(5) (ours)", kind: "ours" as const, run: wrap(consecutive.protect(call)) },
  { name: "failureRate, 100-call window (ours)", kind: "ours" as const, run: wrap(countWindow.protect(call)) },
  { name: "failureRate, 10 s window (ours)", kind: "ours" as const, run: wrap(timeWindow.protect(call)) }
]

export const groups: ReadonlyArray<Group> = [
  {
    id: "breaker",
    title: "Circuit breaker, success path, per call",
    mode: "runPromise",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: perCall(call) },
      ...ourRows(perCall),
      { name: "cockatiel ConsecutiveBreaker(5)", kind: "peer", run: () => cockatielC.execute(fn) },
      { name: "cockatiel SamplingBreaker(50%, 10 s)", kind: "peer", run: () => cockatielS.execute(fn) },
      { name: "opossum, default options", kind: "peer", run: () => opossum.fire() },
      { name: "opossum, timeout: false", kind: "peer", run: () => opossumNoTimer.fire() }
    ]
  },
  {
    id: "breaker-fiber",
    rounds: TARGET_ROUNDS,
    title: "Circuit breaker, success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      ...ourRows(inFiber)
    ]
  }
]

/**
 * Validation of `CircuitBreaker.make` options, at call time: every bad value throws a
 * `ResilienceConfigError` naming the option before anything runs.
 */
import * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import type * as CircuitBreaker from "../../CircuitBreaker.js"
import * as validate from "../validate.js"
import { defaultStore } from "./memoryStore.js"
import { consecutive, isTripPolicy } from "./tripPolicy.js"

/** @internal */
export interface Config {
  readonly name: string | undefined
  /** the trip policy as the store sees it, slow calls included */
  readonly trip: CircuitBreaker.TripPolicy
  /** the break when `breakDuration` is a duration; the fallback break when it is a schedule */
  readonly breakMillis: number
  readonly schedule: Schedule.Schedule<unknown, unknown> | undefined
  readonly halfOpenMaxCalls: number
  readonly isFailure: ((error: unknown) => boolean) | undefined
  readonly slowMillis: number | undefined
  readonly store: CircuitBreaker.Store.Factory
  readonly initialState: CircuitBreaker.Snapshot | undefined
}

const DEFAULT_BREAK_MILLIS = 30_000
const DEFAULT_TRIP = consecutive(5)
const STATES: ReadonlyArray<CircuitBreaker.State> = ["Closed", "Open", "HalfOpen", "Isolated"]

const validateSnapshot = (
  value: unknown,
  trip: CircuitBreaker.TripPolicy,
  halfOpenMaxCalls: number
): CircuitBreaker.Snapshot => {
  const o = validate.object("initialState", value)
  const state = validate.literal("initialState.state", o.state, STATES)
  const openedAt = validate.number("initialState.openedAt", o.openedAt, { min: -Number.MAX_VALUE })
  const breakMillis = validate.number("initialState.breakMillis", o.breakMillis, { min: 0 })
  const halfOpenSuccesses = validate.integer(
    "initialState.halfOpenSuccesses",
    o.halfOpenSuccesses,
    0,
    halfOpenMaxCalls - 1
  )
  if (!trip.make().restore(o.counts)) {
    validate.fail("initialState.counts", "must be the counts of a snapshot taken with the same trip policy", o.counts)
  }
  return { state, openedAt, breakMillis, halfOpenSuccesses, counts: o.counts }
}

/** @internal */
export const validateOptions = (options: CircuitBreaker.CircuitBreaker.Options | undefined): Config => {
  const o = validate.optionalObject("options", options) ?? {}
  const name = validate.optionalName("name", o.name)
  if (o.trip !== undefined && !isTripPolicy(o.trip)) {
    validate.fail("trip", "must be a TripPolicy (CircuitBreaker.consecutive or CircuitBreaker.failureRate)", o.trip)
  }
  let trip = (o.trip as CircuitBreaker.TripPolicy | undefined) ?? DEFAULT_TRIP
  let schedule: Schedule.Schedule<unknown, unknown> | undefined
  let breakMillis = DEFAULT_BREAK_MILLIS
  if (Schedule.isSchedule(o.breakDuration)) {
    schedule = o.breakDuration as Schedule.Schedule<unknown, unknown>
  } else if (o.breakDuration !== undefined) {
    breakMillis = Duration.toMillis(validate.duration("breakDuration", o.breakDuration, { allowZero: false }))
  }
  const halfOpenMaxCalls = validate.optionalInteger("halfOpenMaxCalls", o.halfOpenMaxCalls, 1) ?? 1
  const isFailure = validate.optionalFunc<(error: unknown) => boolean>("isFailure", o.isFailure)
  let slowMillis: number | undefined
  const slowCall = validate.optionalObject("slowCall", o.slowCall)
  if (slowCall !== undefined) {
    if (typeof trip.withSlowCalls !== "function") {
      validate.fail("slowCall", "needs a failureRate trip policy", o.slowCall)
    }
    slowMillis = Duration.toMillis(validate.duration("slowCall.duration", slowCall.duration, { allowZero: false }))
    const rate = validate.number("slowCall.rate", slowCall.rate, { min: 0, minExclusive: true, max: 1 })
    trip = trip.withSlowCalls!(rate)
  }
  const store = validate.optionalFunc<CircuitBreaker.Store.Factory>("store", o.store) ?? defaultStore
  const initialState = o.initialState === undefined
    ? undefined
    : validateSnapshot(o.initialState, trip, halfOpenMaxCalls)
  return { name, trip, breakMillis, schedule, halfOpenMaxCalls, isFailure, slowMillis, store, initialState }
}

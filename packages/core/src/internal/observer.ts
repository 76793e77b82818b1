/**
 * The one seam through which every policy reports what it does.
 *
 * Policies never grow their `R` for observability: they read an optional `Observer` from the
 * context (`Effect.contextWith`), and do nothing when it is absent. Stateful services resolve
 * their `Instrument` once, when they are made, so metric handles are tagged per instance;
 * combinators resolve it per call from a cache the observer keeps by kind and name.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { ResilienceEvent } from "../ResilienceEvent.js"

/** @internal */
export type PolicyKind =
  | "CircuitBreaker"
  | "Bulkhead"
  | "RateLimiter"
  | "Retry"
  | "RetryBudget"
  | "Timeout"
  | "Hedge"
  | "Fallback"
  | "Chaos"
  | "Reconnect"

/** @internal */
export type CallOutcome = "success" | "failure" | "rejected" | "interrupted" | "ignored" | "fallback" | "hedged"

/** @internal */
export type GaugeName = "active" | "queued" | "limit" | "state"

/** @internal */
export type AttemptOutcome = "success" | "failure" | "timeout"

/** @internal */
export interface Instrument {
  /** false for the no-op instrument: callers skip building events and reading the clock */
  readonly active: boolean
  readonly emit: (event: ResilienceEvent) => void
  /** `durationMillis` of a call that ran; "hedged" is a success won by a hedge */
  readonly record: (outcome: CallOutcome, durationMillis: number) => void
  /** a level: a bulkhead's active and queued calls and its limit, a breaker's or a connection's state when it is made */
  readonly gauge?: ((gauge: GaugeName, value: number) => void) | undefined
  /** a connection attempt of a `Reconnect` ended */
  readonly connectionAttempt?: ((outcome: AttemptOutcome) => void) | undefined
}

/** @internal */
export interface Observer {
  readonly instrument: (kind: PolicyKind, name: string) => Instrument
}

/** @internal */
export class ObserverTag extends Context.Tag("@effect-resilience/core/Observer")<ObserverTag, Observer>() {}

/** @internal */
export const noopInstrument: Instrument = {
  active: false,
  emit: () => {},
  record: () => {},
  gauge: () => {},
  connectionAttempt: () => {}
}

/** @internal */
export const instrumentFrom = (context: Context.Context<never>, kind: PolicyKind, name: string): Instrument => {
  const observer = Context.getOption(context, ObserverTag)
  return observer._tag === "Some" ? observer.value.instrument(kind, name) : noopInstrument
}

/** @internal */
export const instrument = (kind: PolicyKind, name: string): Effect.Effect<Instrument> =>
  Effect.contextWith((context) => instrumentFrom(context, kind, name))

/**
 * The handlers that record a call's outcome and Clock duration (only with an active
 * instrument). They record synchronously and add no uninterruptible region, which would cost
 * more than the recording: an interrupted call skips them, so it is simply not counted
 * (interruption is never a failure).
 *
 * @internal
 */
export const recording = <A, E>(instrument: Instrument, clock: Clock.Clock, start: number) => ({
  onFailure: (cause: Cause.Cause<E>): Effect.Effect<A, E> => {
    instrument.record(
      Cause.isInterruptedOnly(cause) ? "interrupted" : "failure",
      clock.unsafeCurrentTimeMillis() - start
    )
    return Effect.failCause(cause)
  },
  onSuccess: (value: A): Effect.Effect<A, E> => {
    instrument.record("success", clock.unsafeCurrentTimeMillis() - start)
    return Effect.succeed(value)
  }
})

/**
 * Records the outcome and Clock duration of `effect` (only with an active instrument).
 *
 * @internal
 */
export const timed = <A, E, R>(
  instrument: Instrument,
  clock: Clock.Clock,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.matchCauseEffect(effect, recording<A, E>(instrument, clock, clock.unsafeCurrentTimeMillis()))

/**
 * Runs `f` with the instrument for this kind and name and the fiber's Clock, in one step: the
 * combinators call it on every call.
 *
 * @internal
 */
export const withInstrument = <A, E, R>(
  kind: PolicyKind,
  name: string,
  f: (instrument: Instrument, clock: Clock.Clock) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  // the fiber's context is usually the same object from one call to the next (a loop, a
  // request handler under one layer): the instrument is looked up again only when it changes
  let lastContext: Context.Context<never> | undefined
  let lastInstrument: Instrument = noopInstrument
  return Effect.withFiberRuntime((fiber) => {
    const context = fiber.currentContext
    if (context !== lastContext) {
      lastContext = context
      lastInstrument = instrumentFrom(context, kind, name)
    }
    return f(lastInstrument, Context.get(fiber.currentDefaultServices, Clock.Clock))
  })
}

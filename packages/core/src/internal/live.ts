/**
 * The live observer behind `ResilienceLive`: publishes events to subscribers (only while there
 * are any), records the `resilience_*` metrics with handles tagged once per instance, and adds
 * policy decisions to the current span.
 */
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as MetricKey from "effect/MetricKey"
import type * as MetricKeyType from "effect/MetricKeyType"
import * as MetricLabel from "effect/MetricLabel"
import type * as PubSub from "effect/PubSub"
import type { ResilienceEvent } from "../ResilienceEvent.js"
import { keys } from "./metrics.js"
import type { AttemptOutcome, CallOutcome, GaugeName, Instrument, Observer, PolicyKind } from "./observer.js"

const NO_TAGS: ReadonlyArray<MetricLabel.MetricLabel> = []

type Counter = MetricKey.MetricKey<MetricKeyType.MetricKeyType.Counter<number>>

/** A metric whose key carries its labels: updates go straight to its hook, no per-call tag merging. */

const handle = <Type extends MetricKeyType.MetricKeyType<any, any>>(
  key: MetricKey.MetricKey<Type>,
  labels: Record<string, string>
) =>
  Metric.fromMetricKey(
    MetricKey.taggedWithLabels(key, Object.entries(labels).map(([name, value]) => MetricLabel.make(name, value)))
  )

const STATE_VALUE = { Closed: 0, Open: 1, HalfOpen: 2, Isolated: 3 } as const

const CONNECTION_STATE_VALUE = { Connected: 0, Connecting: 1, Reconnecting: 1, Failed: 2, Closed: 3 } as const

/** @internal */
export interface EventHub {
  subscribers: number
  /** events offered to the hub: none while no one subscribes */
  published: number
  readonly pubsub: PubSub.PubSub<ResilienceEvent>
}

/**
 * Publishes to the hub, only while anyone subscribes: without subscribers events cost nothing.
 *
 * @internal
 */
export const offer = (hub: EventHub, event: ResilienceEvent): void => {
  if (hub.subscribers > 0) {
    hub.published++
    hub.pubsub.unsafeOffer(event)
  }
}

/** @internal */
export interface LiveOptions {
  readonly metrics: boolean
  readonly events: EventHub | undefined
  readonly spans: boolean
}

const spanAttributes = (event: ResilienceEvent): Record<string, unknown> => {
  const attributes: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(event)) {
    if (key === "_tag" || key === "at" || key === "error") continue
    if (event._tag === "ConnectionStateChanged" && (key === "from" || key === "to")) {
      // a connection state is an object: its tag is what a trace needs
      attributes[`resilience.${key}`] = (value as { readonly _tag: string })._tag
      continue
    }
    attributes[`resilience.${key}`] = typeof value === "object" && value !== null ? String(value) : value
  }
  return attributes
}

class LiveInstrument implements Instrument {
  readonly active = true
  readonly #counters = new Map<string, Metric.Metric.Counter<number>>()
  /** calls by outcome, on every call's path: keyed by the outcome itself, no string building */
  readonly #calls = new Map<CallOutcome, Metric.Metric.Counter<number>>()
  readonly #duration: Metric.Metric.Histogram<number> | undefined
  readonly #gauges: Record<"active" | "queued" | "limit", Metric.Metric.Gauge<number>> | undefined
  readonly #state: Metric.Metric.Gauge<number> | undefined

  constructor(readonly kind: PolicyKind, readonly name: string, readonly options: LiveOptions) {
    if (options.metrics) {
      this.#duration = handle(keys.callDuration, { name, policy: kind })
      this.#gauges = kind === "Bulkhead"
        ? {
          active: handle(keys.bulkheadActive, { name }),
          queued: handle(keys.bulkheadQueued, { name }),
          limit: handle(keys.bulkheadLimit, { name })
        }
        : undefined
      this.#state = kind === "CircuitBreaker"
        ? handle(keys.circuitBreakerState, { name })
        : kind === "Reconnect"
        ? handle(keys.connectionState, { name })
        : undefined
    }
  }

  /** counters are tagged once per instance and label set, then reused */
  count(key: Counter, labels: Record<string, string>, id: string): void {
    let counter = this.#counters.get(id)
    if (counter === undefined) {
      counter = handle(key, { name: this.name, ...labels })
      this.#counters.set(id, counter)
    }
    counter.unsafeUpdate(1, NO_TAGS)
  }

  readonly emit = (event: ResilienceEvent): void => {
    const hub = this.options.events
    if (hub !== undefined) offer(hub, event)
    if (this.options.spans) {
      const fiber = Fiber.getCurrentFiber()
      const span = fiber._tag === "Some" ? fiber.value.currentSpan : undefined
      if (span !== undefined && span._tag === "Span") {
        span.event(`resilience.${event._tag}`, BigInt(Math.round(event.at * 1_000_000)), spanAttributes(event))
        if (event._tag === "CircuitBreakerTransition") span.attribute("resilience.circuit_breaker.state", event.to)
        if (event._tag === "CallRejected") span.attribute("resilience.rejected", `${event.policy}:${event.reason}`)
        if (event._tag === "ConnectionStateChanged") span.attribute("resilience.connection.state", event.to._tag)
      }
    }
    if (!this.options.metrics) return
    switch (event._tag) {
      case "RetryScheduled":
        return this.count(keys.retryAttempts, {}, "retry")
      case "BudgetExhausted":
        return this.count(keys.retryBudgetExhausted, { budget: event.budgetName }, `budget:${event.budgetName}`)
      case "CircuitBreakerTransition":
        // one gauge cannot hold every key's state: a keyed breaker reports transitions only
        if (event.key === undefined) this.#state?.unsafeUpdate(STATE_VALUE[event.to], NO_TAGS)
        return this.count(
          keys.circuitBreakerTransitions,
          { from: event.from, to: event.to },
          `transition:${event.from}:${event.to}`
        )
      case "CallRejected":
        if (event.policy === "Bulkhead") {
          return this.count(keys.bulkheadRejected, { reason: event.reason }, `rejected:${event.reason}`)
        }
        if (event.policy === "RateLimiter") {
          return this.count(keys.rateLimiterDecisions, { outcome: "rejected" }, "decision:rejected")
        }
        return
      case "LimiterWaited":
        return this.count(keys.rateLimiterDecisions, { outcome: "waited" }, "decision:waited")
      case "TimedOut":
        return this.count(keys.timeouts, {}, "timeout")
      case "HedgeLaunched":
        return this.count(keys.hedges, { outcome: "launched" }, "hedge:launched")
      case "FallbackUsed":
        return this.count(keys.fallbacks, {}, "fallback")
      case "ChaosInjected":
        return this.count(keys.chaosInjections, { kind: event.kind }, `chaos:${event.kind}`)
      case "ConnectionStateChanged":
        this.#state?.unsafeUpdate(CONNECTION_STATE_VALUE[event.to._tag], NO_TAGS)
        return
      case "RetryGaveUp":
      case "ShutdownPhase":
      case "StoreUnavailable":
      case "StoreRecovered":
        return
    }
  }

  /** the counter of successful calls: the one every call on the success path updates */
  #success: Metric.Metric.Counter<number> | undefined = undefined

  readonly record = (outcome: CallOutcome, durationMillis: number): void => {
    if (!this.options.metrics) return
    const label = outcome === "hedged" ? "success" : outcome
    let calls = label === "success" ? this.#success : this.#calls.get(label)
    if (calls === undefined) {
      calls = handle(keys.calls, { name: this.name, policy: this.kind, outcome: label })
      this.#calls.set(label, calls)
      if (label === "success") this.#success = calls
    }
    calls.unsafeUpdate(1, NO_TAGS)
    if (outcome === "hedged") this.count(keys.hedges, { outcome: "won" }, "hedge:won")
    if (this.kind === "RateLimiter" && outcome === "success") {
      this.count(keys.rateLimiterDecisions, { outcome: "allowed" }, "decision:allowed")
    }
    // a limiter does not run the call, so it has no call duration to report
    if (outcome !== "rejected" && this.kind !== "RateLimiter") {
      this.#duration?.unsafeUpdate(durationMillis / 1000, NO_TAGS)
    }
  }

  readonly connectionAttempt = (outcome: AttemptOutcome): void => {
    if (this.options.metrics) this.count(keys.reconnectAttempts, { outcome }, `attempt:${outcome}`)
  }

  readonly gauge = (gauge: GaugeName, value: number): void => {
    if (gauge === "state") this.#state?.unsafeUpdate(value, NO_TAGS)
    else this.#gauges?.[gauge].unsafeUpdate(value, NO_TAGS)
  }
}

/** @internal */
export const makeObserver = (options: LiveOptions): Observer & { readonly events: EventHub | undefined } => {
  // by kind, then name: combinators look theirs up on every call, so no key is built
  const instruments = new Map<PolicyKind, Map<string, Instrument>>()
  return {
    events: options.events,
    instrument: (kind, name) => {
      let byName = instruments.get(kind)
      if (byName === undefined) {
        byName = new Map()
        instruments.set(kind, byName)
      }
      let instrument = byName.get(name)
      if (instrument === undefined) {
        instrument = new LiveInstrument(kind, name, options)
        byName.set(name, instrument)
      }
      return instrument
    }
  }
}

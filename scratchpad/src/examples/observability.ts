/**
 * Observability: a run through ResilienceLive that prints the event stream live, then the
 * Prometheus text that `ResilienceOtel.layer` serves on /metrics.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as ResilienceOtel from "@effect-resilience/opentelemetry/ResilienceOtel"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Timeline from "../timeline.js"

const describe = (event: ResilienceEvent): string => {
  switch (event._tag) {
    case "RetryScheduled":
      return `${event.policyName}: retry ${event.attempt} in ${Duration.format(event.delay)}`
    case "RetryGaveUp":
      return `${event.policyName}: gave up after ${event.attempts} attempts (${event.reason})`
    case "CircuitBreakerTransition":
      return `${event.policyName}: ${event.from} → ${event.to}`
    case "CallRejected":
      return `${event.policyName}: ${event.policy} rejected a call (${event.reason})`
    case "TimedOut":
      return `${event.policyName}: timed out after ${Duration.format(event.duration)}`
    case "BudgetExhausted":
      return `${event.policyName}: budget ${event.budgetName} exhausted`
    case "HedgeLaunched":
      return `${event.policyName}: hedge ${event.attempt} launched`
    case "LimiterWaited":
      return `${event.policyName}: waited ${Duration.format(event.waited)} for ${event.permits} permit(s)`
    case "FallbackUsed":
      return `${event.policyName}: fallback used`
    case "ShutdownPhase":
      return `shutdown: ${event.phase} (${event.inFlight} in flight)`
    case "StoreUnavailable":
      return `${event.policyName}: ${event.store} store unavailable`
    case "StoreRecovered":
      return `${event.policyName}: ${event.store} store recovered`
  }
}

const Live = Layer.mergeAll(
  Resilience.layer({
    instances: {
      circuitBreaker: { payments: { trip: CircuitBreaker.consecutive(3), breakDuration: "200 millis" } },
      rateLimiter: { api: { limit: 2, interval: "1 second", onExceeded: "fail" } }
    }
  }),
  ResilienceOtel.layer({ serviceName: "observability-example", prometheus: { port: 0 } })
)

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  yield* Console.log("events, as they happen:")
  yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (event) => timeline.log(`  ${describe(event)}`)))
  yield* Effect.sleep(10)

  // a payments API that is down: retries, then the breaker opens
  const charge = Effect.fail("503").pipe(Resilience.withCircuitBreaker("payments"))
  yield* charge.pipe(
    Retry.retry({ schedule: Retry.exponential({ base: "20 millis", maxRetries: 4 }), name: "charge" }),
    Effect.ignore
  )
  // a rate limit of 2 per second
  for (let i = 0; i < 3; i++) yield* Effect.void.pipe(Resilience.withRateLimiter("api"), Effect.ignore)
  // a slow query
  yield* Effect.sleep("1 second").pipe(Timeout.timeout({ duration: "50 millis", name: "orders-db" }), Effect.ignore)
  yield* Effect.sleep(20)

  const server = yield* ResilienceOtel.PrometheusServer
  const text = yield* Effect.promise(() => fetch(server.url).then((response) => response.text()))
  yield* Console.log(`\nGET ${server.url} (resilience_* series):`)
  for (const line of text.split("\n")) {
    if (line.startsWith("resilience_") && !line.includes("_bucket")) yield* Console.log(`  ${line}`)
  }
}).pipe(Effect.scoped, Effect.provide(Live), Effect.orDie)

import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"

const counter = (name: string, description: string) => MetricKey.counter(name, { description, incremental: true })

/** @internal */
export const keys = {
  calls: counter("resilience_calls_total", "Calls through a resilience policy, by outcome"),
  callDuration: MetricKey.histogram(
    "resilience_call_duration_seconds",
    // 16 bounds, 1 ms to about 33 s, then +Inf
    MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 17 }),
    "Duration of calls through a resilience policy, in seconds"
  ),
  circuitBreakerState: MetricKey.gauge("resilience_circuit_breaker_state", {
    description: "Circuit breaker state: 0 Closed, 1 Open, 2 HalfOpen, 3 Isolated"
  }),
  circuitBreakerTransitions: counter("resilience_circuit_breaker_transitions_total", "Circuit breaker transitions"),
  retryAttempts: counter("resilience_retry_attempts_total", "Retries scheduled"),
  retryBudgetExhausted: counter("resilience_retry_budget_exhausted_total", "Retries or hedges refused by a budget"),
  bulkheadActive: MetricKey.gauge("resilience_bulkhead_active", { description: "Calls running in a bulkhead" }),
  bulkheadQueued: MetricKey.gauge("resilience_bulkhead_queued", { description: "Calls waiting in a bulkhead" }),
  bulkheadLimit: MetricKey.gauge("resilience_bulkhead_limit", {
    description: "A bulkhead's concurrency limit (maxConcurrent, or an adaptive bulkhead's current limit)"
  }),
  bulkheadRejected: counter("resilience_bulkhead_rejected_total", "Calls rejected by a bulkhead, by reason"),
  rateLimiterDecisions: counter("resilience_rate_limiter_decisions_total", "Rate limiter decisions, by outcome"),
  hedges: counter("resilience_hedges_total", "Hedges launched and won"),
  timeouts: counter("resilience_timeouts_total", "Effects interrupted by a timeout"),
  fallbacks: counter("resilience_fallbacks_total", "Failures replaced by a fallback"),
  chaosInjections: counter(
    "resilience_chaos_injections_total",
    "Faults, latency, outcomes and behaviours injected by Chaos strategies, by kind"
  ),
  connectionState: MetricKey.gauge("resilience_connection_state", {
    description: "Connection state: 0 Connected, 1 Connecting or Reconnecting, 2 Failed, 3 Closed"
  }),
  reconnectAttempts: counter("resilience_reconnect_attempts_total", "Connection attempts, by outcome"),
  storeErrors: counter("resilience_store_errors_total", "Failed commands of a shared store, by reason")
} as const

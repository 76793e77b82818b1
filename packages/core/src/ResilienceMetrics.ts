/**
 * The Effect `Metric`s every policy records when `ResilienceLive` (or `Resilience.layer`) is
 * provided. All are prefixed `resilience_` and labelled with the instance's `name` (plus
 * `policy`, `outcome`, `state`, `reason`, `from` / `to` where they apply). Counters are
 * `incremental`, so OpenTelemetry exports them as counters, not gauges.
 *
 * Read them like any Effect metric, e.g.
 * `Metric.value(Metric.tagged(ResilienceMetrics.calls, "name", "payments"))`, or export them
 * with `@effect-resilience/opentelemetry`.
 *
 * @since 0.1.0
 */
import * as Metric from "effect/Metric"
import * as internal from "./internal/metrics.js"

/**
 * Calls through a policy by outcome. Labels: `name`, `policy`
 * (`CircuitBreaker | Bulkhead | RateLimiter | Retry | Timeout | Hedge | Fallback`),
 * `outcome` (`success | failure | rejected | interrupted | ignored | fallback`; `interrupted` is
 * counted where a policy already holds something across the call, e.g. a bulkhead permit).
 *
 * @since 0.1.0
 * @category metrics
 */
export const calls = Metric.fromMetricKey(internal.keys.calls)

/**
 * Duration of calls that ran (not rejected; not for rate limiters, which do not run the call), in
 * seconds. Labels: `name`, `policy`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const callDuration = Metric.fromMetricKey(internal.keys.callDuration)

/**
 * A breaker's state: 0 Closed, 1 Open, 2 HalfOpen, 3 Isolated. Label: `name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const circuitBreakerState = Metric.fromMetricKey(internal.keys.circuitBreakerState)

/**
 * Breaker transitions. Labels: `name`, `from`, `to`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const circuitBreakerTransitions = Metric.fromMetricKey(internal.keys.circuitBreakerTransitions)

/**
 * Retries scheduled by `Retry.retry`. Label: `name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const retryAttempts = Metric.fromMetricKey(internal.keys.retryAttempts)

/**
 * Retries or hedges refused by a spent retry budget. Labels: `name` (the retry or hedge site),
 * `budget`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const retryBudgetExhausted = Metric.fromMetricKey(internal.keys.retryBudgetExhausted)

/**
 * Calls running in a bulkhead. Label: `name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const bulkheadActive = Metric.fromMetricKey(internal.keys.bulkheadActive)

/**
 * Calls waiting in a bulkhead's queue. Label: `name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const bulkheadQueued = Metric.fromMetricKey(internal.keys.bulkheadQueued)

/**
 * A bulkhead's concurrency limit: `maxConcurrent` for a fixed bulkhead, the current limit for
 * an adaptive one. Label: `name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const bulkheadLimit = Metric.fromMetricKey(internal.keys.bulkheadLimit)

/**
 * Calls a bulkhead rejected. Labels: `name`, `reason` (`Full | QueueTimeout | Closed`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const bulkheadRejected = Metric.fromMetricKey(internal.keys.bulkheadRejected)

/**
 * A rate limiter's decisions. Labels: `name`, `outcome` (`allowed | rejected | waited`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const rateLimiterDecisions = Metric.fromMetricKey(internal.keys.rateLimiterDecisions)

/**
 * Hedges. Labels: `name`, `outcome` (`launched | won`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const hedges = Metric.fromMetricKey(internal.keys.hedges)

/**
 * Effects interrupted by `Timeout.timeout`. Label: `name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const timeouts = Metric.fromMetricKey(internal.keys.timeouts)

/**
 * Failures replaced by `Fallback.fallback`. Label: `name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const fallbacks = Metric.fromMetricKey(internal.keys.fallbacks)

/**
 * Injections by `Chaos` strategies. Labels: `name`, `kind` (`fault | latency | outcome | behavior`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const chaosInjections = Metric.fromMetricKey(internal.keys.chaosInjections)

/**
 * A `Reconnect`'s connection state: 0 Connected, 1 Connecting or Reconnecting, 2 Failed,
 * 3 Closed. Label: `name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const connectionState = Metric.fromMetricKey(internal.keys.connectionState)

/**
 * A `Reconnect`'s connection attempts. Labels: `name`, `outcome` (`success | failure | timeout`;
 * an attempt cut by `connectTimeout` is counted as `timeout`, and is a failed attempt).
 *
 * @since 0.1.0
 * @category metrics
 */
export const reconnectAttempts = Metric.fromMetricKey(internal.keys.reconnectAttempts)

/**
 * Commands of a shared store (e.g. Redis) that failed or timed out; the caller was answered by
 * the store's `onUnavailable` policy instead. Labels: `store` (`redis`), `reason`
 * (`timeout | error`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const storeErrors = Metric.fromMetricKey(internal.keys.storeErrors)

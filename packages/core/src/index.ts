/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Bulkhead from "./Bulkhead.js"

/**
 * @since 0.1.0
 */
export * as Chaos from "./Chaos.js"

/**
 * @since 0.1.0
 */
export * as CircuitBreaker from "./CircuitBreaker.js"

/**
 * @since 0.1.0
 */
export * as Deadline from "./Deadline.js"

/**
 * @since 0.1.0
 */
export * as Fallback from "./Fallback.js"

/**
 * @since 0.1.0
 */
export * as Hedge from "./Hedge.js"

/**
 * @since 0.1.0
 */
export * as Policy from "./Policy.js"

/**
 * @since 0.1.0
 */
export * as RateLimiter from "./RateLimiter.js"

/**
 * @since 0.1.0
 */
export * as Reconnect from "./Reconnect.js"

/**
 * @since 0.1.0
 */
export * as Resilience from "./Resilience.js"

export {
  /**
   * The default layer: registry, in-memory state, events and metrics.
   *
   * @since 0.1.0
   */
  ResilienceLive
} from "./Resilience.js"

/**
 * @since 0.1.0
 */
export * as ResilienceError from "./ResilienceError.js"

/**
 * @since 0.1.0
 */
export * as ResilienceEvent from "./ResilienceEvent.js"

/**
 * @since 0.1.0
 */
export * as ResilienceMetrics from "./ResilienceMetrics.js"

/**
 * @since 0.1.0
 */
export * as Retry from "./Retry.js"

/**
 * @since 0.1.0
 */
export * as RetryBudget from "./RetryBudget.js"

/**
 * @since 0.1.0
 */
export * as Timeout from "./Timeout.js"

/**
 * What the policies report: one tagged union for every kind of decision, published to the
 * event stream that `ResilienceLive` provides and mirrored in the metrics.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type { ConnectionState } from "./Reconnect.js"

/**
 * A breaker state, as in `CircuitBreaker.State`.
 *
 * @since 0.1.0
 * @category models
 */
export type BreakerState = "Closed" | "Open" | "HalfOpen" | "Isolated"

/**
 * The phases of a graceful shutdown, in order.
 *
 * @since 0.1.0
 * @category models
 */
export type ShutdownPhaseName = "draining" | "refusing" | "interrupting" | "closed"

/**
 * Every event carries the policy instance's name and the Clock time (`at`, in milliseconds).
 *
 * @since 0.1.0
 * @category models
 */
export type ResilienceEvent = Data.TaggedEnum<{
  /** `Retry.retry` will run attempt `attempt + 1` after `delay`, because of `error`. */
  RetryScheduled: {
    readonly policyName: string
    readonly attempt: number
    readonly delay: Duration.Duration
    readonly error: unknown
    readonly at: number
  }
  /**
   * `Retry.retry` returned its last failure: the schedule ended, `while` refused, the budget was
   * spent, or the next attempt would start too close to (or past) the deadline.
   */
  RetryGaveUp: {
    readonly policyName: string
    readonly attempts: number
    readonly reason: "ScheduleEnded" | "NotRetryable" | "BudgetExhausted" | "DeadlineExceeded"
    readonly error: unknown
    readonly at: number
  }
  /** A retry budget refused a withdrawal for a retry or a hedge. */
  BudgetExhausted: {
    readonly policyName: string
    readonly budgetName: string
    readonly at: number
  }
  /** A circuit breaker changed state. */
  CircuitBreakerTransition: {
    readonly policyName: string
    /** the key, for a breaker of a keyed instance (`policyName` is the keyed instance's name) */
    readonly key?: string
    readonly from: BreakerState
    readonly to: BreakerState
    readonly at: number
  }
  /** A stateful policy refused a call without running it. */
  CallRejected: {
    readonly policyName: string
    /** the key, for a keyed instance (`policyName` is the keyed instance's name) */
    readonly key?: string
    readonly policy: "CircuitBreaker" | "Bulkhead" | "RateLimiter"
    readonly reason: string
    readonly at: number
  }
  /** `Timeout.timeout` interrupted its effect. */
  TimedOut: {
    readonly policyName: string
    readonly duration: Duration.Duration
    readonly at: number
  }
  /** `Hedge.hedge` started attempt `attempt` (1 for the first hedge). */
  HedgeLaunched: {
    readonly policyName: string
    readonly attempt: number
    readonly at: number
  }
  /** A rate limiter made a caller wait `waited` for `permits`. */
  LimiterWaited: {
    readonly policyName: string
    readonly key?: string
    readonly permits: number
    readonly waited: Duration.Duration
    readonly at: number
  }
  /**
   * A phase of a graceful shutdown (`GracefulShutdown` in `@effect-resilience/platform`):
   * `"draining"` (readiness fails, requests are still served), `"refusing"` (new requests get
   * 503), `"interrupting"` (requests still in flight after the timeout are interrupted),
   * `"closed"`. `inFlight` is the number of requests in flight when the phase began.
   */
  ShutdownPhase: {
    readonly policyName: "shutdown"
    readonly phase: ShutdownPhaseName
    readonly inFlight: number
    readonly at: number
  }
  /**
   * A shared store (e.g. `store: "redis"`) stopped answering: published once when it goes down,
   * with the error that showed it. `policyName` names the store instance (`"redis:<prefix>"`).
   */
  StoreUnavailable: {
    readonly policyName: string
    readonly store: string
    readonly error: unknown
    readonly at: number
  }
  /** A shared store that was unavailable answers again. */
  StoreRecovered: {
    readonly policyName: string
    readonly store: string
    readonly at: number
  }
  /** `Fallback.fallback` replaced a failure with the fallback's result. */
  FallbackUsed: {
    readonly policyName: string
    readonly error: unknown
    readonly at: number
  }
  /** A `Chaos` strategy fired: it injected a fault, latency, an outcome or a behaviour. */
  ChaosInjected: {
    readonly policyName: string
    readonly kind: "fault" | "latency" | "outcome" | "behavior"
    readonly at: number
  }
  /** A `Reconnect`'s connection changed state; `to` carries the attempt and the error. */
  ConnectionStateChanged: {
    readonly policyName: string
    readonly from: ConnectionState
    readonly to: ConnectionState
    readonly at: number
  }
}>

/**
 * Constructors, `$is` and `$match` for `ResilienceEvent`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ResilienceEvent = Data.taggedEnum<ResilienceEvent>()

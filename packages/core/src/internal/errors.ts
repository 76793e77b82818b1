import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"

/** @internal */
export const describeValue = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (typeof value === "function") return "a function"
  if (Duration.isDuration(value)) return Duration.format(value)
  if (Array.isArray(value)) return `[${value.map(describeValue).join(", ")}]`
  if (Predicate.isObject(value)) {
    try {
      return JSON.stringify(value)
    } catch {
      return String(value)
    }
  }
  return String(value)
}

/** @internal */
export class ResilienceConfigError extends Data.TaggedError("ResilienceConfigError")<{
  readonly option: string
  readonly rule: string
  readonly value: unknown
}> {
  override get message(): string {
    return `Invalid option "${this.option}": ${this.rule} (got ${describeValue(this.value)})`
  }
}

/** @internal */
export class CircuitBreakerOpen extends Data.TaggedError("CircuitBreakerOpen")<{
  readonly policyName: string
  readonly key?: string
  readonly state: "Open" | "HalfOpen" | "Isolated"
  readonly retryAfter: Duration.Duration
}> {
  override get message(): string {
    const breaker = `Circuit breaker "${this.policyName}"${this.key === undefined ? "" : ` for key "${this.key}"`}`
    return this.state === "Isolated"
      ? `${breaker} is isolated`
      : `${breaker} is ${this.state === "Open" ? "open" : "half-open and busy"}` +
        ` (retry after ${Duration.format(this.retryAfter)})`
  }
}

/** @internal */
export class BulkheadRejected extends Data.TaggedError("BulkheadRejected")<{
  readonly policyName: string
  readonly key?: string
  readonly reason: "Full" | "QueueTimeout" | "Closed"
}> {
  override get message(): string {
    const bulkhead = `Bulkhead "${this.policyName}"${this.key === undefined ? "" : ` for key "${this.key}"`}`
    switch (this.reason) {
      case "Full":
        return `${bulkhead} is full`
      case "QueueTimeout":
        return `${bulkhead}: timed out waiting in the queue`
      case "Closed":
        return `${bulkhead} is closed`
    }
  }
}

/** @internal */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly policyName: string
  readonly key?: string
  readonly retryAfter: Duration.Duration
  readonly limit: number
  readonly remaining: number
}> {
  override get message(): string {
    const key = this.key === undefined ? "" : ` for key "${this.key}"`
    return `Rate limiter "${this.policyName}"${key} exceeded its limit of ${this.limit}` +
      ` (retry after ${Duration.format(this.retryAfter)})`
  }
}

/** @internal */
export class TimeoutError extends Data.TaggedError("TimeoutError")<{
  readonly policyName?: string
  readonly duration: Duration.Duration
}> {
  override get message(): string {
    const name = this.policyName === undefined ? "" : ` (${this.policyName})`
    return `Timed out after ${Duration.format(this.duration)}${name}`
  }
}

/** @internal */
export class ConnectionUnavailable extends Data.TaggedError("ConnectionUnavailable")<{
  readonly policyName: string
  readonly reason: "Reconnecting" | "Failed" | "Closed"
  readonly cause?: unknown
}> {
  override get message(): string {
    switch (this.reason) {
      case "Reconnecting":
        return `Connection "${this.policyName}" is unavailable: still reconnecting`
      case "Failed":
        return `Connection "${this.policyName}" failed: gave up reconnecting`
      case "Closed":
        return `Connection "${this.policyName}" is closed`
    }
  }
}

/** @internal */
export class DeadlineExceeded extends Data.TaggedError("DeadlineExceeded")<{
  readonly policyName?: string
  readonly remaining: Duration.Duration
}> {
  override get message(): string {
    const name = this.policyName === undefined ? "" : ` (${this.policyName})`
    return `Deadline exceeded${name}`
  }
}

/** @internal */
export const isPermanentRejection = (error: unknown): boolean =>
  Predicate.isTagged(error, "BulkheadRejected") ?
    (error as BulkheadRejected).reason === "Closed" :
    Predicate.isTagged(error, "CircuitBreakerOpen") ?
    (error as CircuitBreakerOpen).state === "Isolated" :
    Predicate.isTagged(error, "DeadlineExceeded") ||
    (Predicate.isTagged(error, "ConnectionUnavailable") && (error as ConnectionUnavailable).reason !== "Reconnecting")

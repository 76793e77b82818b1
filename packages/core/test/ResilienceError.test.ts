import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import { BulkheadRejected, CircuitBreakerOpen, RateLimited } from "../src/internal/errors.js"

describe("ResilienceError", () => {
  const rejections = [
    new CircuitBreakerOpen({ policyName: "cb", state: "Open", retryAfter: Duration.seconds(3) }),
    new BulkheadRejected({ policyName: "bh", reason: "Full" }),
    new RateLimited({ policyName: "rl", key: "tenant-1", retryAfter: Duration.millis(250), limit: 10, remaining: 0 }),
    new Timeout.TimeoutError({ duration: Duration.seconds(1) })
  ]

  it("isResilienceError recognises every rejection and nothing else", () => {
    for (const error of rejections) expect(ResilienceError.isResilienceError(error)).toBe(true)
    expect(ResilienceError.isResilienceError({ _tag: "TimeoutError" })).toBe(false)
    expect(ResilienceError.isResilienceError(new Error("x"))).toBe(false)
    expect(ResilienceError.isResilienceError("TimeoutError")).toBe(false)
  })

  it("rejections are Errors whose name stays the class name and whose message says what happened", () => {
    for (const error of rejections) {
      expect(error).toBeInstanceOf(Error)
      expect(error.name).not.toMatch(/^(cb|bh|rl)$/)
    }
    expect(rejections[0].message).toBe("Circuit breaker \"cb\" is open (retry after 3s)")
    expect(rejections[1].message).toBe("Bulkhead \"bh\" is full")
    expect(rejections[2].message).toBe(
      "Rate limiter \"rl\" for key \"tenant-1\" exceeded its limit of 10 (retry after 250ms)"
    )
    expect(rejections[3].message).toBe("Timed out after 1s")
  })

  it("isPermanentRejection: a closed bulkhead and an isolated breaker", () => {
    expect(ResilienceError.isPermanentRejection(new BulkheadRejected({ policyName: "b", reason: "Closed" }))).toBe(true)
    expect(
      ResilienceError.isPermanentRejection(
        new CircuitBreakerOpen({ policyName: "c", state: "Isolated", retryAfter: Duration.zero })
      )
    ).toBe(true)
    for (const error of rejections) expect(ResilienceError.isPermanentRejection(error)).toBe(false)
  })

  it("ResilienceConfigError names the option, the rule and the value", () => {
    const error = new ResilienceError.ResilienceConfigError({
      option: "maxRetries",
      rule: "must be a non-negative integer",
      value: -1
    })
    expect(error._tag).toBe("ResilienceConfigError")
    expect(error.message).toBe("Invalid option \"maxRetries\": must be a non-negative integer (got -1)")
    expect(ResilienceError.isResilienceConfigError(error)).toBe(true)
    expect(ResilienceError.isResilienceError(error)).toBe(false)
  })
})

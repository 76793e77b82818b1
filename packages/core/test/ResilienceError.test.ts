import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
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

describe("keyed rejections and the events other packages publish", () => {
  it("CircuitBreakerOpen and BulkheadRejected carry an optional key, named in the message", () => {
    const open = new CircuitBreakerOpen({
      policyName: "http",
      key: "https://api.example.com",
      state: "Isolated",
      retryAfter: Duration.zero
    })
    expect(open.key).toBe("https://api.example.com")
    expect(open.message).toBe("Circuit breaker \"http\" for key \"https://api.example.com\" is isolated")
    const full = new BulkheadRejected({ policyName: "tenants", key: "t-1", reason: "QueueTimeout" })
    expect(full.key).toBe("t-1")
    expect(full.message).toBe("Bulkhead \"tenants\" for key \"t-1\": timed out waiting in the queue")
    expect(new BulkheadRejected({ policyName: "bh", reason: "Closed" }).key).toBeUndefined()
  })

  it("ShutdownPhase, StoreUnavailable and StoreRecovered are ResilienceEvents", () => {
    const phase = ResilienceEvent.ShutdownPhase({ policyName: "shutdown", phase: "draining", inFlight: 3, at: 10 })
    const down = ResilienceEvent.StoreUnavailable({
      policyName: "redis:app:",
      store: "redis",
      error: "ECONNREFUSED",
      at: 1
    })
    const up = ResilienceEvent.StoreRecovered({ policyName: "redis:app:", store: "redis", at: 2 })
    expect([phase, down, up].map((event) => event._tag)).toEqual([
      "ShutdownPhase",
      "StoreUnavailable",
      "StoreRecovered"
    ])
    expect(ResilienceEvent.$is("ShutdownPhase")(phase) && phase.inFlight).toBe(3)
    expect(down.error).toBe("ECONNREFUSED")
  })
})

import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import type * as Policy from "@effect-resilience/core/Policy"
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "E", "R">
declare const perHost: CircuitBreaker.KeyedCircuitBreaker
declare const perTenant: Bulkhead.KeyedBulkhead
declare const event: ResilienceEvent

describe("CircuitBreaker.keyed and Bulkhead.keyed", () => {
  it("need only a Scope and never fail", () => {
    expect(CircuitBreaker.keyed()).type.toBe<Effect.Effect<CircuitBreaker.KeyedCircuitBreaker, never, Scope.Scope>>()
    expect(CircuitBreaker.keyed({ maxKeys: 10, idleTimeout: "1 minute", trip: CircuitBreaker.consecutive(3) })).type
      .toBe<Effect.Effect<CircuitBreaker.KeyedCircuitBreaker, never, Scope.Scope>>()
    expect(Bulkhead.keyed({ maxConcurrent: 2, maxKeys: 10 })).type.toBe<
      Effect.Effect<Bulkhead.KeyedBulkhead, never, Scope.Scope>
    >()
    expect(Bulkhead.keyed).type.not.toBeCallableWith({ maxKeys: 10 })
    expect(CircuitBreaker.keyed).type.not.toBeCallableWith({ maxKeys: "10" })
  })

  it("protect(key) is a policy adding the rejection; get(key) gives the key's instance", () => {
    expect(perHost.protect("h")).type.toBe<Policy.Policy<CircuitBreaker.CircuitBreakerOpen>>()
    expect(eff.pipe(perHost.protect("h"))).type.toBe<
      Effect.Effect<number, "E" | CircuitBreaker.CircuitBreakerOpen, "R">
    >()
    expect(perHost.get("h")).type.toBe<Effect.Effect<CircuitBreaker.CircuitBreaker>>()
    expect(perTenant.protect("t")).type.toBe<Policy.Policy<Bulkhead.BulkheadRejected>>()
    expect(perTenant.get("t")).type.toBe<Effect.Effect<Bulkhead.Bulkhead>>()
    expect(perTenant.size).type.toBe<Effect.Effect<number>>()
    expect(perHost.protect).type.not.toBeCallableWith(1)
  })

  it("rejections have an optional key", () => {
    expect<CircuitBreaker.CircuitBreakerOpen["key"]>().type.toBe<string | undefined>()
    expect<Bulkhead.BulkheadRejected["key"]>().type.toBe<string | undefined>()
  })
})

describe("Resilience registry additions", () => {
  it("named instances take optional per-name options", () => {
    expect(Resilience.circuitBreaker("a", { breakDuration: "1 second" })).type.toBe<
      Effect.Effect<CircuitBreaker.CircuitBreaker, never, Resilience.Resilience>
    >()
    expect(Resilience.bulkhead("a", { maxQueue: 2 })).type.toBe<
      Effect.Effect<Bulkhead.Bulkhead, never, Resilience.Resilience>
    >()
    expect(Resilience.circuitBreaker).type.not.toBeCallableWith("a", { name: "b" })
  })

  it("keyed instances, listings and publish", () => {
    expect(Resilience.keyedCircuitBreaker("http", { maxKeys: 100 })).type.toBe<
      Effect.Effect<CircuitBreaker.KeyedCircuitBreaker, never, Resilience.Resilience>
    >()
    expect(Resilience.keyedBulkhead("t")).type.toBe<
      Effect.Effect<Bulkhead.KeyedBulkhead, never, Resilience.Resilience>
    >()
    expect(Resilience.keyedRateLimiter("api", { limit: 5 })).type.toBe<
      Effect.Effect<RateLimiter.KeyedRateLimiter, never, Resilience.Resilience>
    >()
    expect(Resilience.circuitBreakers).type.toBe<
      Effect.Effect<ReadonlyArray<CircuitBreaker.CircuitBreaker>, never, Resilience.Resilience>
    >()
    expect(Resilience.bulkheads).type.toBe<
      Effect.Effect<ReadonlyArray<Bulkhead.Bulkhead>, never, Resilience.Resilience>
    >()
    // publish needs no registry: without one it does nothing
    expect(Resilience.publish(event)).type.toBe<Effect.Effect<void>>()
    expect(Resilience.publish).type.not.toBeCallableWith({ _tag: "Unknown" })
  })
})

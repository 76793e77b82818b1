import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "E", "R">
declare const breaker: CircuitBreaker.CircuitBreaker

describe("CircuitBreaker.protect", () => {
  it("adds CircuitBreakerOpen to the error channel, data-last and data-first", () => {
    expect(eff.pipe(CircuitBreaker.protect(breaker))).type.toBe<
      Effect.Effect<number, "E" | CircuitBreaker.CircuitBreakerOpen, "R">
    >()
    expect(CircuitBreaker.protect(eff, breaker)).type.toBe<
      Effect.Effect<number, "E" | CircuitBreaker.CircuitBreakerOpen, "R">
    >()
  })

  it("the service's protect is a policy with the same type", () => {
    expect(breaker.protect(eff)).type.toBe<Effect.Effect<number, "E" | CircuitBreaker.CircuitBreakerOpen, "R">>()
    expect(eff.pipe(breaker.protect)).type.toBe<Effect.Effect<number, "E" | CircuitBreaker.CircuitBreakerOpen, "R">>()
  })

  it("keeps never when the effect cannot fail", () => {
    expect(Effect.succeed(1).pipe(CircuitBreaker.protect(breaker))).type.toBe<
      Effect.Effect<number, CircuitBreaker.CircuitBreakerOpen>
    >()
  })

  it("requires a CircuitBreaker", () => {
    expect(CircuitBreaker.protect).type.not.toBeCallableWith({ name: "x" })
  })
})

describe("CircuitBreaker.make and layer", () => {
  it("make needs only a Scope and cannot fail", () => {
    expect(CircuitBreaker.make()).type.toBe<Effect.Effect<CircuitBreaker.CircuitBreaker, never, Scope.Scope>>()
    expect(CircuitBreaker.make({ name: "x", breakDuration: "1 second" })).type.toBe<
      Effect.Effect<CircuitBreaker.CircuitBreaker, never, Scope.Scope>
    >()
  })

  it("layer provides the tag's identifier", () => {
    class Payments extends Context.Tag("Payments")<Payments, CircuitBreaker.CircuitBreaker>() {}
    expect(CircuitBreaker.layer(Payments)).type.toBe<Layer.Layer<Payments>>()
    const tag: Context.Tag<Payments, CircuitBreaker.CircuitBreaker> = Payments
    expect(CircuitBreaker.layer(tag, { halfOpenMaxCalls: 2 })).type.toBe<Layer.Layer<Payments>>()
  })

  it("breakDuration takes a duration or a Schedule", () => {
    expect(CircuitBreaker.make).type.toBeCallableWith({ breakDuration: "10 seconds" })
    expect(CircuitBreaker.make).type.toBeCallableWith({ breakDuration: 500 })
    expect(CircuitBreaker.make).type.toBeCallableWith({ breakDuration: Schedule.exponential("1 second") })
    expect(CircuitBreaker.make).type.toBeCallableWith({
      breakDuration: Schedule.fromDelays("1 second", "5 seconds", "30 seconds")
    })
    expect(CircuitBreaker.make).type.not.toBeCallableWith({ breakDuration: true })
  })

  it("trip takes a TripPolicy", () => {
    expect(CircuitBreaker.make).type.toBeCallableWith({ trip: CircuitBreaker.consecutive(3) })
    expect(CircuitBreaker.make).type.toBeCallableWith({
      trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 5, window: { duration: "1 minute" } }),
      slowCall: { duration: "2 seconds", rate: 0.5 }
    })
    expect(CircuitBreaker.make).type.not.toBeCallableWith({ trip: 3 })
    expect(CircuitBreaker.failureRate).type.not.toBeCallableWith({ threshold: 0.5, minimumCalls: 5 })
  })
})

describe("CircuitBreaker models", () => {
  it("members", () => {
    expect(breaker.state).type.toBe<Effect.Effect<CircuitBreaker.State>>()
    expect(breaker.changes).type.toBe<Stream.Stream<CircuitBreaker.Transition>>()
    expect(breaker.trip).type.toBe<Effect.Effect<void>>()
    expect(breaker.isolate).type.toBe<Effect.Effect<void>>()
    expect(breaker.reset).type.toBe<Effect.Effect<void>>()
    expect(breaker.snapshot).type.toBe<Effect.Effect<CircuitBreaker.Snapshot>>()
    expect<CircuitBreaker.State>().type.toBe<"Closed" | "Open" | "HalfOpen" | "Isolated">()
  })

  it("CircuitBreakerOpen carries policyName, state and retryAfter", () => {
    const error = new CircuitBreaker.CircuitBreakerOpen({
      policyName: "p",
      state: "Open",
      retryAfter: Duration.zero
    })
    expect(error._tag).type.toBe<"CircuitBreakerOpen">()
    expect(error.state).type.toBe<"Open" | "HalfOpen" | "Isolated">()
  })
})

import type * as Bulkhead from "@effect-resilience/core/Bulkhead"
import type * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import type * as ResilienceError from "@effect-resilience/core/ResilienceError"
import type * as Timeout from "@effect-resilience/core/Timeout"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { describe, expect, it } from "tstyche"

declare const client: HttpClient.HttpClient
declare const custom: HttpClient.HttpClient.With<"E", "R">
declare const breaker: CircuitBreaker.CircuitBreaker
declare const keyedBreaker: CircuitBreaker.KeyedCircuitBreaker
declare const limiter: RateLimiter.RateLimiter
declare const keyedLimiter: RateLimiter.KeyedRateLimiter
declare const bulkhead: Bulkhead.Bulkhead
declare const keyedBulkhead: Bulkhead.KeyedBulkhead

type Client<E, R = never> = HttpClient.HttpClient.With<E, R>

describe("ResilientHttpClient combinators", () => {
  it("retryTransient and withHedging keep the client's type, data-last and data-first", () => {
    expect(client.pipe(ResilientHttpClient.retryTransient())).type.toBe<HttpClient.HttpClient>()
    expect(ResilientHttpClient.retryTransient(custom, { times: 2 })).type.toBe<Client<"E", "R">>()
    expect(custom.pipe(ResilientHttpClient.withHedging({ delay: "1 second" }))).type.toBe<Client<"E", "R">>()
    expect(ResilientHttpClient.withHedging(client, { delay: 100 })).type.toBe<HttpClient.HttpClient>()
  })

  it("retryOn and classify see the outcome as an Exit of the client's error", () => {
    ResilientHttpClient.retryTransient(client, {
      retryOn: (outcome) => {
        expect(outcome).type.toBe<Exit.Exit<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>>()
        return Exit.isFailure(outcome)
      }
    })
    ResilientHttpClient.withCircuitBreaker(custom, {
      breaker,
      classify: (outcome) => {
        expect(outcome).type.toBe<Exit.Exit<HttpClientResponse.HttpClientResponse, "E">>()
        return "ignored"
      }
    })
  })

  it("each policy adds its rejection", () => {
    expect(client.pipe(ResilientHttpClient.withCircuitBreaker({ breaker }))).type.toBe<
      Client<HttpClientError.HttpClientError | CircuitBreaker.CircuitBreakerOpen>
    >()
    expect(ResilientHttpClient.withCircuitBreaker(custom, { breaker: keyedBreaker })).type.toBe<
      Client<"E" | CircuitBreaker.CircuitBreakerOpen, "R">
    >()
    expect(custom.pipe(ResilientHttpClient.withRateLimiter({ limiter }))).type.toBe<
      Client<"E" | RateLimiter.RateLimited, "R">
    >()
    expect(ResilientHttpClient.withRateLimiter(custom, { limiter: keyedLimiter, permits: () => 2 })).type.toBe<
      Client<"E" | RateLimiter.RateLimited, "R">
    >()
    expect(custom.pipe(ResilientHttpClient.withBulkhead({ bulkhead }))).type.toBe<
      Client<"E" | Bulkhead.BulkheadRejected, "R">
    >()
    expect(ResilientHttpClient.withBulkhead(custom, { bulkhead: keyedBulkhead })).type.toBe<
      Client<"E" | Bulkhead.BulkheadRejected, "R">
    >()
    expect(custom.pipe(ResilientHttpClient.withTimeout("1 second"))).type.toBe<
      Client<"E" | Timeout.TimeoutError, "R">
    >()
    expect(ResilientHttpClient.withTimeout(custom, { duration: 10, name: "t" })).type.toBe<
      Client<"E" | Timeout.TimeoutError, "R">
    >()
  })

  it("rejects what is not an option", () => {
    expect(ResilientHttpClient.withCircuitBreaker).type.not.toBeCallableWith({ breaker: limiter })
    expect(ResilientHttpClient.withRateLimiter).type.not.toBeCallableWith({ limiter: breaker })
    expect(ResilientHttpClient.withBulkhead).type.not.toBeCallableWith({ bulkhead, key: "origin" })
    expect(ResilientHttpClient.retryTransient).type.not.toBeCallableWith({ times: "3" })
    expect(ResilientHttpClient.withHedging).type.not.toBeCallableWith({ maxHedges: 1 })
  })
})

describe("ResilientHttpClient presets", () => {
  it("standard and standardHedging are effects needing a Scope that add the rejections", () => {
    expect(ResilientHttpClient.standard()(custom)).type.toBe<
      Effect.Effect<Client<"E" | ResilientHttpClient.StandardError, "R">, never, Scope.Scope>
    >()
    expect(ResilientHttpClient.standardHedging({ totalTimeout: false })(client)).type.toBe<
      Effect.Effect<Client<HttpClientError.HttpClientError | ResilientHttpClient.StandardError>, never, Scope.Scope>
    >()
    expect(ResilientHttpClient.standard).type.not.toBeCallableWith({ retry: true })
  })

  it("layer replaces the HttpClient in context; rejection finds a ResilienceError", () => {
    expect(ResilientHttpClient.layer()).type.toBe<Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient>>()
    expect(ResilientHttpClient.rejection(new Error())).type.toBe<Option.Option<ResilienceError.ResilienceError>>()
  })
})

import type * as Bulkhead from "@effect-resilience/core/Bulkhead"
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as GracefulShutdown from "@effect-resilience/platform/GracefulShutdown"
import * as HealthCheck from "@effect-resilience/platform/HealthCheck"
import * as HttpLoadShed from "@effect-resilience/platform/HttpLoadShed"
import * as HttpRateLimit from "@effect-resilience/platform/HttpRateLimit"
import * as ResilientHttpServer from "@effect-resilience/platform/ResilientHttpServer"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import type * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { describe, expect, it } from "tstyche"

declare const app: HttpApp.Default<"E", "R">
declare const keyedLimiter: RateLimiter.KeyedRateLimiter
declare const bulkhead: Bulkhead.Bulkhead
declare const health: HealthCheck.HealthCheck

describe("server middlewares", () => {
  it("keep the app's error and requirements (they add no R)", () => {
    expect(app.pipe(HttpRateLimit.middleware({ limiter: keyedLimiter }))).type.toBe<HttpApp.Default<"E", "R">>()
    expect(app.pipe(HttpRateLimit.middleware({ limiter: { limit: 1, interval: "1 second" } }))).type.toBe<
      HttpApp.Default<"E", "R">
    >()
    expect(app.pipe(HttpLoadShed.middleware({ bulkhead }))).type.toBe<HttpApp.Default<"E", "R">>()
    expect(app.pipe(HttpLoadShed.middleware({ bulkhead: { maxConcurrent: 10 } }))).type.toBe<
      HttpApp.Default<"E", "R">
    >()
    expect(app.pipe(HealthCheck.middleware(health))).type.toBe<HttpApp.Default<"E", "R">>()
    expect(ResilientHttpServer.interruptible(app)).type.toBe<HttpApp.Default<"E", "R">>()
  })

  it("are HttpMiddlewares", () => {
    HttpMiddleware.make(HttpRateLimit.middleware({ limiter: keyedLimiter }))
    HttpMiddleware.make(HttpLoadShed.middleware({ bulkhead }))
    HttpMiddleware.make(HealthCheck.middleware(health))
    HttpMiddleware.make(ResilientHttpServer.interruptible)
  })

  it("GracefulShutdown.middleware needs the service its layer provides", () => {
    expect(GracefulShutdown.middleware(app)).type.toBe<HttpApp.Default<"E", "R" | GracefulShutdown.GracefulShutdown>>()
    expect(GracefulShutdown.layer()).type.toBe<
      Layer.Layer<HttpServer.HttpServer | GracefulShutdown.GracefulShutdown, never, HttpServer.HttpServer>
    >()
  })

  it("options are checked", () => {
    expect(HttpRateLimit.middleware).type.not.toBeCallableWith({ limiter: keyedLimiter, headers: "ietf" })
    expect(HttpRateLimit.middleware).type.not.toBeCallableWith({ limiter: keyedLimiter, key: "ip" })
    expect(HttpLoadShed.middleware).type.not.toBeCallableWith({ bulkhead: { maxQueue: 1 } })
    expect(HealthCheck.make).type.not.toBeCallableWith({ checks: [{ name: "db" }] })
  })
})

describe("HealthCheck", () => {
  it("make needs a Scope; routes is an app with no requirements", () => {
    expect(HealthCheck.make({ checks: [{ name: "db", check: Effect.fail("down") }] })).type.toBe<
      Effect.Effect<HealthCheck.HealthCheck, never, Scope.Scope>
    >()
    expect(HealthCheck.layer()).type.toBe<Layer.Layer<HealthCheck.HealthCheck>>()
    expect(HealthCheck.routes(health)).type.toBe<HttpApp.Default>()
    expect(HttpServerResponse.text("ok").pipe(HealthCheck.middleware(health))).type.toBe<HttpApp.Default>()
  })
})

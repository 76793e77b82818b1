import * as Deadline from "@effect-resilience/core/Deadline"
import * as HttpDeadline from "@effect-resilience/platform/HttpDeadline"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import type * as Effect from "effect/Effect"
import { describe, expect, it } from "tstyche"

declare const client: HttpClient.HttpClient
declare const custom: HttpClient.HttpClient.With<"E", "R">
declare const app: HttpApp.Default<"E", "R">

describe("ResilientHttpClient.withDeadline", () => {
  it("keeps the client's type, data-last and data-first, with or without options", () => {
    expect(client.pipe(ResilientHttpClient.withDeadline())).type.toBe<HttpClient.HttpClient>()
    expect(custom.pipe(ResilientHttpClient.withDeadline({ header: "X-Deadline" }))).type.toBe<
      HttpClient.HttpClient.With<"E", "R">
    >()
    expect(ResilientHttpClient.withDeadline(custom)).type.toBe<HttpClient.HttpClient.With<"E", "R">>()
    expect(ResilientHttpClient.withDeadline(client, { header: "X-Deadline" })).type.toBe<HttpClient.HttpClient>()
  })

  it("the caller's Deadline.within adds DeadlineExceeded", () => {
    expect(client.pipe(ResilientHttpClient.withDeadline()).get("/").pipe(Deadline.within("1 second"))).type.toBe<
      Effect.Effect<
        HttpClientResponse.HttpClientResponse,
        HttpClientError.HttpClientError | Deadline.DeadlineExceeded
      >
    >()
  })

  it("options are checked", () => {
    expect(ResilientHttpClient.withDeadline).type.not.toBeCallableWith({ header: 1 })
    expect(ResilientHttpClient.withDeadline).type.not.toBeCallableWith({ max: "1 second" })
  })
})

describe("HttpDeadline.middleware", () => {
  it("keeps the app's error and requirements (it adds no R)", () => {
    expect(app.pipe(HttpDeadline.middleware())).type.toBe<HttpApp.Default<"E", "R">>()
    expect(app.pipe(HttpDeadline.middleware({ header: "X-Deadline", max: "10 seconds" }))).type.toBe<
      HttpApp.Default<"E", "R">
    >()
  })

  it("is an HttpMiddleware", () => {
    HttpMiddleware.make(HttpDeadline.middleware())
    HttpMiddleware.make(HttpDeadline.middleware({ max: 5_000 }))
  })

  it("options are checked", () => {
    expect(HttpDeadline.middleware).type.not.toBeCallableWith({ max: "soon" })
    expect(HttpDeadline.middleware).type.not.toBeCallableWith({ header: true })
    expect(HttpDeadline.middleware).type.not.toBeCallableWith("30 seconds")
  })
})

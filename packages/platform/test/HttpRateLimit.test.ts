import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as HttpRateLimit from "@effect-resilience/platform/HttpRateLimit"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "../../core/test/utils/config.js"
import { serve } from "./utils/serve.js"

/** An app counting the requests that reach it, answering with the key it was given. */
const countingApp = () => {
  const reached: Array<string> = []
  const app = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    reached.push(request.url)
    return HttpServerResponse.text("ok")
  })
  return { app, reached }
}

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.flatMap(
    HttpClient.HttpClient,
    (client) => client.execute(HttpClientRequest.get(url).pipe(HttpClientRequest.setHeaders(headers)))
  )

describe("HttpRateLimit.middleware", () => {
  it.scoped("sends the IETF RateLimit fields on every response; beyond the limit a 429 with Retry-After and a problem body never reaches the app", () =>
    Effect.gen(function*() {
      const { app, reached } = countingApp()
      const server = yield* serve(app.pipe(HttpRateLimit.middleware({
        limiter: { name: "api", algorithm: "fixed-window", limit: 2, interval: "10 seconds" }
      })))
      yield* TestClock.adjust("4 seconds")
      const first = yield* get(server.url("/a"))
      expect(first.status).toBe(200)
      expect(first.headers["ratelimit-policy"]).toBe("\"api\";q=2;w=10")
      expect(first.headers["ratelimit"]).toBe("\"api\";r=1;t=6")
      const second = yield* get(server.url("/b"))
      expect(second.headers["ratelimit"]).toBe("\"api\";r=0;t=6")
      const rejected = yield* get(server.url("/c"))
      expect(rejected.status).toBe(429)
      expect(rejected.headers["retry-after"]).toBe("6")
      expect(rejected.headers["ratelimit"]).toBe("\"api\";r=0;t=6")
      expect(rejected.headers["content-type"]).toBe("application/problem+json")
      expect(yield* rejected.json).toMatchObject({ type: "about:blank", title: "Too Many Requests", status: 429 })
      expect(reached).toEqual(["/a", "/b"])
      // the next window admits again
      yield* TestClock.adjust("6 seconds")
      expect((yield* get(server.url("/d"))).headers["ratelimit"]).toBe("\"api\";r=1;t=10")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("Retry-After is whole seconds, rounded up, at least 1; a token bucket's t is the time until it is full", () =>
    Effect.gen(function*() {
      const server = yield* serve(
        HttpServerResponse.text("ok").pipe(HttpRateLimit.middleware({
          limiter: { name: "burst", limit: 4, interval: "1 second" }
        }))
      )
      for (let i = 0; i < 4; i++) expect((yield* get(server.url())).status).toBe(200)
      const rejected = yield* get(server.url())
      expect(rejected.status).toBe(429)
      // one token comes back in 250 ms: rounded up to 1 second
      expect(rejected.headers["retry-after"]).toBe("1")
      expect(rejected.headers["ratelimit"]).toBe("\"burst\";r=0;t=1")
      expect(rejected.headers["ratelimit-policy"]).toBe("\"burst\";q=4;w=1")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("legacy headers: X-RateLimit-Limit, -Remaining and -Reset in epoch seconds; none: no fields", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const legacy = yield* serve(
        HttpServerResponse.text("ok").pipe(HttpRateLimit.middleware({
          limiter: { name: "legacy", algorithm: "fixed-window", limit: 1, interval: "1 minute" },
          headers: "legacy"
        }))
      )
      const ok = yield* get(legacy.url())
      expect(ok.headers).toMatchObject({
        "x-ratelimit-limit": "1",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1700000040"
      })
      expect(ok.headers["ratelimit"]).toBeUndefined()
      const none = yield* serve(
        HttpServerResponse.text("ok").pipe(HttpRateLimit.middleware({
          limiter: { limit: 1, interval: "1 minute" },
          headers: "none"
        }))
      )
      expect((yield* get(none.url())).headers["ratelimit"]).toBeUndefined()
      const rejected = yield* get(none.url())
      expect(rejected.status).toBe(429)
      expect(rejected.headers["retry-after"]).toBe("60")
      expect(rejected.headers["ratelimit"]).toBeUndefined()
      expect(rejected.headers["x-ratelimit-limit"]).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("keys by the connection's address; X-Forwarded-For is ignored unless trustProxy says how many proxies append to it", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.keyed({ name: "clients", limit: 1, interval: "1 minute", onExceeded: "fail" })
      const direct = yield* serve(HttpServerResponse.text("ok").pipe(HttpRateLimit.middleware({ limiter })))
      expect((yield* get(direct.url(), { "x-forwarded-for": "1.1.1.1" })).status).toBe(200)
      // a different X-Forwarded-For does not buy a new limit
      expect((yield* get(direct.url(), { "x-forwarded-for": "2.2.2.2" })).status).toBe(429)
      expect(yield* limiter.available("127.0.0.1")).toBe(0)

      const proxied = yield* serve(
        HttpServerResponse.text("ok").pipe(HttpRateLimit.middleware({
          limiter: { name: "proxied", limit: 1, interval: "1 minute" },
          trustProxy: 2
        }))
      )
      // two proxies appended "10.0.0.7" (the client they saw) and "10.1.1.1"; the rest the client wrote
      expect((yield* get(proxied.url(), { "x-forwarded-for": "6.6.6.6, 10.0.0.7, 10.1.1.1" })).status).toBe(200)
      expect((yield* get(proxied.url(), { "x-forwarded-for": "7.7.7.7, 10.0.0.7, 10.1.1.1" })).status).toBe(429)
      expect((yield* get(proxied.url(), { "x-forwarded-for": "10.0.0.8, 10.1.1.1" })).status).toBe(200)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("key, cost and skip", () =>
    Effect.gen(function*() {
      const { app, reached } = countingApp()
      const server = yield* serve(app.pipe(HttpRateLimit.middleware({
        limiter: { name: "tenants", algorithm: "fixed-window", limit: 3, interval: "1 minute" },
        key: (request) => request.headers["x-tenant"] ?? "anonymous",
        cost: (request) => request.url.startsWith("/export") ? 3 : 1,
        skip: (request) => request.url === "/livez"
      })))
      expect((yield* get(server.url("/export"), { "x-tenant": "a" })).status).toBe(200)
      expect((yield* get(server.url("/item"), { "x-tenant": "a" })).status).toBe(429)
      const other = yield* get(server.url("/item"), { "x-tenant": "b" })
      expect(other.headers["ratelimit"]).toBe("\"tenants\";r=2;t=60")
      const skipped = yield* get(server.url("/livez"), { "x-tenant": "a" })
      expect(skipped.status).toBe(200)
      expect(skipped.headers["ratelimit"]).toBeUndefined()
      expect(reached).toEqual(["/export", "/item", "/livez"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("an app's failure still answers with the fields", () =>
    Effect.gen(function*() {
      const server = yield* serve(
        Effect.fail("boom").pipe(HttpRateLimit.middleware({
          limiter: { name: "failing", limit: 5, interval: "1 minute" }
        }))
      )
      const response = yield* get(server.url())
      expect(response.status).toBe(500)
      expect(response.headers["ratelimit"]).toBe("\"failing\";r=4;t=12")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("under 50 concurrent requests the limiter admits exactly its limit", () =>
    Effect.gen(function*() {
      const { app, reached } = countingApp()
      const server = yield* serve(app.pipe(HttpRateLimit.middleware({
        limiter: { name: "bound", algorithm: "sliding-window", limit: 10, interval: "1 minute" }
      })))
      const statuses = yield* Effect.forEach(
        Array.from({ length: 50 }, () => get(server.url())),
        (request) => Effect.map(request, (response) => response.status),
        { concurrency: "unbounded" }
      )
      expect(statuses.filter((s) => s === 200)).toHaveLength(10)
      expect(statuses.filter((s) => s === 429)).toHaveLength(40)
      expect(reached).toHaveLength(10)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it("bad options throw ResilienceConfigError when the middleware is made", () => {
    const waiting = Effect.runSync(Effect.scoped(RateLimiter.keyed({ limit: 1, interval: "1 second" })))
    expectConfigError(() => HttpRateLimit.middleware({ limiter: waiting }), "limiter", "fail")
    expectConfigError(
      () => HttpRateLimit.middleware({ limiter: { limit: 1, interval: "1 second", onExceeded: "wait" } }),
      "limiter.onExceeded"
    )
    expectConfigError(() => HttpRateLimit.middleware({ limiter: { limit: 0, interval: "1 second" } }), "limit")
    expectConfigError(() => HttpRateLimit.middleware({ limiter: { limit: 1, interval: "-5 millis" } }), "interval")
    expectConfigError(() => HttpRateLimit.middleware({ limiter: undefined as never }), "limiter")
    const limiter = { limit: 1, interval: "1 second" } as const
    expectConfigError(() => HttpRateLimit.middleware({ limiter, headers: "ietf" as never }), "headers")
    expectConfigError(() => HttpRateLimit.middleware({ limiter, trustProxy: -1 }), "trustProxy")
    expectConfigError(() => HttpRateLimit.middleware({ limiter, trustProxy: 1.5 }), "trustProxy")
    expectConfigError(() => HttpRateLimit.middleware({ limiter, key: "ip" as never }), "key")
    expectConfigError(() => HttpRateLimit.middleware({ limiter, cost: 2 as never }), "cost")
    expectConfigError(() => HttpRateLimit.middleware({ limiter, skip: true as never }), "skip")
  })
})

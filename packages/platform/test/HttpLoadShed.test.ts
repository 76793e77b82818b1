import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as HttpLoadShed from "@effect-resilience/platform/HttpLoadShed"
import * as HttpRateLimit from "@effect-resilience/platform/HttpRateLimit"
import * as ResilientHttpServer from "@effect-resilience/platform/ResilientHttpServer"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { expectConfigError } from "../../core/test/utils/config.js"
import { serve } from "./utils/serve.js"
import { eventually, realSleep } from "./utils/server.js"

const get = (url: string) => Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url))

/** An app whose requests wait for `release`, recording which reached it and which finished. */
const gatedApp = () => {
  const release = Effect.runSync(Deferred.make<void>())
  const reached: Array<string> = []
  const finalized: Array<string> = []
  const app = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    reached.push(request.url)
    yield* Deferred.await(release).pipe(Effect.ensuring(Effect.sync(() => finalized.push(request.url))))
    return HttpServerResponse.text("done")
  })
  return { app, reached, finalized, release: Deferred.succeed(release, undefined) }
}

describe("HttpLoadShed.middleware", () => {
  it.scoped("beyond maxConcurrent and maxQueue a request gets 503 with Retry-After and a problem body, and the app never sees it", () =>
    Effect.gen(function*() {
      const { app, reached, release } = gatedApp()
      const server = yield* serve(app.pipe(HttpLoadShed.middleware({
        bulkhead: { name: "server", maxConcurrent: 1, maxQueue: 1 },
        retryAfter: "1500 millis"
      })))
      const first = yield* Effect.fork(get(server.url("/first")))
      yield* eventually(() => reached.length === 1)
      const queued = yield* Effect.fork(get(server.url("/queued")))
      yield* realSleep(50)
      const shed = yield* get(server.url("/shed"))
      expect(shed.status).toBe(503)
      expect(shed.headers["retry-after"]).toBe("2")
      expect(shed.headers["content-type"]).toBe("application/problem+json")
      expect(yield* shed.json).toMatchObject({ type: "about:blank", title: "Service Unavailable", status: 503 })
      yield* release
      expect((yield* Fiber.join(first)).status).toBe(200)
      expect((yield* Fiber.join(queued)).status).toBe(200)
      expect(reached).toEqual(["/first", "/queued"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a client that goes away interrupts its request (finalizers run) and frees its slot", () =>
    Effect.gen(function*() {
      const { app, finalized, reached } = gatedApp()
      const bulkhead = yield* Bulkhead.make({ name: "abort", maxConcurrent: 1 })
      const server = yield* serve(app.pipe(HttpLoadShed.middleware({ bulkhead })))
      const request = yield* Effect.fork(get(server.url("/abandoned")))
      yield* eventually(() => reached.length === 1)
      expect((yield* bulkhead.stats).active).toBe(1)
      yield* Fiber.interrupt(request)
      yield* eventually(() => finalized.length === 1)
      yield* eventually(() => Effect.runSync(bulkhead.stats).active === 0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("the app's own BulkheadRejected is the app's answer, not a shed; a closed bulkhead sheds everything", () =>
    Effect.gen(function*() {
      const inner = yield* Bulkhead.make({ name: "inner", maxConcurrent: 1 })
      yield* inner.close
      const outer = yield* Bulkhead.make({ name: "outer", maxConcurrent: 10 })
      const server = yield* serve(
        inner.protect(Effect.succeed(HttpServerResponse.text("never"))).pipe(
          Effect.catchTag("BulkheadRejected", (e) => Effect.fail(e)),
          HttpLoadShed.middleware({ bulkhead: outer })
        )
      )
      expect((yield* get(server.url())).status).toBe(500)
      yield* outer.close
      const closed = yield* get(server.url())
      expect(closed.status).toBe(503)
      expect((yield* closed.json) as { detail: string }).toMatchObject({ detail: "The server is shutting down." })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it("bad options throw ResilienceConfigError when the middleware is made", () => {
    expectConfigError(() => HttpLoadShed.middleware({ bulkhead: { maxConcurrent: 0 } }), "maxConcurrent")
    expectConfigError(() => HttpLoadShed.middleware({ bulkhead: 3 as never }), "bulkhead")
    expectConfigError(() => HttpLoadShed.middleware({ bulkhead: { maxConcurrent: 1 }, retryAfter: -1 }), "retryAfter")
    expectConfigError(() => HttpLoadShed.middleware({ bulkhead: { maxConcurrent: 1 }, skip: 1 as never }), "skip")
  })
})

describe("handlers run interruptibly", () => {
  // @effect/platform runs handlers uninterruptibly: without this, the timeout below returns after 1 s
  const slowWithTimeout = realSleep(1_000).pipe(
    Effect.as(HttpServerResponse.text("slow")),
    Timeout.timeout("50 millis"),
    Effect.catchTag("TimeoutError", () => Effect.succeed(HttpServerResponse.text("timed out", { status: 504 })))
  )

  const timed = (url: string) =>
    Effect.gen(function*() {
      const start = performance.now()
      const response = yield* get(url)
      return { status: response.status, millis: performance.now() - start }
    })

  it.live("ResilientHttpServer.interruptible: a 50 ms Timeout inside a handler fires at 50 ms", () =>
    Effect.gen(function*() {
      const bare = yield* serve(slowWithTimeout)
      const before = yield* timed(bare.url())
      expect(before.millis).toBeGreaterThanOrEqual(995)
      const server = yield* serve(ResilientHttpServer.interruptible(slowWithTimeout))
      const after = yield* timed(server.url())
      expect(after.status).toBe(504)
      expect(after.millis).toBeLessThan(500)
      expect(after.millis).toBeGreaterThanOrEqual(45)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("so do the apps behind HttpRateLimit and HttpLoadShed", () =>
    Effect.gen(function*() {
      const limited = yield* serve(slowWithTimeout.pipe(HttpRateLimit.middleware({
        limiter: { limit: 10, interval: "1 second" }
      })))
      const shed = yield* serve(slowWithTimeout.pipe(HttpLoadShed.middleware({ bulkhead: { maxConcurrent: 10 } })))
      for (const url of [limited.url(), shed.url()]) {
        const result = yield* timed(url)
        expect(result.status).toBe(504)
        expect(result.millis).toBeLessThan(500)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))
})

import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "../../core/test/utils/config.js"
import { eventually, makeServer } from "./utils/server.js"

describe("ResilientHttpClient.withBulkhead", () => {
  it.scoped("limits requests in flight; beyond the queue they fail with BulkheadRejected and are never sent", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ delay: 300 }, { status: 200 }])
      const bulkhead = yield* Bulkhead.make({ name: "http", maxConcurrent: 1 })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withBulkhead({ bulkhead }))
      const slow = yield* Effect.fork(client.get(server.url("/slow")))
      yield* server.arrived(0)
      const rejected = yield* Effect.flip(client.get(server.url("/fast")))
      expect(rejected).toBeInstanceOf(Bulkhead.BulkheadRejected)
      expect(rejected).toMatchObject({ policyName: "http", reason: "Full" })
      expect((yield* Fiber.join(slow)).status).toBe(200)
      expect(server.seen.map((s) => s.path)).toEqual(["/slow"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("covers a request until its headers arrive: the body is read outside it", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ body: "x".repeat(100_000) }])
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1 })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withBulkhead({ bulkhead }))
      const response = yield* client.get(server.url())
      expect((yield* bulkhead.stats).active).toBe(0)
      expect((yield* response.text).length).toBe(100_000)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("an interrupted queued request is never sent and frees nothing it did not hold", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ delay: 300 }])
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withBulkhead({ bulkhead }))
      const first = yield* Effect.fork(client.get(server.url("/first")))
      yield* server.arrived(0)
      const queued = yield* Effect.fork(client.get(server.url("/queued")))
      yield* eventually(() => Effect.runSync(bulkhead.stats).queued === 1)
      yield* Fiber.interrupt(queued)
      yield* Fiber.join(first)
      expect(server.seen.map((s) => s.path)).toEqual(["/first"])
      expect(yield* bulkhead.stats).toMatchObject({ active: 0, queued: 0 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a keyed bulkhead limits each origin separately", () =>
    Effect.gen(function*() {
      const a = yield* makeServer([{ delay: 300 }])
      const b = yield* makeServer([{ status: 200 }])
      const bulkhead = yield* Bulkhead.keyed({ name: "per-origin", maxConcurrent: 1 })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withBulkhead({ bulkhead }))
      const slow = yield* Effect.fork(client.get(a.url()))
      yield* a.arrived(0)
      const rejected = yield* Effect.flip(client.get(a.url()))
      expect(rejected).toMatchObject({
        _tag: "BulkheadRejected",
        policyName: "per-origin",
        key: a.origin,
        reason: "Full"
      })
      expect((yield* client.get(b.url())).status).toBe(200)
      yield* Fiber.join(slow)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it("bad options throw ResilienceConfigError", () => {
    expectConfigError(() => ResilientHttpClient.withBulkhead({} as never), "bulkhead")
    expectConfigError(() => ResilientHttpClient.withBulkhead({ bulkhead: { protect: () => 1 } as never }), "bulkhead")
    const bulkhead = Effect.runSync(Effect.scoped(Bulkhead.make({ maxConcurrent: 1 })))
    expectConfigError(() => ResilientHttpClient.withBulkhead({ bulkhead, key: 1 as never }), "key")
  })
})

describe("ResilientHttpClient.withRateLimiter", () => {
  it.scoped("each request takes a permit before it is sent; a limiter that fails rejects with RateLimited", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ status: 200 }])
      const limiter = yield* RateLimiter.make({ name: "api", limit: 2, interval: "1 second", onExceeded: "fail" })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withRateLimiter({ limiter }))
      yield* client.get(server.url())
      yield* client.get(server.url())
      const error = yield* Effect.flip(client.get(server.url()))
      expect(error).toBeInstanceOf(RateLimiter.RateLimited)
      expect(error).toMatchObject({ policyName: "api", limit: 2 })
      expect(server.seen).toHaveLength(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a limiter that waits delays the request until its permit exists (on the Clock)", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ status: 200 }])
      const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 second" })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withRateLimiter({ limiter }))
      yield* client.get(server.url())
      const waiting = yield* Effect.fork(client.get(server.url()))
      yield* TestClock.adjust("999 millis")
      expect(server.seen).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      expect((yield* Fiber.join(waiting)).status).toBe(200)
      expect(server.seen.map((s) => s.at)).toEqual([0, 1000])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("`permits` as a number or per request", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ status: 200 }])
      const limiter = yield* RateLimiter.make({ limit: 10, interval: "1 hour", onExceeded: "fail" })
      const base = yield* HttpClient.HttpClient
      const heavy = base.pipe(ResilientHttpClient.withRateLimiter({ limiter, permits: 4 }))
      const byPath = base.pipe(ResilientHttpClient.withRateLimiter({
        limiter,
        permits: (request) => request.url.endsWith("/bulk") ? 5 : 1
      }))
      yield* heavy.get(server.url())
      yield* byPath.get(server.url("/bulk"))
      expect(yield* limiter.available).toBe(1)
      yield* byPath.get(server.url("/one"))
      expect((yield* Effect.flip(byPath.get(server.url("/one"))))._tag).toBe("RateLimited")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a keyed limiter limits each origin separately (`key` defaults to the origin)", () =>
    Effect.gen(function*() {
      const a = yield* makeServer([{ status: 200 }])
      const b = yield* makeServer([{ status: 200 }])
      const limiter = yield* RateLimiter.keyed({ limit: 1, interval: "1 hour", onExceeded: "fail" })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withRateLimiter({ limiter }))
      yield* client.get(a.url("/x"))
      yield* client.get(b.url("/x"))
      const error = yield* Effect.flip(client.get(a.url("/y")))
      expect(error).toMatchObject({ _tag: "RateLimited", key: a.origin })
      expect(yield* limiter.size).toBe(2)
      // a custom key: by path, across origins
      const byPath = yield* RateLimiter.keyed({ limit: 1, interval: "1 hour", onExceeded: "fail" })
      const client2 = (yield* HttpClient.HttpClient).pipe(
        ResilientHttpClient.withRateLimiter({ limiter: byPath, key: (request) => new URL(request.url).pathname })
      )
      yield* client2.get(a.url("/p"))
      expect((yield* Effect.flip(client2.get(b.url("/p"))))._tag).toBe("RateLimited")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it("bad options throw ResilienceConfigError", () => {
    expectConfigError(() => ResilientHttpClient.withRateLimiter({} as never), "limiter")
    const limiter = Effect.runSync(Effect.scoped(RateLimiter.make({ limit: 1, interval: "1 second" })))
    expectConfigError(() => ResilientHttpClient.withRateLimiter({ limiter, permits: 0 }), "permits")
    expectConfigError(() => ResilientHttpClient.withRateLimiter({ limiter, permits: 1.5 }), "permits")
    expectConfigError(() => ResilientHttpClient.withRateLimiter({ limiter, key: "k" as never }), "key")
  })
})

describe("ResilientHttpClient.withTimeout", () => {
  it.live("fails with TimeoutError when the headers do not arrive in time, after aborting the request", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ delay: 3_000 }])
      const client = (yield* HttpClient.HttpClient).pipe(
        ResilientHttpClient.withTimeout({ duration: "500 millis", name: "api" })
      )
      const error = yield* Effect.flip(client.get(server.url()))
      expect(error).toBeInstanceOf(Timeout.TimeoutError)
      expect(error).toMatchObject({ policyName: "api" })
      expect(Duration.toMillis((error as Timeout.TimeoutError).duration)).toBe(500)
      yield* eventually(() => server.seen[0].aborted)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.scoped("a response in time is returned", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ body: "ok" }])
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withTimeout("1 second"))
      expect(yield* (yield* client.get(server.url())).text).toBe("ok")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("outside retryTransient it limits the whole call", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ status: 503 }])
      const client = (yield* HttpClient.HttpClient).pipe(
        ResilientHttpClient.retryTransient({ schedule: Schedule.spaced("100 millis"), times: 100 }),
        ResilientHttpClient.withTimeout("300 millis")
      )
      const error = yield* Effect.flip(client.get(server.url()))
      expect(error).toBeInstanceOf(Timeout.TimeoutError)
      // retried every 100ms until the total timeout cut the call
      expect(server.seen.length).toBeGreaterThanOrEqual(2)
      expect(server.seen.length).toBeLessThanOrEqual(4)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it("bad durations throw ResilienceConfigError", () => {
    expectConfigError(() => ResilientHttpClient.withTimeout("-1 seconds"), "duration")
    expectConfigError(() => ResilientHttpClient.withTimeout(Number.NaN), "duration")
    const client = HttpClient.make(() => Effect.die("unused"))
    expectConfigError(() => ResilientHttpClient.withTimeout(client, "soon" as never), "duration")
  })
})

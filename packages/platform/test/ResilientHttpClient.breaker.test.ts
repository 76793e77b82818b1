import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "../../core/test/utils/config.js"
import { eventually, makeServer, type Script } from "./utils/server.js"

const setup = (script: Script, options?: Partial<CircuitBreaker.CircuitBreaker.Options>) =>
  Effect.gen(function*() {
    const server = yield* makeServer(script)
    const breaker = yield* CircuitBreaker.make({
      name: "api",
      trip: CircuitBreaker.consecutive(2),
      breakDuration: "1 second",
      ...options
    })
    const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withCircuitBreaker({ breaker }))
    return { server, breaker, client }
  })

const statuses = (script: ReadonlyArray<number>): Script => script.map((status) => ({ status }))

describe("ResilientHttpClient.withCircuitBreaker", () => {
  it.scoped("5xx responses count as failures and are still returned unchanged; an open breaker sends nothing", () =>
    Effect.gen(function*() {
      const { breaker, client, server } = yield* setup([{ status: 503, body: "down" }, { status: 500 }])
      const first = yield* client.get(server.url())
      expect(first.status).toBe(503)
      expect(yield* first.text).toBe("down")
      expect((yield* client.get(server.url())).status).toBe(500)
      expect(yield* breaker.state).toBe("Open")
      const rejected = yield* Effect.flip(client.get(server.url()))
      expect(rejected).toBeInstanceOf(CircuitBreaker.CircuitBreakerOpen)
      expect(rejected).toMatchObject({ policyName: "api", state: "Open" })
      expect(Duration.toMillis((rejected as CircuitBreaker.CircuitBreakerOpen).retryAfter)).toBe(1000)
      expect(server.seen).toHaveLength(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("408 is a failure; other 4xx and 2xx are successes (they reset a consecutive count)", () =>
    Effect.gen(function*() {
      const { breaker, client, server } = yield* setup(statuses([503, 404, 503, 200, 408, 408]))
      for (let i = 0; i < 4; i++) yield* client.get(server.url())
      expect(yield* breaker.state).toBe("Closed")
      yield* client.get(server.url())
      yield* client.get(server.url())
      expect(yield* breaker.state).toBe("Open")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("429 is ignored: neither a failure nor a success", () =>
    Effect.gen(function*() {
      const { breaker, client, server } = yield* setup(statuses([503, 429, 429, 503]))
      for (let i = 0; i < 3; i++) yield* client.get(server.url())
      expect(yield* breaker.state).toBe("Closed")
      // the 429s did not reset the count: the next failure opens it
      expect((yield* client.get(server.url())).status).toBe(503)
      expect(yield* breaker.state).toBe("Open")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("transport errors count as failures and are returned as they were", () =>
    Effect.gen(function*() {
      const { breaker, client, server } = yield* setup([{ reset: true }])
      const error = yield* Effect.flip(client.get(server.url()))
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      yield* Effect.flip(client.get(server.url()))
      expect(yield* breaker.state).toBe("Open")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("after the break a probe goes through; its success closes the breaker", () =>
    Effect.gen(function*() {
      const { breaker, client, server } = yield* setup(statuses([503, 503, 200]))
      yield* client.get(server.url())
      yield* client.get(server.url())
      expect(yield* breaker.state).toBe("Open")
      yield* TestClock.adjust("1 second")
      expect(yield* breaker.state).toBe("HalfOpen")
      expect((yield* client.get(server.url())).status).toBe(200)
      expect(yield* breaker.state).toBe("Closed")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("an ignored probe (429) frees its slot without a verdict", () =>
    Effect.gen(function*() {
      const { breaker, client, server } = yield* setup(statuses([503, 503, 429, 200]))
      yield* client.get(server.url())
      yield* client.get(server.url())
      yield* TestClock.adjust("1 second")
      expect((yield* client.get(server.url())).status).toBe(429)
      expect(yield* breaker.state).toBe("HalfOpen")
      expect((yield* client.get(server.url())).status).toBe(200)
      expect(yield* breaker.state).toBe("Closed")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a failed probe re-opens it", () =>
    Effect.gen(function*() {
      const { breaker, client, server } = yield* setup(statuses([503, 503, 502]))
      yield* client.get(server.url())
      yield* client.get(server.url())
      yield* TestClock.adjust("1 second")
      expect((yield* client.get(server.url())).status).toBe(502)
      expect(yield* breaker.state).toBe("Open")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("`classify` replaces the default, and sees the outcome as an Exit", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([404, 404, 503, 503]))
      const breaker = yield* CircuitBreaker.make({ trip: CircuitBreaker.consecutive(2) })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withCircuitBreaker({
        breaker,
        classify: (outcome) =>
          Exit.isSuccess(outcome) && outcome.value.status === 404
            ? "failure"
            : Exit.isSuccess(outcome) && outcome.value.status === 503
            ? "ignored"
            : "success"
      }))
      yield* client.get(server.url())
      yield* client.get(server.url())
      expect(yield* breaker.state).toBe("Open")
      yield* breaker.reset
      yield* client.get(server.url())
      yield* client.get(server.url())
      expect(yield* breaker.state).toBe("Closed")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a failure `classify` calls a success is counted as one and still returned", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ reset: true }])
      const breaker = yield* CircuitBreaker.make({ trip: CircuitBreaker.consecutive(1) })
      const client = (yield* HttpClient.HttpClient).pipe(
        ResilientHttpClient.withCircuitBreaker({ breaker, classify: () => "success" })
      )
      const error = yield* Effect.flip(client.get(server.url()))
      expect(error._tag).toBe("RequestError")
      expect(yield* breaker.state).toBe("Closed")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("rejections from policies inside the breaker are ignored", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([200]))
      const breaker = yield* CircuitBreaker.make({ trip: CircuitBreaker.consecutive(1) })
      const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 hour", onExceeded: "fail" })
      const client = (yield* HttpClient.HttpClient).pipe(
        ResilientHttpClient.withRateLimiter({ limiter }),
        ResilientHttpClient.withCircuitBreaker({ breaker })
      )
      yield* client.get(server.url())
      expect((yield* Effect.flip(client.get(server.url())))._tag).toBe("RateLimited")
      expect(yield* breaker.state).toBe("Closed")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("an interrupted request is not counted, and its connection is closed", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ delay: 5_000 }])
      const breaker = yield* CircuitBreaker.make({ trip: CircuitBreaker.consecutive(1) })
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withCircuitBreaker({ breaker }))
      const fiber = yield* Effect.fork(client.get(server.url()))
      yield* server.arrived(0)
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => server.seen[0].aborted)
      expect(yield* breaker.state).toBe("Closed")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  describe("a keyed breaker", () => {
    it.scoped("gives each origin a breaker of its own: one failing origin does not open another's", () =>
      Effect.gen(function*() {
        const failing = yield* makeServer(statuses([500]))
        const healthy = yield* makeServer(statuses([200]))
        const breaker = yield* CircuitBreaker.keyed({ name: "http", trip: CircuitBreaker.consecutive(2) })
        const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withCircuitBreaker({ breaker }))
        yield* client.get(failing.url("/a"))
        yield* client.get(failing.url("/b"))
        const rejected = yield* Effect.flip(client.get(failing.url("/c")))
        expect(rejected).toMatchObject({ _tag: "CircuitBreakerOpen", policyName: "http", key: failing.origin })
        expect((yield* client.get(healthy.url())).status).toBe(200)
        expect(yield* (yield* breaker.get(failing.origin)).state).toBe("Open")
        expect(yield* (yield* breaker.get(healthy.origin)).state).toBe("Closed")
        expect(failing.seen).toHaveLength(2)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("`key` chooses the breaker: here one per path, across origins", () =>
      Effect.gen(function*() {
        const a = yield* makeServer(statuses([500]))
        const b = yield* makeServer(statuses([500]))
        const breaker = yield* CircuitBreaker.keyed({ trip: CircuitBreaker.consecutive(1) })
        const client = (yield* HttpClient.HttpClient).pipe(
          ResilientHttpClient.withCircuitBreaker({ breaker, key: (request) => new URL(request.url).pathname })
        )
        yield* client.get(a.url("/search"))
        expect(yield* Effect.flip(client.get(b.url("/search")))).toMatchObject({ key: "/search" })
        expect((yield* client.get(b.url("/other"))).status).toBe(500)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("holds at most maxKeys origins, and never forgets an open one", () =>
      Effect.gen(function*() {
        const down = yield* makeServer(statuses([500]))
        const others = [yield* makeServer(statuses([200])), yield* makeServer(statuses([200]))]
        const breaker = yield* CircuitBreaker.keyed({ trip: CircuitBreaker.consecutive(1), maxKeys: 2 })
        const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withCircuitBreaker({ breaker }))
        yield* client.get(down.url())
        for (const server of others) yield* client.get(server.url())
        expect(yield* breaker.size).toBeLessThanOrEqual(2)
        expect((yield* Effect.flip(client.get(down.url())))._tag).toBe("CircuitBreakerOpen")
        expect(down.seen).toHaveLength(1)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
  })

  it("bad options throw ResilienceConfigError when the combinator is called", () => {
    expectConfigError(() => ResilientHttpClient.withCircuitBreaker(undefined as never), "options")
    expectConfigError(() => ResilientHttpClient.withCircuitBreaker({} as never), "breaker")
    expectConfigError(() => ResilientHttpClient.withCircuitBreaker({ breaker: { protect: 1 } as never }), "breaker")
    const breaker = Effect.runSync(Effect.scoped(CircuitBreaker.make()))
    expectConfigError(() => ResilientHttpClient.withCircuitBreaker({ breaker, key: "origin" as never }), "key")
    expectConfigError(() => ResilientHttpClient.withCircuitBreaker({ breaker, classify: "5xx" as never }), "classify")
    const client = HttpClient.make(() => Effect.die("unused"))
    expectConfigError(() => ResilientHttpClient.withCircuitBreaker(client, { breaker: 1 as never }), "breaker")
  })
})

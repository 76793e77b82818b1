import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { expectConfigError } from "../../core/test/utils/config.js"
import { metricValue } from "../../core/test/utils/metrics.js"
import { runWithTestClock } from "./utils/clock.js"
import { eventually, makeServer, type Script } from "./utils/server.js"

const statuses = (list: ReadonlyArray<number>): Script => list.map((status) => ({ status }))
const quick = Schedule.spaced("10 millis")

/** `standard` without its two timeouts, whose Clock deadlines would move a driven TestClock. */
const noTimeouts = { totalTimeout: false, attemptTimeout: false } as const

const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flatMap(Effect.fork(effect), runWithTestClock)

describe("ResilientHttpClient.standard", () => {
  it.scoped("retries a 503 on the default schedule (exponential from 2 s, full jitter) and returns the 200", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([503, 503, 200]))
      const client = yield* ResilientHttpClient.standard(noTimeouts)(yield* HttpClient.HttpClient)
      expect((yield* drive(client.get(server.url()))).status).toBe(200)
      const at = server.seen.map((s) => s.at)
      expect(at[1] - at[0]).toBeLessThanOrEqual(2_000)
      expect(at[2] - at[1]).toBeLessThanOrEqual(4_000)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("with every part turned off it is the bare client", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([503]))
      const client = yield* ResilientHttpClient.standard({
        concurrency: false,
        totalTimeout: false,
        retry: false,
        circuitBreaker: false,
        attemptTimeout: false
      })(yield* HttpClient.HttpClient)
      expect((yield* client.get(server.url())).status).toBe(503)
      expect(server.seen).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("the attempt timeout limits each attempt, inside the retry; the slow attempt is aborted", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ delay: 3_000 }, { status: 200 }])
      const client = yield* ResilientHttpClient.standard({ attemptTimeout: "500 millis", retry: { schedule: quick } })(
        yield* HttpClient.HttpClient
      )
      expect((yield* client.get(server.url())).status).toBe(200)
      yield* eventually(() => server.seen[0].aborted)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("the total timeout limits the whole call, retries included", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([503]))
      const client = yield* ResilientHttpClient.standard({
        totalTimeout: "300 millis",
        retry: { schedule: Schedule.spaced("100 millis"), times: 100 }
      })(yield* HttpClient.HttpClient)
      const error = yield* Effect.flip(client.get(server.url()))
      expect(error).toBeInstanceOf(Timeout.TimeoutError)
      expect(error).toMatchObject({ policyName: "http-total" })
      expect(server.seen.length).toBeGreaterThanOrEqual(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.scoped("the breaker sits inside the retry: once it opens, the retry stops with CircuitBreakerOpen", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([503]))
      const client = yield* ResilientHttpClient.standard({
        ...noTimeouts,
        retry: { schedule: quick, times: 5 },
        circuitBreaker: { trip: CircuitBreaker.consecutive(2) }
      })(yield* HttpClient.HttpClient)
      const error = yield* Effect.flip(drive(client.get(server.url())))
      expect(error).toBeInstanceOf(CircuitBreaker.CircuitBreakerOpen)
      expect(error).toMatchObject({ policyName: "http", key: server.origin, state: "Open" })
      expect(server.seen).toHaveLength(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a breaker per origin: one failing origin does not open another's", () =>
    Effect.gen(function*() {
      const failing = yield* makeServer(statuses([500]))
      const healthy = yield* makeServer(statuses([200]))
      const client = yield* ResilientHttpClient.standard({
        ...noTimeouts,
        retry: false,
        circuitBreaker: { trip: CircuitBreaker.consecutive(1) }
      })(yield* HttpClient.HttpClient)
      expect((yield* client.get(failing.url())).status).toBe(500)
      expect((yield* Effect.flip(client.get(failing.url())))._tag).toBe("CircuitBreakerOpen")
      expect((yield* client.get(healthy.url())).status).toBe(200)
      expect(failing.seen).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("the bulkhead is outermost: beyond it, requests fail with BulkheadRejected", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ delay: 300 }])
      const client = yield* ResilientHttpClient.standard({ concurrency: { maxConcurrent: 1 } })(
        yield* HttpClient.HttpClient
      )
      const slow = yield* Effect.fork(client.get(server.url()))
      yield* server.arrived(0)
      const error = yield* Effect.flip(client.get(server.url()))
      expect(error).toMatchObject({ _tag: "BulkheadRejected", policyName: "http", reason: "Full" })
      yield* Fiber.join(slow)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it("bad options throw ResilienceConfigError when standard is called", () => {
    expectConfigError(() => ResilientHttpClient.standard(5 as never), "options")
    expectConfigError(() => ResilientHttpClient.standard({ concurrency: { maxConcurrent: 0 } }), "maxConcurrent")
    expectConfigError(() => ResilientHttpClient.standard({ totalTimeout: "-1 seconds" }), "duration")
    expectConfigError(() => ResilientHttpClient.standard({ attemptTimeout: "soon" as never }), "duration")
    expectConfigError(() => ResilientHttpClient.standard({ retry: { times: -1 } }), "times")
    expectConfigError(() => ResilientHttpClient.standard({ retry: 3 as never }), "retry")
    expectConfigError(
      () => ResilientHttpClient.standard({ circuitBreaker: { halfOpenMaxCalls: 0 } }),
      "halfOpenMaxCalls"
    )
    expectConfigError(() => ResilientHttpClient.standardHedging({ hedging: { delay: -1 } }), "delay")
    expectConfigError(
      () => ResilientHttpClient.layer({ retry: { maxRetryAfter: "forever" as never } }),
      "maxRetryAfter"
    )
  })
})

describe("ResilientHttpClient.standardHedging", () => {
  it.live("hedges a slow primary; the hedge wins and the primary's request is aborted", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ delay: 3_000 }, { body: "hedge" }])
      const client = yield* ResilientHttpClient.standardHedging({ hedging: { delay: "200 millis" } })(
        yield* HttpClient.HttpClient
      )
      expect(yield* (yield* client.get(server.url())).text).toBe("hedge")
      yield* eventually(() => server.seen[0].aborted)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("does not retry: a 503 from every attempt returns the primary's 503", () =>
    Effect.gen(function*() {
      const server = yield* makeServer((n) => ({ status: 503, body: `attempt ${n}` }))
      const client = yield* ResilientHttpClient.standardHedging()(yield* HttpClient.HttpClient)
      const response = yield* client.get(server.url())
      expect(yield* response.text).toBe("attempt 0")
      expect(server.seen).toHaveLength(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))
})

describe("with a Resilience registry", () => {
  const withConfig = (entries: ReadonlyArray<readonly [string, string]>) =>
    Resilience.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))))

  it.scoped("RESILIENCE_CIRCUITBREAKER_HTTP_* Config keys tune every origin's breaker", () =>
    Effect.gen(function*() {
      const a = yield* makeServer(statuses([503]))
      const b = yield* makeServer(statuses([503]))
      const client = yield* ResilientHttpClient.standard({ ...noTimeouts, retry: false })(yield* HttpClient.HttpClient)
      // the preset's failure rate needs 100 calls; the Config key says one failure opens it
      yield* client.get(a.url())
      expect((yield* Effect.flip(client.get(a.url())))._tag).toBe("CircuitBreakerOpen")
      yield* client.get(b.url())
      expect(yield* Effect.flip(client.get(b.url()))).toMatchObject({ policyName: "http", key: b.origin })
      expect(a.seen).toHaveLength(1)
      expect(b.seen).toHaveLength(1)
    }).pipe(
      Effect.provide(withConfig([["RESILIENCE_CIRCUITBREAKER_HTTP_CONSECUTIVE_FAILURES", "1"]])),
      Effect.provide(NodeHttpClient.layerUndici)
    ))

  it.scoped("under ResilienceLive the client's bulkhead is the registry's `http`; events and metrics are reported", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([503, 503]))
      const events: Array<ResilienceEvent> = []
      yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (e) => Effect.sync(() => events.push(e))))
      yield* Effect.yieldNow()
      const client = yield* ResilientHttpClient.standard({
        ...noTimeouts,
        retry: { schedule: quick, times: 1 },
        circuitBreaker: { trip: CircuitBreaker.consecutive(2) }
      })(yield* HttpClient.HttpClient)
      const before = yield* metricValue("resilience_retry_attempts_total", { name: "http" })
      expect((yield* drive(client.get(server.url()))).status).toBe(503)
      expect((yield* Resilience.bulkheads).map((b) => b.name)).toContain("http")
      yield* eventually(() => events.some((e) => e._tag === "CircuitBreakerTransition"))
      expect(events.find((e) => e._tag === "RetryScheduled")).toMatchObject({ policyName: "http", attempt: 1 })
      expect(events.find((e) => e._tag === "CircuitBreakerTransition")).toMatchObject({
        policyName: "http",
        key: server.origin,
        from: "Closed",
        to: "Open"
      })
      expect(yield* metricValue("resilience_retry_attempts_total", { name: "http" })).toBe(before + 1)
      expect(yield* metricValue("resilience_circuit_breaker_transitions_total", { name: "http", to: "Open" }))
        .toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(Resilience.ResilienceLive), Effect.provide(NodeHttpClient.layerUndici)))
})

describe("ResilientHttpClient.layer", () => {
  const Client = (options?: ResilientHttpClient.StandardOptions) =>
    ResilientHttpClient.layer(options).pipe(Layer.provide(NodeHttpClient.layerUndici))

  it.scoped("makes an unchanged HttpClient program resilient", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([503, 200]))
      // a program written against the plain HttpClient service
      const program = Effect.flatMap(HttpClient.get(server.url()), (response) => response.text)
      expect(yield* drive(program.pipe(Effect.provide(Client(noTimeouts))))).toBe("ok")
      expect(server.seen).toHaveLength(2)
    }))

  it.scoped("rejections become RequestError { reason: \"Transport\" }, and `rejection` finds them", () =>
    Effect.gen(function*() {
      const server = yield* makeServer(statuses([500]))
      const program = Effect.gen(function*() {
        yield* HttpClient.get(server.url())
        return yield* Effect.flip(HttpClient.get(server.url()))
      })
      const error = yield* program.pipe(
        Effect.provide(Client({ ...noTimeouts, retry: false, circuitBreaker: { trip: CircuitBreaker.consecutive(1) } }))
      )
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      const rejection = ResilientHttpClient.rejection(error)
      expect(Option.isSome(rejection) && rejection.value._tag).toBe("CircuitBreakerOpen")
      expect(ResilientHttpClient.rejection(new Error("other"))).toEqual(Option.none())
      expect(server.seen).toHaveLength(1)
    }))
})

import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as RetryBudget from "@effect-resilience/core/RetryBudget"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "../../core/test/utils/config.js"
import { awaitSleeper, runWithTestClock } from "./utils/clock.js"
import { makeServer, type Script } from "./utils/server.js"

const every100ms = Schedule.spaced("100 millis")

/** A server answering as `script` says, and the platform's Node client. */
const setup = (script: Script) =>
  Effect.gen(function*() {
    const server = yield* makeServer(script)
    const client = yield* HttpClient.HttpClient
    return { server, client }
  })

/** Forks `effect` and drives the TestClock through its sleeps while it does real I/O. */
const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flatMap(Effect.fork(effect), runWithTestClock)

const arrivals = (server: { readonly seen: ReadonlyArray<{ readonly at: number }> }) => server.seen.map((s) => s.at)

describe("ResilientHttpClient.retryTransient", () => {
  it.scoped("retries 503s on the schedule and returns the first good response", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ status: 503 }, { status: 503 }, { status: 200, body: "fine" }])
      const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms }))
      const response = yield* drive(retrying.get(server.url("/quote")))
      expect(response.status).toBe(200)
      expect(yield* response.text).toBe("fine")
      expect(arrivals(server)).toEqual([0, 100, 200])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("every transient status is retried: 408, 425, 429, 500, 502, 503, 504", () =>
    Effect.gen(function*() {
      const statuses = [408, 425, 429, 500, 502, 503, 504]
      const { client, server } = yield* setup([...statuses.map((status) => ({ status })), { status: 200 }])
      const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms, times: 10 }))
      const response = yield* drive(retrying.get(server.url()))
      expect(response.status).toBe(200)
      expect(server.seen).toHaveLength(8)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("other statuses are returned at once: 200, 404, 501", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup((n) => ({ status: [404, 501, 200][n] ?? 200 }))
      const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms }))
      expect((yield* drive(retrying.get(server.url()))).status).toBe(404)
      expect((yield* drive(retrying.get(server.url()))).status).toBe(501)
      expect((yield* drive(retrying.get(server.url()))).status).toBe(200)
      expect(server.seen).toHaveLength(3)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("when retries run out on a status, the last response is returned unchanged", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup((n) => ({
        status: 503,
        headers: { "x-attempt": String(n) },
        body: `busy ${n}`
      }))
      const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms, times: 2 }))
      const response = yield* drive(retrying.get(server.url()))
      expect(response.status).toBe(503)
      expect(response.headers["x-attempt"]).toBe("2")
      expect(yield* response.text).toBe("busy 2")
      expect(arrivals(server)).toEqual([0, 100, 200])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("`times` caps a schedule that never ends; times: 0 never retries", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ status: 503 }])
      const once = client.pipe(ResilientHttpClient.retryTransient({ schedule: Schedule.forever, times: 1 }))
      expect((yield* drive(once.get(server.url()))).status).toBe(503)
      expect(server.seen).toHaveLength(2)
      const never = client.pipe(ResilientHttpClient.retryTransient({ times: 0 }))
      expect((yield* drive(never.get(server.url()))).status).toBe(503)
      expect(server.seen).toHaveLength(3)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("the default schedule: exponential from 200ms with full jitter, 3 retries", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ status: 503 }])
      const response = yield* drive(client.pipe(ResilientHttpClient.retryTransient()).get(server.url()))
      expect(response.status).toBe(503)
      const at = arrivals(server)
      expect(at).toHaveLength(4)
      const gaps = at.slice(1).map((t, i) => t - at[i])
      gaps.forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual(0)
        expect(gap).toBeLessThanOrEqual(200 * 2 ** i)
      })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  describe("Retry-After (RFC 9110 § 10.2.3)", () => {
    it.scoped("delay-seconds sets the next delay when longer than the schedule's", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([
          { status: 503, headers: { "retry-after": "2" } },
          { status: 429, headers: { "retry-after": "0" } },
          { status: 200 }
        ])
        const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms }))
        expect((yield* drive(retrying.get(server.url()))).status).toBe(200)
        // 2 s asked, then 0 s asked: the schedule's 100ms wins
        expect(arrivals(server)).toEqual([0, 2000, 2100])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("an HTTP-date is read against the Clock, in all three forms; a past date means no extra wait", () =>
      Effect.gen(function*() {
        const start = Date.UTC(2026, 0, 1, 0, 0, 0)
        yield* TestClock.setTime(start)
        const { client, server } = yield* setup([
          { status: 503, headers: { "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" } }, // IMF-fixdate
          { status: 503, headers: { "retry-after": "Thursday, 01-Jan-26 00:00:08 GMT" } }, // RFC 850
          { status: 503, headers: { "retry-after": "Thu Jan  1 00:00:10 2026" } }, // asctime
          { status: 503, headers: { "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" } }, // past
          { status: 200 }
        ])
        const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms, times: 5 }))
        expect((yield* drive(retrying.get(server.url()))).status).toBe(200)
        expect(arrivals(server).map((t) => t - start)).toEqual([0, 5000, 8000, 10000, 10100])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("a malformed Retry-After is ignored", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([
          { status: 503, headers: { "retry-after": "soon" } },
          { status: 503, headers: { "retry-after": "-5" } },
          { status: 200 }
        ])
        const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms }))
        expect((yield* drive(retrying.get(server.url()))).status).toBe(200)
        expect(arrivals(server)).toEqual([0, 100, 200])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("one longer than maxRetryAfter ends the retries and returns that response unchanged", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([
          { status: 503, headers: { "retry-after": "30" } },
          { status: 429, headers: { "retry-after": "120" }, body: "come back later" },
          { status: 200 }
        ])
        const retrying = client.pipe(
          ResilientHttpClient.retryTransient({ schedule: every100ms, maxRetryAfter: "1 minute" })
        )
        const response = yield* drive(retrying.get(server.url()))
        expect(response.status).toBe(429)
        expect(response.headers["retry-after"]).toBe("120")
        expect(yield* response.text).toBe("come back later")
        expect(arrivals(server)).toEqual([0, 30_000])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("is honoured on a ResponseError from an inner filterStatusOk too", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ status: 503, headers: { "retry-after": "1" } }, { status: 200 }])
        const retrying = client.pipe(
          HttpClient.filterStatusOk,
          ResilientHttpClient.retryTransient({ schedule: every100ms })
        )
        expect((yield* drive(retrying.get(server.url()))).status).toBe(200)
        expect(arrivals(server)).toEqual([0, 1000])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
  })

  describe("which requests", () => {
    it.scoped("only idempotent methods by default: POST and PATCH are sent once", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ status: 503 }])
        const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms }))
        expect((yield* drive(retrying.post(server.url()))).status).toBe(503)
        expect((yield* drive(retrying.patch(server.url()))).status).toBe(503)
        expect(server.seen.map((s) => s.method)).toEqual(["POST", "PATCH"])
        for (const method of ["PUT", "DELETE", "HEAD", "OPTIONS"] as const) {
          yield* drive(retrying.execute(HttpClientRequest.make(method)(server.url())))
        }
        expect(server.seen).toHaveLength(2 + 4 * 4)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("any request with an Idempotency-Key header is retried", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ status: 503 }, { status: 201 }])
        const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms }))
        const request = HttpClientRequest.post(server.url("/payments")).pipe(
          HttpClientRequest.setHeader("Idempotency-Key", "8e03978e"),
          HttpClientRequest.bodyText("{\"amount\":1}", "application/json")
        )
        expect((yield* drive(retrying.execute(request))).status).toBe(201)
        expect(server.seen.map((s) => s.headers["idempotency-key"])).toEqual(["8e03978e", "8e03978e"])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("`methods` replaces the list", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ status: 503 }, { status: 503 }, { status: 200 }])
        const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms, methods: ["POST"] }))
        expect((yield* drive(retrying.get(server.url()))).status).toBe(503)
        expect((yield* drive(retrying.post(server.url()))).status).toBe(200)
        expect(server.seen.map((s) => s.method)).toEqual(["GET", "POST", "POST"])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("never a request whose body is a stream, even with an Idempotency-Key", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ status: 503 }])
        const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms, methods: ["PUT"] }))
        const request = HttpClientRequest.put(server.url("/upload")).pipe(
          HttpClientRequest.setHeader("Idempotency-Key", "k"),
          HttpClientRequest.setBody(HttpBody.stream(Stream.make(new TextEncoder().encode("chunk"))))
        )
        expect((yield* drive(retrying.execute(request))).status).toBe(503)
        expect(server.seen).toHaveLength(1)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
  })

  describe("which failures", () => {
    it.scoped("transport errors (a reset connection) are retried; when they run out, the error is returned", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ reset: true }, { status: 200 }, { reset: true }])
        const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms, times: 2 }))
        expect((yield* drive(retrying.get(server.url()))).status).toBe(200)
        const exit = yield* Effect.exit(drive(retrying.get(server.url())))
        expect(exit).toStrictEqual(Exit.fail(expect.anything()))
        const error = Exit.isFailure(exit) ? (exit.cause as { error?: unknown }).error : undefined
        expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
        expect(server.seen).toHaveLength(2 + 3)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("an inner ResponseError with a transient status is retried, and returned when retries run out", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ status: 502 }])
        const retrying = client.pipe(
          HttpClient.filterStatusOk,
          ResilientHttpClient.retryTransient({ schedule: every100ms, times: 1 })
        )
        const error = yield* Effect.flip(drive(retrying.get(server.url())))
        expect(error).toMatchObject({ _tag: "ResponseError", reason: "StatusCode" })
        expect(server.seen).toHaveLength(2)
        // a ResponseError for a 404 is not transient
        const { client: c2, server: s2 } = yield* setup([{ status: 404 }])
        yield* Effect.flip(
          drive(c2.pipe(HttpClient.filterStatusOk, ResilientHttpClient.retryTransient()).get(s2.url()))
        )
        expect(s2.seen).toHaveLength(1)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.live("timeouts are retried: each attempt gets its own `withTimeout` inside, and the slow one is aborted", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ delay: 3_000 }, { status: 200 }])
        const retrying = client.pipe(
          ResilientHttpClient.withTimeout("500 millis"),
          ResilientHttpClient.retryTransient({ schedule: Schedule.spaced("10 millis") })
        )
        const response = yield* retrying.get(server.url())
        expect(response.status).toBe(200)
        expect(server.seen).toHaveLength(2)
        expect(server.seen[0].aborted).toBe(true)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

    it.live("Effect's TimeoutException is transient too", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ delay: 3_000 }, { status: 200 }])
        const retrying = client.pipe(
          HttpClient.transformResponse(Effect.timeout("500 millis")),
          ResilientHttpClient.retryTransient({ schedule: Schedule.spaced("10 millis") })
        )
        expect((yield* retrying.get(server.url())).status).toBe(200)
        expect(server.seen).toHaveLength(2)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

    it.scoped("`retryOn` replaces the classification, and sees the outcome as an Exit", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ status: 404 }, { status: 503 }])
        const seen: Array<string> = []
        const retrying = client.pipe(ResilientHttpClient.retryTransient({
          schedule: every100ms,
          retryOn: (outcome) => {
            seen.push(Exit.isSuccess(outcome) ? `status ${outcome.value.status}` : "error")
            return Exit.isSuccess(outcome) && outcome.value.status === 404
          }
        }))
        expect((yield* drive(retrying.get(server.url()))).status).toBe(503)
        expect(seen).toEqual(["status 404", "status 503"])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scoped("our own rejections are never retried, whatever retryOn says", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup([{ status: 200 }])
        const limiter = yield* RateLimiter.make({ limit: 1, interval: "1 hour", onExceeded: "fail" })
        const retrying = client.pipe(
          ResilientHttpClient.withRateLimiter({ limiter }),
          ResilientHttpClient.retryTransient({ schedule: every100ms, retryOn: Exit.isFailure })
        )
        expect((yield* drive(retrying.get(server.url()))).status).toBe(200)
        const error = yield* Effect.flip(drive(retrying.get(server.url())))
        expect(error._tag).toBe("RateLimited")
        expect(server.seen).toHaveLength(1)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
  })

  it.scoped("interrupting a call while it waits to retry sends nothing more", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ status: 503 }])
      const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: Schedule.spaced("1 second") }))
      const fiber = yield* Effect.fork(retrying.get(server.url()))
      yield* server.arrived(0)
      yield* awaitSleeper
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 minute")
      expect(server.seen).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a spent RetryBudget ends the retries with the last response", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ status: 503 }])
      const budget = yield* RetryBudget.make({ ratio: 0, minPerSecond: 0.1, window: "10 seconds" })
      const retrying = client.pipe(ResilientHttpClient.retryTransient({ schedule: every100ms, budget }))
      // the budget allows one retry in its window (0.1/s × 10 s)
      expect((yield* drive(retrying.get(server.url()))).status).toBe(503)
      expect(server.seen).toHaveLength(2)
      expect(yield* budget.available).toBe(0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it("bad options throw ResilienceConfigError when the combinator is called", () => {
    expectConfigError(() => ResilientHttpClient.retryTransient({ times: -1 }), "times")
    expectConfigError(() => ResilientHttpClient.retryTransient({ times: 1.5 }), "times")
    expectConfigError(() => ResilientHttpClient.retryTransient({ methods: "GET" as never }), "methods")
    expectConfigError(() => ResilientHttpClient.retryTransient({ retryOn: 5 as never }), "retryOn")
    expectConfigError(() => ResilientHttpClient.retryTransient({ maxRetryAfter: "-1 seconds" }), "maxRetryAfter")
    expectConfigError(() => ResilientHttpClient.retryTransient({ maxRetryAfter: Number.NaN }), "maxRetryAfter")
    expectConfigError(() => ResilientHttpClient.retryTransient({ schedule: 100 as never }), "schedule")
    expectConfigError(() => ResilientHttpClient.retryTransient({ name: "" }), "name")
    expectConfigError(() => ResilientHttpClient.retryTransient({ budget: {} as never }), "budget")
    expectConfigError(() => ResilientHttpClient.retryTransient(5 as never), "options")
    const client = HttpClient.make(() => Effect.die("unused"))
    expectConfigError(() => ResilientHttpClient.retryTransient(client, { times: -1 }), "times")
    expect(Timeout.TimeoutError).toBeDefined()
  })
})

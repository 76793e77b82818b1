import * as Deadline from "@effect-resilience/core/Deadline"
import * as HttpDeadline from "@effect-resilience/platform/HttpDeadline"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { expectConfigError } from "../../core/test/utils/config.js"
import { serve } from "./utils/serve.js"
import { eventually, makeServer } from "./utils/server.js"

/** `Deadline.remaining` in milliseconds, or "none". */
const remainingMillis: Effect.Effect<number | "none"> = Effect.map(
  Deadline.remaining,
  Option.match({ onNone: () => "none" as const, onSome: (d) => Duration.toMillis(d) })
)

/** An app that answers with the deadline it runs under. */
const reportsDeadline = Effect.map(remainingMillis, (left) => HttpServerResponse.text(String(left)))

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(HttpClientRequest.get(url, { headers })).pipe(
      Effect.flatMap((response) =>
        Effect.map(response.text, (text) => ({ status: response.status, headers: response.headers, text }))
      )
    ))

const timed = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const start = performance.now()
    return Effect.map(self, (value) => ({ value, millis: performance.now() - start }))
  })

/** A handler that records the header it got and the deadline it runs under, then works for 5 s. */
const slowRecorder = () => {
  const record = { header: [] as Array<string | undefined>, left: [] as Array<number | "none">, finalized: 0 }
  const app = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    record.header.push(request.headers["request-deadline"])
    record.left.push(yield* remainingMillis)
    yield* Effect.sleep("5 seconds").pipe(Effect.ensuring(Effect.sync(() => record.finalized++)))
    return HttpServerResponse.text("too late")
  })
  return { app, record }
}

describe("a deadline across processes", () => {
  it.scopedLive(
    "client → A → B: B sees under 300 ms left; when the deadline passes B's work is interrupted and the client gets its answer well under 1 s",
    () =>
      Effect.gen(function*() {
        const b = slowRecorder()
        const serverB = yield* serve(b.app.pipe(HttpDeadline.middleware()))

        const aHeaders: Array<string | undefined> = []
        const aLeft: Array<number | "none"> = []
        let aFinalized = 0
        const serverA = yield* serve(
          Effect.gen(function*() {
            const request = yield* HttpServerRequest.HttpServerRequest
            aHeaders.push(request.headers["request-deadline"])
            aLeft.push(yield* remainingMillis)
            yield* Effect.sleep("20 millis") // A's own work before it calls B
            const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withDeadline())
            const response = yield* client.get(serverB.url("/work"))
            return HttpServerResponse.text(yield* response.text, { status: response.status })
          }).pipe(
            Effect.ensuring(Effect.sync(() => aFinalized++)),
            Effect.orDie,
            HttpDeadline.middleware()
          )
        )

        const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withDeadline())
        const { millis, value } = yield* timed(
          client.get(serverA.url("/checkout")).pipe(Deadline.within("300 millis"), Effect.either)
        )

        // the client's own deadline fails the call, or A's 504 arrives just before it
        if (Either.isLeft(value)) expect(value.left).toBeInstanceOf(Deadline.DeadlineExceeded)
        else expect(value.right.status).toBe(504)
        expect(millis).toBeGreaterThanOrEqual(250)
        expect(millis).toBeLessThan(700)

        // the budget shrinks along the way: client (300) → A's header → A's deadline → B's header → B's deadline
        expect(aHeaders).toHaveLength(1)
        const aHeader = Number(aHeaders[0])
        expect(aHeader).toBeGreaterThan(0)
        expect(aHeader).toBeLessThanOrEqual(300)
        expect(aLeft[0] as number).toBeLessThanOrEqual(aHeader)
        expect(b.record.header).toHaveLength(1)
        expect(Number(b.record.header[0])).toBeLessThanOrEqual(aLeft[0] as number)
        expect(b.record.left).toHaveLength(1)
        const bLeft = b.record.left[0] as number
        expect(typeof bLeft).toBe("number")
        expect(bLeft).toBeGreaterThan(0)
        expect(bLeft).toBeLessThan(300)
        // A's 20 ms of work came off B's budget (each hop re-bases the budget on arrival, in whole
        // milliseconds, so the transit time, under a millisecond here, may not be counted)
        expect(bLeft).toBeLessThanOrEqual(285)
        expect(bLeft).toBeLessThanOrEqual(Number(b.record.header[0]))

        // B's 5-second work was interrupted (its finalizer ran), and so was A's handler
        yield* eventually(() => b.record.finalized === 1 && aFinalized === 1, 500)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.scopedLive("when the deadline passes the handler is interrupted and the request gets 504 with a problem body", () =>
    Effect.gen(function*() {
      const b = slowRecorder()
      const server = yield* serve(b.app.pipe(HttpDeadline.middleware()))
      const { millis, value } = yield* timed(get(server.url("/slow"), { "request-deadline": "100" }))
      expect(value.status).toBe(504)
      expect(value.headers["content-type"]).toBe("application/problem+json")
      expect(JSON.parse(value.text)).toEqual({
        type: "about:blank",
        title: "Gateway Timeout",
        status: 504,
        detail: "The request's deadline (100 ms) passed before the server could answer."
      })
      expect(millis).toBeGreaterThanOrEqual(95)
      expect(millis).toBeLessThan(600)
      // the finalizer ran before the response was sent
      expect(b.record.finalized).toBe(1)
      expect(b.record.left[0] as number).toBeLessThanOrEqual(100)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a header of 0 gets 504 at once, without running the app", () =>
    Effect.gen(function*() {
      const b = slowRecorder()
      const server = yield* serve(b.app.pipe(HttpDeadline.middleware()))
      const response = yield* get(server.url(), { "request-deadline": "0" })
      expect(response.status).toBe(504)
      expect(b.record.left).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("garbage in the header is ignored: the app runs with no deadline", () =>
    Effect.gen(function*() {
      const server = yield* serve(reportsDeadline.pipe(HttpDeadline.middleware()))
      for (
        const garbage of ["-5", "1.5", "1e3", "abc", "100ms", "0x10", "+100", "", "1, 2", "NaN", "Infinity", "- 1"]
      ) {
        const response = yield* get(server.url(), { "request-deadline": garbage })
        expect([garbage, response.status, response.text]).toEqual([garbage, 200, "none"])
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("max caps a huge header (default 30 seconds)", () =>
    Effect.gen(function*() {
      const capped = yield* serve(reportsDeadline.pipe(HttpDeadline.middleware({ max: "200 millis" })))
      const small = Number((yield* get(capped.url(), { "request-deadline": "99999999999999999999" })).text)
      expect(small).toBeGreaterThan(100)
      expect(small).toBeLessThanOrEqual(200)
      const below = Number((yield* get(capped.url(), { "request-deadline": "150" })).text)
      expect(below).toBeGreaterThan(50)
      expect(below).toBeLessThanOrEqual(150)

      const byDefault = yield* serve(reportsDeadline.pipe(HttpDeadline.middleware()))
      const large = Number((yield* get(byDefault.url(), { "request-deadline": "3600000" })).text)
      expect(large).toBeGreaterThan(29_000)
      expect(large).toBeLessThanOrEqual(30_000)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("no header: no deadline from the header (max is not a deadline of its own), and the app still runs interruptibly", () =>
    Effect.gen(function*() {
      const server = yield* serve(reportsDeadline.pipe(HttpDeadline.middleware({ max: "1 second" })))
      expect((yield* get(server.url())).text).toBe("none")

      // interruptible: a deadline the app sets itself fires on time
      const own = yield* serve(
        Effect.sleep("2 seconds").pipe(
          Effect.as(HttpServerResponse.text("slow")),
          Deadline.within("50 millis"),
          Effect.catchTag("DeadlineExceeded", () => Effect.succeed(HttpServerResponse.text("own deadline"))),
          HttpDeadline.middleware()
        )
      )
      const { millis, value } = yield* timed(get(own.url()))
      expect(value.text).toBe("own deadline")
      expect(millis).toBeLessThan(500)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("the app's own DeadlineExceeded is the app's failure (500), not this middleware's 504", () =>
    Effect.gen(function*() {
      const server = yield* serve(
        Effect.sleep("2 seconds").pipe(
          Effect.as(HttpServerResponse.text("slow")),
          Deadline.within("50 millis"),
          HttpDeadline.middleware()
        )
      )
      expect((yield* get(server.url(), { "request-deadline": "5000" })).status).toBe(500)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a custom header name, on both sides", () =>
    Effect.gen(function*() {
      const server = yield* serve(reportsDeadline.pipe(HttpDeadline.middleware({ header: "X-Budget-Ms" })))
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withDeadline({ header: "X-Budget-Ms" }))
      const text = yield* client.get(server.url()).pipe(Effect.flatMap((r) => r.text), Deadline.within("1 second"))
      expect(Number(text)).toBeGreaterThan(500)
      expect(Number(text)).toBeLessThanOrEqual(1000)
      // the default header name is not read
      expect((yield* get(server.url(), { "request-deadline": "500" })).text).toBe("none")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("ResilientHttpClient.withDeadline", () => {
  it.scopedLive("sends the time left in whole milliseconds inside a deadline, and no header outside one", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ status: 200 }])
      const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withDeadline())
      yield* client.get(server.url("/outside"))
      yield* client.get(server.url("/inside")).pipe(Deadline.within("2 seconds"))
      const dataFirst = ResilientHttpClient.withDeadline(yield* HttpClient.HttpClient, { header: "x-deadline" })
      yield* dataFirst.get(server.url("/data-first")).pipe(Deadline.within("2 seconds"))
      yield* dataFirst.get(server.url("/data-first-outside"))

      expect(server.seen.map((s) => s.path)).toEqual(["/outside", "/inside", "/data-first", "/data-first-outside"])
      expect(server.seen[0]!.headers["request-deadline"]).toBeUndefined()
      const inside = server.seen[1]!.headers["request-deadline"]!
      expect(inside).toMatch(/^\d+$/)
      expect(Number(inside)).toBeGreaterThan(1500)
      expect(Number(inside)).toBeLessThanOrEqual(2000)
      expect(server.seen[2]!.headers["x-deadline"]).toMatch(/^\d+$/)
      expect(server.seen[2]!.headers["request-deadline"]).toBeUndefined()
      expect(server.seen[3]!.headers["x-deadline"]).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("inside retryTransient each attempt carries the time left when it is sent", () =>
    Effect.gen(function*() {
      const server = yield* makeServer([{ status: 503 }, { status: 200 }])
      const client = (yield* HttpClient.HttpClient).pipe(
        ResilientHttpClient.withDeadline(),
        ResilientHttpClient.retryTransient({ schedule: Schedule.spaced("150 millis") })
      )
      const response = yield* client.get(server.url()).pipe(Deadline.within("2 seconds"))
      expect(response.status).toBe(200)
      const [first, second] = server.seen.map((s) => Number(s.headers["request-deadline"]))
      expect(first! - second!).toBeGreaterThanOrEqual(140)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("options", () => {
  it("bad options throw ResilienceConfigError when the combinator or the middleware is made", () => {
    expectConfigError(() => ResilientHttpClient.withDeadline({ header: "" }), "header")
    expectConfigError(() => ResilientHttpClient.withDeadline({ header: "request deadline" }), "header")
    expectConfigError(() => ResilientHttpClient.withDeadline({ header: 1 as never }), "header")
    expectConfigError(() => ResilientHttpClient.withDeadline(3 as never), "options")
    expectConfigError(() => HttpDeadline.middleware({ header: "a:b" }), "header")
    expectConfigError(() => HttpDeadline.middleware({ max: -1 }), "max")
    expectConfigError(() => HttpDeadline.middleware({ max: 0 }), "max")
    expectConfigError(() => HttpDeadline.middleware({ max: "forever" as never }), "max")
    expectConfigError(() => HttpDeadline.middleware({ max: Duration.infinity }), "max")
    expectConfigError(() => HttpDeadline.middleware("30 seconds" as never), "options")
  })
})

import * as RetryBudget from "@effect-resilience/core/RetryBudget"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { expectConfigError } from "../../core/test/utils/config.js"
import { eventually, makeServer, type Script } from "./utils/server.js"

const setup = (script: Script, options: ResilientHttpClient.HedgingOptions) =>
  Effect.gen(function*() {
    const server = yield* makeServer(script)
    const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withHedging(options))
    return { server, client }
  })

// Hedge delays are on the Clock; these tests run on real time with short, bounded delays.
describe("ResilientHttpClient.withHedging", () => {
  it.live("a slow primary is hedged after `delay`; the hedge wins and the primary's request is aborted", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ delay: 5_000, body: "primary" }, { body: "hedge" }], {
        delay: "200 millis"
      })
      const started = performance.now()
      const response = yield* client.get(server.url())
      expect(yield* response.text).toBe("hedge")
      expect(performance.now() - started).toBeLessThan(4_000)
      expect(server.seen).toHaveLength(2)
      // the server sees the loser's connection close
      yield* eventually(() => server.seen[0].aborted)
      expect(server.seen[0].answered).toBe(false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("a fast primary launches no hedge", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ body: "primary" }], { delay: "1 second" })
      expect(yield* (yield* client.get(server.url())).text).toBe("primary")
      expect(server.seen).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("a 503 does not win: the next attempt starts at once, without waiting for `delay`", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ status: 503 }, { status: 200, body: "hedge" }], {
        delay: "10 seconds"
      })
      const started = performance.now()
      const response = yield* client.get(server.url())
      expect(response.status).toBe(200)
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(server.seen).toHaveLength(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("a transport error does not win either", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ reset: true }, { body: "hedge" }], { delay: "10 seconds" })
      expect(yield* (yield* client.get(server.url())).text).toBe("hedge")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("when no attempt wins, the primary's outcome is returned unchanged", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup((n) => ({ status: 503, body: `attempt ${n}` }), {
        delay: "10 seconds",
        maxHedges: 2
      })
      const response = yield* client.get(server.url())
      expect(response.status).toBe(503)
      expect(yield* response.text).toBe("attempt 0")
      expect(server.seen).toHaveLength(3)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("only GET and HEAD by default: a slow POST is sent once", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ delay: 200 }], { delay: "20 millis" })
      expect((yield* client.post(server.url())).status).toBe(200)
      expect(server.seen).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("`methods` and `classify` replace the defaults", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ status: 404 }, { status: 200 }], {
        delay: "10 seconds",
        methods: ["PUT"],
        classify: (outcome) => Exit.isSuccess(outcome) && outcome.value.status === 200 ? "success" : "failure"
      })
      expect((yield* client.put(server.url())).status).toBe(200)
      expect(server.seen.map((s) => s.method)).toEqual(["PUT", "PUT"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("each hedge withdraws from the budget: no withdrawal, no hedge", () =>
    Effect.gen(function*() {
      const budget = yield* RetryBudget.make({ ratio: 0, minPerSecond: 0, window: "10 seconds" })
      const { client, server } = yield* setup([{ delay: 200, body: "primary" }], { delay: "20 millis", budget })
      expect(yield* (yield* client.get(server.url())).text).toBe("primary")
      expect(server.seen).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("interrupting the caller aborts every attempt", () =>
    Effect.gen(function*() {
      const { client, server } = yield* setup([{ delay: 5_000 }], { delay: "20 millis" })
      const fiber = yield* Effect.fork(client.get(server.url()))
      yield* server.arrived(1)
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => server.seen.every((s) => s.aborted))
      expect(server.seen).toHaveLength(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it("bad options throw ResilienceConfigError when the combinator is called", () => {
    expectConfigError(() => ResilientHttpClient.withHedging({} as never), "delay")
    expectConfigError(() => ResilientHttpClient.withHedging({ delay: "-1 seconds" }), "delay")
    expectConfigError(() => ResilientHttpClient.withHedging({ delay: 10, maxHedges: -1 }), "maxHedges")
    expectConfigError(() => ResilientHttpClient.withHedging({ delay: 10, methods: ["GET", 1] as never }), "methods")
    expectConfigError(() => ResilientHttpClient.withHedging({ delay: 10, classify: 1 as never }), "classify")
    expectConfigError(() => ResilientHttpClient.withHedging({ delay: 10, budget: {} as never }), "budget")
    const client = HttpClient.make(() => Effect.die("unused"))
    expectConfigError(() => ResilientHttpClient.withHedging(client, { delay: "soon" as never }), "delay")
  })
})

import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as GracefulShutdown from "@effect-resilience/platform/GracefulShutdown"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { createServer } from "node:http"
import { expectConfigError } from "../../core/test/utils/config.js"
import { eventually, realSleep } from "./utils/server.js"

describe("GracefulShutdown (in process)", () => {
  it.live("publishes each phase as a ShutdownPhase event, interrupts what outlives the timeout and closes the registry's bulkheads", () =>
    Effect.gen(function*() {
      const phases: Array<Extract<ResilienceEvent, { _tag: "ShutdownPhase" }>> = []
      yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (event) =>
        Effect.sync(() => {
          if (event._tag === "ShutdownPhase") phases.push(event)
        })))
      const db = yield* Resilience.bulkhead("db", { maxConcurrent: 2 })
      let finalized = false
      const app = realSleep(5_000).pipe(
        Effect.onInterrupt(() => Effect.sync(() => finalized = true)),
        Effect.as(HttpServerResponse.text("late"))
      )
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        HttpServer.serve(GracefulShutdown.middleware(app)).pipe(
          Layer.provideMerge(GracefulShutdown.layer({ drainDelay: "100 millis", timeout: "200 millis" })),
          Layer.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
        ),
        scope
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      const shutdown = Context.get(context, GracefulShutdown.GracefulShutdown)
      const port = address._tag === "TcpAddress" ? address.port : 0
      const client = yield* HttpClient.HttpClient
      const request = yield* Effect.fork(client.get(`http://127.0.0.1:${port}/`))
      yield* eventually(() => Effect.runSync(shutdown.inFlight) === 1)
      expect(yield* shutdown.phase).toBe("serving")

      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* eventually(() => Effect.runSync(shutdown.phase) === "draining")
      const response = yield* Fiber.join(request)
      expect(response.status).toBe(503)
      expect(response.headers["connection"]).toBe("close")
      yield* Fiber.join(closing)
      expect(finalized).toBe(true)
      expect(yield* shutdown.phase).toBe("closed")
      yield* eventually(() => phases.length === 4)
      expect(phases.map((e) => [e.policyName, e.phase, e.inFlight])).toEqual([
        ["shutdown", "draining", 1],
        ["shutdown", "refusing", 1],
        ["shutdown", "interrupting", 1],
        ["shutdown", "closed", 0]
      ])
      expect(yield* Effect.flip(db.protect(Effect.void))).toMatchObject({ _tag: "BulkheadRejected", reason: "Closed" })
    }).pipe(Effect.provide([NodeHttpClient.layerUndici, Resilience.layer()]), Effect.scoped))

  it("bad options throw ResilienceConfigError", () => {
    expectConfigError(() => GracefulShutdown.layer({ drainDelay: -1 }), "drainDelay")
    expectConfigError(() => GracefulShutdown.layer({ timeout: "soon" as never }), "timeout")
    expectConfigError(() => GracefulShutdown.layer(5 as never), "options")
  })
})

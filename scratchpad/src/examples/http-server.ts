/**
 * The server side: `HealthCheck`, `HttpRateLimit`, `HttpLoadShed` and `GracefulShutdown` in
 * front of a small app on 127.0.0.1, then a real SIGTERM (sent to this process) and the drain.
 *
 * Middleware order, outermost first: health probes (never limited, shed or refused), the
 * shutdown's request tracking, the rate limit (cheap rejections first; /items only), the load
 * shedding.
 */
import * as Resilience from "@effect-resilience/core/Resilience"
import * as GracefulShutdown from "@effect-resilience/platform/GracefulShutdown"
import * as HealthCheck from "@effect-resilience/platform/HealthCheck"
import * as HttpLoadShed from "@effect-resilience/platform/HttpLoadShed"
import * as HttpRateLimit from "@effect-resilience/platform/HttpRateLimit"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { createServer } from "node:http"
import * as Timeline from "../timeline.js"

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/items", HttpServerResponse.text("[\"apple\",\"pear\"]")),
  HttpRouter.get("/ping", HttpServerResponse.text("pong")),
  HttpRouter.get("/report", Effect.as(Effect.sleep("1200 millis"), HttpServerResponse.text("report ready")))
)

const serverLayer = Layer.unwrapScoped(Effect.gen(function*() {
  const health = yield* HealthCheck.make({ checks: [{ name: "database", check: Effect.void }] })
  const app = router.pipe(
    HttpLoadShed.middleware({ bulkhead: { name: "server", maxConcurrent: 2 } }),
    HttpRateLimit.middleware({
      limiter: { name: "api", limit: 4, interval: "10 seconds" },
      skip: (request) => request.url !== "/items"
    }),
    GracefulShutdown.middleware,
    HealthCheck.middleware(health)
  )
  return HttpServer.serve(app)
})).pipe(
  Layer.provideMerge(GracefulShutdown.layer({ drainDelay: "500 millis", timeout: "2 seconds" })),
  Layer.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
)

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  yield* Resilience.events.pipe(
    Stream.runForEach((event) =>
      event._tag === "ShutdownPhase"
        ? timeline.log(`    shutdown phase: ${event.phase} (${event.inFlight} in flight)`)
        : Effect.void
    ),
    Effect.forkScoped
  )
  // NodeRuntime.runMain closes the server's scope on SIGTERM; here we do it ourselves
  const scope = yield* Scope.make()
  const context = yield* Layer.buildWithScope(serverLayer, scope)
  const address = Context.get(context, HttpServer.HttpServer).address
  const origin = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
  const client = yield* HttpClient.HttpClient
  const get = (path: string) =>
    Effect.gen(function*() {
      const response = yield* client.get(`${origin}${path}`)
      const h = response.headers
      const extra = [
        h["ratelimit"] && `RateLimit: ${h["ratelimit"]}`,
        h["retry-after"] && `Retry-After: ${h["retry-after"]}`,
        h["connection"] === "close" && "Connection: close"
      ].filter(Boolean).join(", ")
      yield* timeline.log(`GET ${path} → ${response.status} ${yield* response.text}${extra ? `  [${extra}]` : ""}`)
    }).pipe(Effect.orDie)

  yield* Console.log("Health probes (outermost: never rate-limited, shed or refused):")
  yield* get("/livez")
  yield* get("/readyz")

  yield* Console.log("\nHttpLoadShed: 3 slow reports at once, 2 may run, the third gets 503 at once:")
  yield* Effect.forEach(["/report", "/report", "/report"], get, { concurrency: "unbounded" })

  yield* Console.log("\nHttpRateLimit on /items: 4 per 10 s (a token bucket), with the IETF RateLimit fields:")
  for (let i = 0; i < 6; i++) yield* get("/items")

  yield* Console.log("\nSIGTERM with a report in flight (drainDelay 500ms, timeout 2s):")
  const windowReset = yield* Effect.fork(get("/report"))
  yield* Effect.sleep("100 millis")
  const closed = yield* Effect.async<void>((resume) => {
    process.once("SIGTERM", () => resume(Effect.void))
    process.kill(process.pid, "SIGTERM")
  }).pipe(
    Effect.zipRight(timeline.log("SIGTERM received: closing the server's scope")),
    Effect.zipRight(Scope.close(scope, Exit.void)),
    Effect.fork
  )
  yield* Effect.sleep("100 millis")
  yield* get("/readyz")
  yield* get("/livez")
  yield* get("/ping")
  yield* Effect.sleep("600 millis")
  yield* get("/livez")
  yield* get("/ping")
  yield* Fiber.join(windowReset)
  yield* Fiber.join(closed)
  yield* timeline.log("server closed")
}).pipe(
  Effect.scoped,
  // the phases are printed from the events; the default logger would print them a second time
  Logger.withMinimumLogLevel(LogLevel.Warning),
  Effect.provide(Resilience.layer()),
  Effect.provide(NodeHttpClient.layerUndici),
  Effect.orDie
)

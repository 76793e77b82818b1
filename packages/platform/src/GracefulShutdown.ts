/**
 * Graceful shutdown for `@effect/platform` servers: when the server's scope starts to close
 * (`NodeRuntime.runMain` turns SIGTERM and SIGINT into that), readiness fails at once, requests
 * are served with `Connection: close` for `drainDelay` while load balancers notice, then new
 * requests are refused with 503, requests in flight get `timeout` more to finish and are then
 * interrupted (their finalizers run), idle keep-alive connections are closed, the registry's
 * bulkheads are closed, and the process exits 0.
 *
 * Wiring:
 *
 * ```text
 * HttpServer.serve(GracefulShutdown.middleware(app)).pipe(
 *   Layer.provide(GracefulShutdown.layer({ drainDelay: "5 seconds", timeout: "30 seconds" })),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as ResilienceEvent from "@effect-resilience/core/ResilienceEvent"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServer from "@effect/platform/HttpServer"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/gracefulShutdown.js"

/**
 * Where the server is: `"serving"`, then the shutdown's phases in order: `"draining"` (served
 * with `Connection: close`), `"refusing"` (new requests get 503), `"interrupting"` (requests
 * still in flight after `timeout` are interrupted), `"closed"`.
 *
 * @since 0.1.0
 * @category models
 */
export type Phase = "serving" | ResilienceEvent.ShutdownPhaseName

/**
 * The shutdown's state, provided by `layer` and read by `middleware` and `HealthCheck`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GracefulShutdown {
  readonly phase: Effect.Effect<Phase>
  /** Requests in the app now (those `middleware` tracks). */
  readonly inFlight: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category tags
 */
export const GracefulShutdown: Context.Tag<GracefulShutdown, GracefulShutdown> = internal.GracefulShutdownTag

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * How long requests are still served (with `Connection: close`) after readiness fails, so
   * load balancers stop sending new ones. Default: 5 seconds.
   */
  readonly drainDelay?: Duration.DurationInput | undefined
  /** How long requests in flight may take to finish once new ones are refused. Default: 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Wraps the `HttpServer` in context so that the drain runs when the server's scope starts to
 * close, before the platform detaches its request handler (a layer merely provided beside the
 * server would be released after the handler is gone, when in-flight requests and keep-alive
 * connections can no longer be answered). Each phase is logged and, with a `Resilience`
 * registry provided, published on `Resilience.events` as a `ShutdownPhase` event. Bad options
 * throw `ResilienceConfigError` at once.
 *
 * @example
 * ```ts
 * import { GracefulShutdown, HealthCheck } from "@effect-resilience/platform"
 * import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
 * import { HttpServer, HttpServerResponse } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 * import { createServer } from "node:http"
 *
 * const app = HttpServerResponse.text("hello").pipe(GracefulShutdown.middleware)
 *
 * const main = Layer.unwrapScoped(
 *   HealthCheck.make({}).pipe(
 *     Effect.map((health) => HttpServer.serve(app.pipe(HealthCheck.middleware(health))))
 *   )
 * ).pipe(
 *   Layer.provide(GracefulShutdown.layer({ drainDelay: "5 seconds", timeout: "30 seconds" })),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8080 }))
 * )
 *
 * // NodeRuntime.runMain(Layer.launch(main))
 * export const launch = Layer.launch(main)
 * export const run = NodeRuntime.runMain
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options?: Options
) => Layer.Layer<HttpServer.HttpServer | GracefulShutdown, never, HttpServer.HttpServer> = internal.layer

/**
 * Tracks the requests in the app and runs it interruptibly (platform handlers are
 * uninterruptible by default, so a request could never be cut at the shutdown's `timeout`).
 * While draining, responses carry `Connection: close`; from `"refusing"` on, new requests get 503
 * (`Connection: close`, a problem body) and never reach the app. Put `HealthCheck.middleware`
 * outside it, so probes are answered throughout.
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware: <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R | GracefulShutdown> =
  internal.middleware

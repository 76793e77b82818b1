/**
 * Load shedding for `@effect/platform` servers: a bulkhead in front of the app that answers 503
 * with `Retry-After` when it is full, before the app sees the request.
 *
 * @since 0.1.0
 */
import type * as Bulkhead from "@effect-resilience/core/Bulkhead"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as Duration from "effect/Duration"
import * as internal from "./internal/httpLoadShed.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** A bulkhead, or its options (made once, on first use, and kept as long as the app). */
  readonly bulkhead: Bulkhead.Bulkhead | Bulkhead.Bulkhead.Options
  /** The `Retry-After` a shed request gets (whole seconds, rounded up, at least 1). Default: 1 second. */
  readonly retryAfter?: Duration.DurationInput | undefined
  /** Requests it lets through untouched (health probes, say). */
  readonly skip?: ((request: HttpServerRequest.HttpServerRequest) => boolean) | undefined
}

/**
 * At most `maxConcurrent` requests run in the app and `maxQueue` wait (FIFO, up to
 * `queueTimeout`); beyond that a request gets 503 with `Retry-After` and an
 * `application/problem+json` body, and the app never sees it. So does every request once the
 * bulkhead is closed (`GracefulShutdown` closes the registry's). The app runs interruptibly.
 * Bad options throw `ResilienceConfigError` at once.
 *
 * @example
 * ```ts
 * import { HttpLoadShed } from "@effect-resilience/platform"
 * import { HttpServer, HttpServerResponse } from "@effect/platform"
 *
 * const app = HttpServerResponse.text("ok").pipe(
 *   HttpLoadShed.middleware({ bulkhead: { name: "server", maxConcurrent: 200, maxQueue: 100 }, retryAfter: "2 seconds" })
 * )
 *
 * export const served = HttpServer.serve(app)
 * ```
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware: (options: Options) => <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> =
  internal.middleware

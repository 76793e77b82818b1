/**
 * Helpers for `@effect/platform` servers.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as server from "./internal/server.js"

/**
 * Runs the app interruptibly. @effect/platform 0.97 runs every handler uninterruptibly, so a
 * `Timeout`, `Hedge` or `Deadline` inside a handler would do nothing (a 50 ms timeout around a
 * 300 ms sleep returns after 300 ms), and a client that goes away could not cancel its request.
 * Every middleware of this package already does this; use it for apps that use none of them.
 *
 * @example
 * ```ts
 * import { Timeout } from "@effect-resilience/core"
 * import { ResilientHttpServer } from "@effect-resilience/platform"
 * import { HttpServer, HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const app = Effect.sleep("300 millis").pipe(
 *   Effect.as(HttpServerResponse.text("done")),
 *   Timeout.timeout("50 millis"),
 *   Effect.catchTag("TimeoutError", () => Effect.succeed(HttpServerResponse.text("late", { status: 504 })))
 * )
 *
 * export const served = HttpServer.serve(ResilientHttpServer.interruptible(app))
 * ```
 *
 * @since 0.1.0
 * @category middleware
 */
export const interruptible: <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> = server.interruptible

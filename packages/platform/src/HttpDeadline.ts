/**
 * Deadlines across processes: a middleware that runs each request within the deadline its
 * caller sent (`ResilientHttpClient.withDeadline`'s `Request-Deadline: <millis>` header), so a
 * server stops working for a client that has given up, as gRPC's propagated deadlines do.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as Duration from "effect/Duration"
import * as internal from "./internal/httpDeadline.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The header the caller's time left arrives in (an HTTP field name). Default: `Request-Deadline`. */
  readonly header?: string | undefined
  /**
   * The most time a caller can ask for (positive, finite): a larger header is capped to it.
   * Default: 30 seconds.
   */
  readonly max?: Duration.DurationInput | undefined
}

/**
 * Reads the caller's time left from the `Request-Deadline` header (whole milliseconds, as
 * `ResilientHttpClient.withDeadline` sends it), caps it by `max`, and runs the app within
 * `Deadline.within` of it, interruptibly (@effect/platform runs handlers uninterruptibly). So
 * the handler sees that budget in `Deadline.remaining`, its own calls through `withDeadline`
 * pass on what is left, and its retries, hedges and waits respect it. When the deadline passes,
 * the app is interrupted (its finalizers run) and the request gets 504 with an
 * `application/problem+json` body; a header of `0` gets it without running the app. The budget
 * is counted from the request's arrival (as gRPC's `grpc-timeout`), so the network transit is not
 * taken off it; the caller's own `Deadline.within` still ends the call on time.
 *
 * A request without the header, or whose header is not a non-negative integer (garbage is
 * ignored, never an error), runs with no deadline from this middleware: `max` caps what a caller
 * asks for and is not a deadline of its own (bound such requests with `Timeout` or
 * `Deadline.within` in the app). The app runs interruptibly either way. Bad options throw
 * `ResilienceConfigError` when the middleware is made.
 *
 * @example
 * ```ts
 * import { Deadline } from "@effect-resilience/core"
 * import { HttpDeadline } from "@effect-resilience/platform"
 * import { HttpServer, HttpServerResponse } from "@effect/platform"
 * import { Effect, Option } from "effect"
 *
 * const app = Effect.gen(function*() {
 *   const left = yield* Deadline.remaining // Some(the caller's time left, at most 10 seconds)
 *   return HttpServerResponse.text(Option.match(left, { onNone: () => "no deadline", onSome: String }))
 * })
 *
 * export const served = HttpServer.serve(app.pipe(HttpDeadline.middleware({ max: "10 seconds" })))
 * ```
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware: (options?: Options) => <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> =
  internal.middleware

/**
 * What the server middlewares share: running an app interruptibly, problem bodies, `Retry-After`
 * and the client's address.
 */
import * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"

/**
 * @effect/platform 0.97 runs every handler uninterruptibly (`HttpApp.toHandled`), so a
 * `Timeout`, `Hedge` or `Deadline` inside one could never interrupt it: run it interruptibly.
 *
 * @internal
 */
export const interruptible = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> => Effect.interruptible(app)

/**
 * An RFC 9457 problem details response (§3.1: `type`, `title`, `status`, `detail`; §3: media type
 * `application/problem+json`). `type: "about:blank"` means the title is the status's phrase
 * (§4.2.1).
 *
 * @internal
 */
export const problem = (
  status: number,
  title: string,
  detail: string,
  headers: Record<string, string> = {}
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(
    { type: "about:blank", title, status, detail },
    { status, headers, contentType: "application/problem+json" }
  )

/**
 * RFC 9110 §10.2.3: `Retry-After = HTTP-date / delay-seconds`, delay-seconds a non-negative
 * integer. We round up (never invite a client back too early) and send at least 1.
 *
 * @internal
 */
export const retryAfterSeconds = (duration: Duration.Duration): number =>
  Math.max(1, Math.ceil(Duration.toMillis(duration) / 1000))

/** Whole seconds, rounded up (zero stays zero). @internal */
export const ceilSeconds = (duration: Duration.Duration): number =>
  Math.max(0, Math.ceil(Duration.toMillis(duration) / 1000))

/**
 * The client's address: the connection's, or with `trustProxy: n` (n ≥ 1) the n-th entry from
 * the right of `X-Forwarded-For`, the address the nearest trusted proxy saw (express's hop
 * count). Entries further left are whatever the client wrote, so a key taken from them would let
 * anyone pick their own limit. With fewer entries than `n`, the leftmost one (the proxies all
 * appended theirs, so the client wrote none).
 *
 * @internal
 */
export const clientAddress = (request: HttpServerRequest.HttpServerRequest, trustProxy: number): string => {
  const connection = request.remoteAddress._tag === "Some" ? request.remoteAddress.value : "unknown"
  if (trustProxy === 0) return connection
  const header = request.headers["x-forwarded-for"]
  if (header === undefined || header.trim() === "") return connection
  const hops = header.split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0)
  if (hops.length === 0) return connection
  return hops[Math.max(0, hops.length - trustProxy)]!
}

/** The request's path without its query string. @internal */
export const pathOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const query = request.url.indexOf("?")
  return query === -1 ? request.url : request.url.slice(0, query)
}

/**
 * Sets headers on whatever response the request ends with, error responses included (a
 * pre-response handler runs in `HttpApp.toHandled` for every response).
 *
 * @internal
 */
export const addResponseHeaders = (headers: Record<string, string>): Effect.Effect<void> =>
  HttpApp.appendPreResponseHandler((_request, response) =>
    Effect.succeed(HttpServerResponse.setHeaders(response, headers))
  )

/**
 * An instance a middleware makes from options: once, on first use (in the first request's
 * fiber, so it sees that fiber's `Clock` and `Resilience` registry), and kept as long as the app,
 * in a scope that is never closed (limiters and bulkheads made from options hold no timer).
 *
 * @internal
 */
export const onFirstUse = <A>(make: Effect.Effect<A, never, Scope.Scope>): Effect.Effect<A> => {
  let made: Effect.Effect<A> | undefined
  let pending: Effect.Effect<A> | undefined
  return Effect.suspend(() => {
    if (made !== undefined) return made
    if (pending === undefined) {
      // single flight while the first requests arrive together
      pending = Effect.runSync(
        Effect.cached(Effect.flatMap(Scope.make(), (scope) => Scope.extend(make, scope)))
      )
    }
    return Effect.tap(pending, (instance) => {
      made = Effect.succeed(instance)
    })
  })
}

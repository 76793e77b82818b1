/**
 * Server-side rate limiting: a middleware answering 429 with `Retry-After`, an RFC 9457 problem
 * body and the IETF RateLimit fields, deciding per client (or any key) with a keyed limiter.
 *
 * @since 0.1.0
 */
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as internal from "./internal/httpRateLimit.js"

/**
 * Which rate-limit fields every response carries:
 *
 * - `"draft"`: the IETF fields (draft-ietf-httpapi-ratelimit-headers)
 *   `RateLimit-Policy: "<name>";q=<limit>;w=<interval seconds>` and
 *   `RateLimit: "<name>";r=<remaining>;t=<seconds until reset, rounded up>`.
 * - `"legacy"`: `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch
 *   seconds), as GitHub and express-rate-limit send them.
 * - `"none"`: no fields (a 429 still carries `Retry-After`).
 *
 * @since 0.1.0
 * @category models
 */
export type HeadersMode = "draft" | "legacy" | "none"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * A keyed limiter, or its options (made once, on first use, and kept as long as the app).
   * It must fail rather than wait: options without `onExceeded` get `"fail"`, and `"wait"` (or
   * an instance that waits) throws `ResilienceConfigError`.
   */
  readonly limiter: RateLimiter.KeyedRateLimiter | RateLimiter.KeyedRateLimiter.Options
  /**
   * Which limit a request counts against. Default: the client address: the connection's, or with
   * `trustProxy` the one the nearest trusted proxy saw.
   */
  readonly key?: ((request: HttpServerRequest.HttpServerRequest) => string) | undefined
  /** The permits a request takes. Default: 1. */
  readonly cost?: ((request: HttpServerRequest.HttpServerRequest) => number) | undefined
  /** Default: `"draft"`. */
  readonly headers?: HeadersMode | undefined
  /**
   * How many proxies in front of the server append to `X-Forwarded-For`: the default key is
   * then the n-th entry from the right (the entries further left are whatever the client wrote).
   * Default: 0, the connection's address.
   */
  readonly trustProxy?: number | undefined
  /** Requests it lets through untouched (no decision, no fields). */
  readonly skip?: ((request: HttpServerRequest.HttpServerRequest) => boolean) | undefined
}

/**
 * Makes one decision (`decide`, which never waits) per request. A rejected request never
 * reaches the app: it gets 429 with `Retry-After` (whole seconds until the same request could
 * pass, at least 1) and an `application/problem+json` body. Every response carries the fields
 * `headers` asks for (`r=0` on a rejection). The app runs interruptibly. Bad options throw
 * `ResilienceConfigError` at once.
 *
 * @example
 * ```ts
 * import { HttpRateLimit } from "@effect-resilience/platform"
 * import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
 *
 * const app = HttpRouter.empty.pipe(
 *   HttpRouter.get("/items", HttpServerResponse.text("[]")),
 *   HttpRateLimit.middleware({
 *     limiter: { name: "api", limit: 100, interval: "1 minute" },
 *     trustProxy: 1
 *   })
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

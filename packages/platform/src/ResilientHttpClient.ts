/**
 * A resilient `HttpClient`: combinators over `HttpClient.With<E, R>` (built on
 * `HttpClient.transform`, which sees the request), presets that build their own instances, and
 * a layer that makes every `HttpClient` call in a program resilient.
 *
 * Policies cover a request until its response's headers arrive; the body is read afterwards,
 * outside them (wrap a body read in `Timeout.timeout` yourself). Combinators take instances (a
 * breaker, a limiter, a bulkhead, keyed or not) and are pure; bad options throw
 * `ResilienceConfigError` when a combinator or preset is called. A `key` option is always
 * `(request) => string`, by default the request URL's origin, and an outcome, where a function
 * classifies one, is an `Exit<HttpClientResponse, E>`.
 *
 * @since 0.1.0
 */
import type * as Bulkhead from "@effect-resilience/core/Bulkhead"
import type * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import type * as ResilienceError from "@effect-resilience/core/ResilienceError"
import type * as RetryBudget from "@effect-resilience/core/RetryBudget"
import type * as Timeout from "@effect-resilience/core/Timeout"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as hedging from "./internal/hedging.js"
import * as outcome from "./internal/outcome.js"
import * as policies from "./internal/policies.js"
import * as presets from "./internal/presets.js"
import * as retry from "./internal/retry.js"

// -------------------------------------------------------------------------------------------
// models
// -------------------------------------------------------------------------------------------

/**
 * What a request came to, as a function that classifies it sees it: the response (whatever its
 * status) or the client's error.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome<E> = Exit.Exit<HttpClientResponse.HttpClientResponse, E>

/**
 * How a breaker counts an outcome: `"ignored"` is neither success nor failure.
 *
 * @since 0.1.0
 * @category models
 */
export type Verdict = "success" | "failure" | "ignored"

/**
 * Which instance of a keyed policy a request uses. Default: the request URL's origin
 * (`https://api.example.com:8443`).
 *
 * @since 0.1.0
 * @category models
 */
export type Key = (request: HttpClientRequest.HttpClientRequest) => string

/**
 * A response a policy treated as a failure: a status to retry, a hedge that did not win, a 5xx
 * a breaker counts. It never reaches the caller (the response itself is returned); it is what
 * events (`RetryScheduled.error`, `RetryGaveUp.error`) and a breaker's `isFailure` see in place
 * of the response.
 *
 * @since 0.1.0
 * @category models
 */
export const ResponseFailure: typeof outcome.ResponseFailure = outcome.ResponseFailure

/**
 * @since 0.1.0
 * @category models
 */
export type ResponseFailure = outcome.ResponseFailure

// -------------------------------------------------------------------------------------------
// retryTransient
// -------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface RetryTransientOptions<E = unknown> {
  /**
   * The delays between attempts; its input is the failure (a `ResponseFailure` for a response).
   * Default: `Retry.exponential({ base: "200 millis", max: "10 seconds", jitter: "full" })`.
   */
  readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
  /** At most this many retries, whatever the schedule says (a non-negative integer). Default: 3. */
  readonly times?: number | undefined
  /**
   * The methods that may be retried. Default: `GET HEAD OPTIONS PUT DELETE TRACE`. A request
   * with an `Idempotency-Key` header is retried whatever its method; one with a streamed body
   * never.
   */
  readonly methods?: ReadonlyArray<HttpClientRequest.HttpClientRequest["method"]> | undefined
  /**
   * Which outcomes to retry. Default: transport errors (`RequestError` reason `"Transport"`),
   * timeouts (core's `TimeoutError`, Effect's `TimeoutException`) and statuses 408, 425, 429, 500,
   * 502, 503, 504 (also inside a `ResponseError` from an inner `filterStatusOk`). Our rejections
   * (`CircuitBreakerOpen`, `BulkheadRejected`, `RateLimited`) are never retried, whatever it says.
   */
  readonly retryOn?: ((outcome: Outcome<E>) => boolean) | undefined
  /** Each call deposits once, each retry withdraws; when it is spent, the last outcome is returned. */
  readonly budget?: RetryBudget.RetryBudget | undefined
  /** A `Retry-After` longer than this ends the retries. Default: 1 minute. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** The name in events and metrics. Default: `"http"`. */
  readonly name?: string | undefined
}

/**
 * Retries transient failures of idempotent requests. A `Retry-After` response header
 * (delay-seconds or an HTTP-date, read against the `Clock`) makes the next delay
 * `max(schedule delay, Retry-After)`; one longer than `maxRetryAfter` ends the retries. When
 * retries end on a response, that response is returned as the client would have returned it;
 * when they end on an error, that error. Reports `Retry.retry`'s events and metrics.
 *
 * Inside it, `withTimeout` limits each attempt; outside, the whole call.
 *
 * @example
 * ```ts
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = (yield* HttpClient.HttpClient).pipe(
 *     ResilientHttpClient.withTimeout("2 seconds"),
 *     ResilientHttpClient.retryTransient({ times: 3, maxRetryAfter: "30 seconds" })
 *   )
 *   return yield* client.get("https://api.example.com/quotes")
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryTransient: {
  <E0 = unknown>(
    options?: RetryTransientOptions<E0>
  ): <E extends E0, R>(self: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E, R>
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    options?: RetryTransientOptions<NoInfer<E>>
  ): HttpClient.HttpClient.With<E, R>
} = retry.retryTransient as never

// -------------------------------------------------------------------------------------------
// withCircuitBreaker
// -------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreakerOptions<E = unknown> {
  /** A breaker for every request, or a keyed one: one breaker per `key`, bounded by its `maxKeys`. */
  readonly breaker: CircuitBreaker.CircuitBreaker | CircuitBreaker.KeyedCircuitBreaker
  /** Default: the request URL's origin. Only used with a keyed breaker. */
  readonly key?: Key | undefined
  /**
   * How the breaker counts an outcome. Default: transport errors, timeouts, 408 and 5xx are
   * failures, 429 is ignored (the server is protecting itself, not broken), rejections from
   * policies inside are ignored, everything else is a success.
   */
  readonly classify?: ((outcome: Outcome<E>) => Verdict) | undefined
}

/**
 * Guards requests with a circuit breaker: an open breaker fails them at once with
 * `CircuitBreakerOpen` (the request is never sent). The outcome the breaker counts is returned
 * unchanged: a 503 counted as a failure is still the caller's 503 response.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@effect-resilience/core"
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const breaker = yield* CircuitBreaker.keyed({ name: "http", trip: CircuitBreaker.consecutive(5) })
 *   const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withCircuitBreaker({ breaker }))
 *   return yield* client.get("https://api.example.com/quotes")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withCircuitBreaker: {
  <E0 = unknown>(
    options: CircuitBreakerOptions<E0>
  ): <E extends E0, R>(
    self: HttpClient.HttpClient.With<E, R>
  ) => HttpClient.HttpClient.With<E | CircuitBreaker.CircuitBreakerOpen, R>
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    options: CircuitBreakerOptions<NoInfer<E>>
  ): HttpClient.HttpClient.With<E | CircuitBreaker.CircuitBreakerOpen, R>
} = policies.withCircuitBreaker as never

// -------------------------------------------------------------------------------------------
// withRateLimiter, withBulkhead, withTimeout
// -------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface RateLimiterOptions {
  /** A limiter for every request, or a keyed one: one limit per `key`. */
  readonly limiter: RateLimiter.RateLimiter | RateLimiter.KeyedRateLimiter
  /** Default: the request URL's origin. Only used with a keyed limiter. */
  readonly key?: Key | undefined
  /** Permits a request takes (a positive integer). Default: 1. */
  readonly permits?: number | ((request: HttpClientRequest.HttpClientRequest) => number) | undefined
}

/**
 * Client-side throttling: each request takes permits before it is sent, waiting or failing with
 * `RateLimited` as the limiter's `onExceeded` says.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "@effect-resilience/core"
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* RateLimiter.keyed({ limit: 10, interval: "1 second" })
 *   const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withRateLimiter({ limiter }))
 *   return yield* client.get("https://api.example.com/quotes")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRateLimiter: {
  (
    options: RateLimiterOptions
  ): <E, R>(self: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | RateLimiter.RateLimited, R>
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    options: RateLimiterOptions
  ): HttpClient.HttpClient.With<E | RateLimiter.RateLimited, R>
} = policies.withRateLimiter as never

/**
 * @since 0.1.0
 * @category models
 */
export interface BulkheadOptions {
  /** A bulkhead for every request, or a keyed one: one per `key`. */
  readonly bulkhead: Bulkhead.Bulkhead | Bulkhead.KeyedBulkhead
  /** Default: the request URL's origin. Only used with a keyed bulkhead. */
  readonly key?: Key | undefined
}

/**
 * Limits the requests in flight (until their headers arrive); beyond the bulkhead's queue they
 * fail with `BulkheadRejected`.
 *
 * @example
 * ```ts
 * import { Bulkhead } from "@effect-resilience/core"
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const bulkhead = yield* Bulkhead.make({ name: "http", maxConcurrent: 100, maxQueue: 1000 })
 *   const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withBulkhead({ bulkhead }))
 *   return yield* client.get("https://api.example.com/quotes")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withBulkhead: {
  (
    options: BulkheadOptions
  ): <E, R>(self: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | Bulkhead.BulkheadRejected, R>
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    options: BulkheadOptions
  ): HttpClient.HttpClient.With<E | Bulkhead.BulkheadRejected, R>
} = policies.withBulkhead as never

/**
 * Fails a request with core's `TimeoutError` when its response headers have not arrived in
 * time; the request is interrupted first, which aborts it. Per attempt inside `retryTransient`,
 * for the whole call outside it.
 *
 * @example
 * ```ts
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = (yield* HttpClient.HttpClient).pipe(
 *     ResilientHttpClient.withTimeout({ duration: "2 seconds", name: "quotes" })
 *   )
 *   return yield* client.get("https://api.example.com/quotes")
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTimeout: {
  (
    duration: Duration.DurationInput | Timeout.TimeoutOptions
  ): <E, R>(self: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | Timeout.TimeoutError, R>
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    duration: Duration.DurationInput | Timeout.TimeoutOptions
  ): HttpClient.HttpClient.With<E | Timeout.TimeoutError, R>
} = policies.withTimeout as never

// -------------------------------------------------------------------------------------------
// withDeadline
// -------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface DeadlineOptions {
  /** The header the time left travels in (an HTTP field name). Default: `Request-Deadline`. */
  readonly header?: string | undefined
}

/**
 * Sends the calling fiber's deadline (core's `Deadline.within`) to the server: each request
 * (each attempt, inside `retryTransient` or `withHedging`) carries the time left when it is
 * sent, in whole milliseconds rounded down, as `Request-Deadline: <millis>`; outside any
 * deadline it sends nothing. `HttpDeadline.middleware` on the server runs the handler within
 * that budget, so the deadline crosses processes. The request itself is still interrupted by
 * the caller's `Deadline.within` when the deadline passes.
 *
 * @example
 * ```ts
 * import { Deadline } from "@effect-resilience/core"
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.withDeadline())
 *   // sends `Request-Deadline: <millis left>`, at most 500
 *   return yield* client.get("https://api.example.com/quotes")
 * }).pipe(Deadline.within("500 millis"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withDeadline: {
  (options?: DeadlineOptions): <E, R>(self: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E, R>
  <E, R>(self: HttpClient.HttpClient.With<E, R>, options?: DeadlineOptions): HttpClient.HttpClient.With<E, R>
} = policies.withDeadline as never

// -------------------------------------------------------------------------------------------
// withHedging
// -------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface HedgingOptions<E = unknown> {
  /** How long after an attempt starts the next one starts. */
  readonly delay: Duration.DurationInput
  /** Extra attempts at most (a non-negative integer). Default: 1. */
  readonly maxHedges?: number | undefined
  /** The methods that are hedged; other requests pass through. Default: `GET`, `HEAD`. */
  readonly methods?: ReadonlyArray<HttpClientRequest.HttpClientRequest["method"]> | undefined
  /**
   * Which outcomes win. Default: a response whose status is not transient (as `retryTransient`
   * defines it: a 503 does not win), or an error that is not transient.
   */
  readonly classify?: ((outcome: Outcome<E>) => "success" | "failure") | undefined
  /** Each hedge withdraws from it; no withdrawal, no hedge. */
  readonly budget?: RetryBudget.RetryBudget | undefined
  /** The name in events and metrics. Default: `"http"`. */
  readonly name?: string | undefined
}

/**
 * Hedged requests: when no answer has come `delay` after an attempt started, another starts,
 * up to `1 + maxHedges`. An attempt wins only with an outcome `classify` calls a success; one
 * that fails that way launches the next at once. The losers are interrupted, which aborts their
 * requests (the server sees the connection close). When none wins, the primary's outcome is
 * returned. Only idempotent requests should be hedged; streamed bodies never are.
 *
 * @example
 * ```ts
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = (yield* HttpClient.HttpClient).pipe(
 *     ResilientHttpClient.withHedging({ delay: "200 millis", maxHedges: 2 })
 *   )
 *   return yield* client.get("https://api.example.com/quotes")
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withHedging: {
  <E0 = unknown>(
    options: HedgingOptions<E0>
  ): <E extends E0, R>(self: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E, R>
  <E, R>(self: HttpClient.HttpClient.With<E, R>, options: HedgingOptions<NoInfer<E>>): HttpClient.HttpClient.With<E, R>
} = hedging.withHedging as never

// -------------------------------------------------------------------------------------------
// presets and layer
// -------------------------------------------------------------------------------------------

/**
 * The rejections the presets can add to a client's error channel.
 *
 * @since 0.1.0
 * @category models
 */
export type StandardError = CircuitBreaker.CircuitBreakerOpen | Bulkhead.BulkheadRejected | Timeout.TimeoutError

/**
 * Options of `standard`: each part takes `false` to turn it off, or an override of its defaults.
 *
 * @since 0.1.0
 * @category models
 */
export interface StandardOptions {
  /** One bulkhead for the client, outermost. Default: `{ name: "http", maxConcurrent: 1000 }`. */
  readonly concurrency?: false | Partial<Bulkhead.Bulkhead.Options> | undefined
  /** The limit on a whole call, retries included. Default: 30 seconds. */
  readonly totalTimeout?: false | Duration.DurationInput | undefined
  /**
   * `retryTransient`'s options. Default: 3 retries, exponential from 2 seconds with full jitter,
   * honouring `Retry-After`.
   */
  readonly retry?: false | RetryTransientOptions | undefined
  /**
   * One breaker per origin (`CircuitBreaker.keyed`, name `"http"`). Default: failure rate 10 %
   * over 30 seconds once 100 calls are recorded, break 5 seconds. With a `Resilience` registry
   * provided it is the registry's `keyedCircuitBreaker(name, these options)`, so
   * `RESILIENCE_CIRCUITBREAKER_HTTP_*` Config keys tune every origin.
   */
  readonly circuitBreaker?: false | Partial<CircuitBreaker.KeyedCircuitBreaker.Options> | undefined
  /** The limit on one attempt, innermost. Default: 10 seconds. */
  readonly attemptTimeout?: false | Duration.DurationInput | undefined
}

/**
 * Options of `standardHedging`: `standard`'s, with `hedging` in place of `retry`.
 *
 * @since 0.1.0
 * @category models
 */
export interface StandardHedgingOptions extends Omit<StandardOptions, "retry"> {
  /** `withHedging`'s options. Default: a hedge 2 seconds after the primary, at most 1. */
  readonly hedging?: false | Partial<HedgingOptions> | undefined
}

/**
 * The standard pipeline of Microsoft.Extensions.Http.Resilience, outermost first: `concurrency`
 * (one bulkhead, 1,000) → `totalTimeout` (30 s) → `retry` (`retryTransient`: 3 retries,
 * exponential from 2 s, full jitter, honouring `Retry-After`) → `circuitBreaker` (one per
 * origin: failure rate 10 % over 30 s, at least 100 calls, break 5 s) → `attemptTimeout` (10 s).
 *
 * It builds its instances, which live as long as the `Scope`; with a `Resilience` registry
 * provided, the bulkhead and the per-origin breakers are the registry's (named `"http"`), so
 * they show up in its listings, events, metrics and Config keys. Options are validated when
 * `standard` is called.
 *
 * @example
 * ```ts
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* ResilientHttpClient.standard({ attemptTimeout: "2 seconds" })(yield* HttpClient.HttpClient)
 *   return yield* client.get("https://api.example.com/quotes")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const standard: (
  options?: StandardOptions
) => <E, R>(
  client: HttpClient.HttpClient.With<E, R>
) => Effect.Effect<HttpClient.HttpClient.With<E | StandardError, R>, never, Scope.Scope> = presets.standard as never

/**
 * `standard` with hedging in place of retries, as Microsoft's standard hedging handler:
 * `concurrency` → `totalTimeout` → `hedging` (a hedge 2 s after the primary, at most 1) →
 * `circuitBreaker` (per origin) → `attemptTimeout`.
 *
 * @example
 * ```ts
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const hedged = ResilientHttpClient.standardHedging({ hedging: { delay: "300 millis", maxHedges: 2 } })
 *   const client = yield* hedged(yield* HttpClient.HttpClient)
 *   return yield* client.get("https://api.example.com/quotes")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const standardHedging: (
  options?: StandardHedgingOptions
) => <E, R>(
  client: HttpClient.HttpClient.With<E, R>
) => Effect.Effect<HttpClient.HttpClient.With<E | StandardError, R>, never, Scope.Scope> = presets
  .standardHedging as never

/**
 * Replaces the `HttpClient` in context with `standard(options)` of it, its instances living as
 * long as the layer: `Effect.provide(ResilientHttpClient.layer())` makes every existing
 * `HttpClient` call resilient. The `HttpClient` tag only carries `HttpClientError`, so at this
 * outer boundary (never inside the pipeline) rejections become
 * `RequestError { reason: "Transport", cause: <the rejection> }`: `rejection` finds them.
 *
 * @example
 * ```ts
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { HttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * const program = HttpClient.get("https://api.example.com/quotes")
 *
 * const Client = ResilientHttpClient.layer({ attemptTimeout: "2 seconds" }).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * // run it with Effect.runPromise(main)
 * export const main = Effect.scoped(program).pipe(Effect.provide(Client))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options?: StandardOptions
) => Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient> = presets.layer as never

/**
 * The rejection behind an error: the error itself when it is one of core's `ResilienceError`s,
 * or the `cause` of the `RequestError` that `layer` made of it.
 *
 * @example
 * ```ts
 * import { ResilientHttpClient } from "@effect-resilience/platform"
 * import { HttpClient } from "@effect/platform"
 * import { Effect, Option } from "effect"
 *
 * const program = HttpClient.get("https://api.example.com/quotes").pipe(
 *   Effect.catchAll((error) =>
 *     Option.match(ResilientHttpClient.rejection(error), {
 *       onNone: () => Effect.fail(error),
 *       onSome: (rejection) => Effect.succeed(`not sent: ${rejection._tag}`)
 *     })
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const rejection: (error: unknown) => Option.Option<ResilienceError.ResilienceError> = presets.rejection

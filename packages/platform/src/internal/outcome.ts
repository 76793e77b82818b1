/**
 * How the client's policies read an outcome (`Exit<HttpClientResponse, E>`): which statuses and
 * errors are transient, which requests are idempotent, and the `Retry-After` header.
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Predicate from "effect/Predicate"

/**
 * A response that a policy treats as a failure (a 503 to retry, a hedge that did not win, a 5xx
 * a breaker counts). It never reaches the caller: the response itself is returned. It is what
 * events (`RetryScheduled.error`) and a breaker's `isFailure` see in place of the response.
 *
 * @internal
 */
export class ResponseFailure extends Data.TaggedError("ResponseFailure")<{
  readonly response: HttpClientResponse.HttpClientResponse
}> {
  get status(): number {
    return this.response.status
  }
  override get message(): string {
    return `${this.response.status} ${this.response.request.method} ${this.response.request.url}`
  }
}

/** 408 Request Timeout, 425 Too Early, 429 Too Many Requests, 500, 502, 503, 504. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504])

/** @internal */
export const isTransientStatus = (status: number): boolean => TRANSIENT_STATUSES.has(status)

const REJECTIONS: ReadonlySet<string> = new Set(["CircuitBreakerOpen", "BulkheadRejected", "RateLimited"])

/**
 * The core's rejections, which a retry or a breaker never treats as the server's answer.
 *
 * @internal
 */
export const isRejection = (error: unknown): boolean =>
  Predicate.hasProperty(error, "_tag") && typeof error._tag === "string" && REJECTIONS.has(error._tag)

/** @internal */
export const isTimeout = (error: unknown): boolean =>
  Cause.isTimeoutException(error) || (error instanceof Error && Predicate.hasProperty(error, "_tag") &&
    error._tag === "TimeoutError")

/** @internal */
export const isTransport = (error: unknown): boolean =>
  HttpClientError.isHttpClientError(error) && error._tag === "RequestError" && error.reason === "Transport"

/**
 * The response an error carries: a `ResponseError` from an inner `filterStatusOk`, or our own
 * `ResponseFailure`.
 *
 * @internal
 */
export const responseOf = (error: unknown): HttpClientResponse.HttpClientResponse | undefined => {
  if (error instanceof ResponseFailure) return error.response
  if (HttpClientError.isHttpClientError(error) && error._tag === "ResponseError" && error.reason === "StatusCode") {
    return error.response
  }
  return undefined
}

/**
 * `retryTransient`'s and `withHedging`'s default: transport errors, timeouts and the transient
 * statuses (also inside a `ResponseError`).
 *
 * @internal
 */
export const isTransientOutcome = <E>(outcome: Exit.Exit<HttpClientResponse.HttpClientResponse, E>): boolean => {
  if (Exit.isSuccess(outcome)) return isTransientStatus(outcome.value.status)
  const failure = Cause.failureOption(outcome.cause)
  if (failure._tag === "None") return false
  const error: unknown = failure.value
  if (isRejection(error)) return false
  if (isTransport(error) || isTimeout(error)) return true
  const response = responseOf(error)
  return response !== undefined && isTransientStatus(response.status)
}

/** @internal */
export type Verdict = "success" | "failure" | "ignored"

/**
 * `withCircuitBreaker`'s default: transport errors, timeouts, 408 and 5xx are failures, 429 is
 * ignored (the server is protecting itself, it is not broken), everything else is a success.
 * Rejections from policies inside the breaker are not the server's answer: ignored.
 *
 * @internal
 */
export const breakerVerdict = <E>(outcome: Exit.Exit<HttpClientResponse.HttpClientResponse, E>): Verdict => {
  const ofStatus = (status: number): Verdict =>
    status === 429 ? "ignored" : status === 408 || status >= 500 ? "failure" : "success"
  if (Exit.isSuccess(outcome)) return ofStatus(outcome.value.status)
  const failure = Cause.failureOption(outcome.cause)
  if (failure._tag === "None") return "failure" // a defect
  const error: unknown = failure.value
  if (isRejection(error)) return "ignored"
  if (isTransport(error) || isTimeout(error)) return "failure"
  const response = responseOf(error)
  return response === undefined ? "success" : ofStatus(response.status)
}

const IDEMPOTENT_METHODS: ReadonlyArray<string> = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]

/** @internal */
export const defaultRetryMethods: ReadonlySet<string> = new Set(IDEMPOTENT_METHODS)

/**
 * Whether a request may be sent again: an idempotent method (or one in `methods`) or an
 * `Idempotency-Key` header, and never a streamed body (it cannot be replayed).
 *
 * @internal
 */
export const isReplayable = (request: HttpClientRequest.HttpClientRequest, methods: ReadonlySet<string>): boolean =>
  request.body._tag !== "Stream" &&
  (methods.has(request.method) || request.headers["idempotency-key"] !== undefined)

/** @internal */
export const originOf = (request: HttpClientRequest.HttpClientRequest): string => {
  try {
    return new URL(request.url).origin
  } catch {
    return request.url
  }
}

/**
 * The `Retry-After` delay in milliseconds at `now` (Clock millis), or undefined when the header
 * is absent or malformed. RFC 9110 § 10.2.3:
 *
 *     Retry-After = HTTP-date / delay-seconds
 *     delay-seconds = 1*DIGIT
 *
 * "A delay-seconds value is a non-negative decimal integer, representing time in seconds." An
 * HTTP-date (§ 5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms, which recipients
 * must accept) in the past means no delay.
 *
 * @internal
 */
export const retryAfterMillis = (
  response: HttpClientResponse.HttpClientResponse,
  now: number
): number | undefined => {
  const header = response.headers["retry-after"]
  if (header === undefined) return undefined
  const value = header.trim()
  if (/^\d+$/.test(value)) return Number(value) * 1000
  if (!/^[A-Za-z]{3}/.test(value)) return undefined
  // Date.parse reads all three HTTP-date forms; it parses a string, it does not read a clock
  const date = Date.parse(/GMT$/.test(value) ? value : `${value} GMT`) // asctime has no zone: it is GMT
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * Drops a response that will not be returned (a retried 503): reads and discards its body, so
 * that its connection goes back to the pool instead of waiting for the garbage collector. A
 * body that never ends is bounded by the caller's timeouts.
 *
 * @internal
 */
export const discard = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  Effect.ignore(response.arrayBuffer)

import type * as Bulkhead from "@effect-resilience/core/Bulkhead"
import type * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Deadline from "@effect-resilience/core/Deadline"
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import { dualClient } from "./dual.js"
import { breakerVerdict, originOf, ResponseFailure, type Verdict } from "./outcome.js"
import * as validate from "./validate.js"

type Response = HttpClientResponse.HttpClientResponse
type Outcome = Exit.Exit<Response, unknown>
type Key = (request: HttpClientRequest.HttpClientRequest) => string
type Guard<X> = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | X, R>

/** Keyed instances have `get` and `size`; plain ones do not. */
const isKeyed = (u: Record<string, unknown>): boolean =>
  typeof u.get === "function" && "size" in u && typeof u.protect === "function"

const readKey = (o: Record<string, unknown>): Key => validate.optionalFunc<Key>("key", o.key) ?? originOf

/**
 * The guard of one request: the instance's `protect` for a plain instance, the key's for a
 * keyed one.
 */
const guardOf = <X>(
  option: string,
  instance: unknown,
  key: Key,
  isPlain: (u: Record<string, unknown>) => boolean
): (request: HttpClientRequest.HttpClientRequest) => Guard<X> => {
  if (!Predicate.isObject(instance) || typeof instance === "function") {
    return validate.fail(option, `must be a ${option} or a keyed ${option}`, instance)
  }
  const o = instance as Record<string, unknown>
  // bound: an instance written as a class keeps its `this`
  if (isKeyed(o)) {
    const protect = (o.protect as (key: string) => Guard<X>).bind(o)
    return (request) => protect(key(request))
  }
  if (!isPlain(o)) return validate.fail(option, `must be a ${option} or a keyed ${option}`, instance)
  const protect = (o.protect as Guard<X>).bind(o)
  return () => protect
}

// -------------------------------------------------------------------------------------------
// circuit breaker
// -------------------------------------------------------------------------------------------

interface BreakerConfig {
  readonly guard: (request: HttpClientRequest.HttpClientRequest) => Guard<CircuitBreaker.CircuitBreakerOpen>
  readonly classify: (outcome: Outcome) => Verdict
}

const validateBreaker = (input: unknown): BreakerConfig => {
  const o = validate.object("options", input)
  const key = readKey(o)
  return {
    guard: guardOf(
      "breaker",
      o.breaker,
      key,
      (b) => Predicate.hasProperty(b, "state") && Predicate.hasProperty(b, "trip")
    ),
    classify: validate.optionalFunc<(outcome: Outcome) => Verdict>("classify", o.classify) ?? breakerVerdict
  }
}

/**
 * The breaker sees the verdict, the caller the outcome. A failure verdict reaches the breaker as
 * the request's own error (or a `ResponseFailure` for a response); an ignored one as an
 * interruption, the one exit every breaker records as neither success nor failure whatever its
 * `isFailure`. The outcome is then returned unchanged.
 */
const breakerRequest = <E, R>(
  effect: Effect.Effect<Response, E, R>,
  guard: Guard<CircuitBreaker.CircuitBreakerOpen>,
  classify: (outcome: Outcome) => Verdict
): Effect.Effect<Response, E | CircuitBreaker.CircuitBreakerOpen, R> => {
  let outcome: Exit.Exit<Response, E> | undefined
  const judged = Effect.flatMap(Effect.exit(effect), (exit): Effect.Effect<void, unknown> => {
    outcome = exit
    switch (classify(exit)) {
      case "success":
        return Effect.void
      case "ignored":
        return Effect.interrupt
      case "failure":
        return Exit.isSuccess(exit) ? Effect.fail(new ResponseFailure({ response: exit.value })) : exit
    }
  })
  return Effect.flatMap(
    Effect.exit(guard(judged)),
    (exit): Effect.Effect<Response, E | CircuitBreaker.CircuitBreakerOpen> =>
      // no outcome: the breaker rejected the call (or it died, or was interrupted): pass that on
      outcome ?? (exit as Exit.Exit<never, CircuitBreaker.CircuitBreakerOpen>)
  )
}

/** @internal */
export const withCircuitBreaker = dualClient(
  validateBreaker,
  (client, config) =>
    HttpClient.transform(client, (effect, request) => breakerRequest(effect, config.guard(request), config.classify))
)

// -------------------------------------------------------------------------------------------
// rate limiter
// -------------------------------------------------------------------------------------------

interface LimiterConfig {
  readonly acquire: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<void, RateLimiter.RateLimited>
}

const validateLimiter = (input: unknown): LimiterConfig => {
  const o = validate.object("options", input)
  const key = readKey(o)
  const limiter = o.limiter
  const rule = "must be a RateLimiter or a KeyedRateLimiter"
  if (!Predicate.isObject(limiter) || typeof limiter === "function" || !Predicate.hasProperty(limiter, "acquire")) {
    return validate.fail("limiter", rule, limiter)
  }
  let permits: (request: HttpClientRequest.HttpClientRequest) => number | undefined
  if (o.permits === undefined) permits = () => undefined
  else if (typeof o.permits === "function") {
    permits = o.permits as (request: HttpClientRequest.HttpClientRequest) => number
  } else {
    const n = validate.optionalInteger("permits", o.permits, 1)
    permits = () => n
  }
  const l = limiter as Record<string, unknown>
  // a keyed limiter's `available` takes a key; a plain one's is an Effect
  if (typeof l.available === "function" && "size" in l) {
    const acquire = (l.acquire as RateLimiter.KeyedRateLimiter["acquire"]).bind(l)
    return { acquire: (request) => acquire(key(request), permits(request)) }
  }
  if (!("available" in l) || typeof l.acquire !== "function") {
    return validate.fail("limiter", rule, limiter)
  }
  const acquire = (l.acquire as RateLimiter.RateLimiter["acquire"]).bind(l)
  return { acquire: (request) => acquire(permits(request)) }
}

/** @internal */
export const withRateLimiter = dualClient(
  validateLimiter,
  (client, config) =>
    HttpClient.transform(client, (effect, request) => Effect.zipRight(config.acquire(request), effect))
)

// -------------------------------------------------------------------------------------------
// bulkhead
// -------------------------------------------------------------------------------------------

const validateBulkhead = (input: unknown) => {
  const o = validate.object("options", input)
  return guardOf<Bulkhead.BulkheadRejected>(
    "bulkhead",
    o.bulkhead,
    readKey(o),
    (b) => Predicate.hasProperty(b, "stats") && Predicate.hasProperty(b, "close")
  )
}

/** @internal */
export const withBulkhead = dualClient(
  validateBulkhead,
  (client, guard) => HttpClient.transform(client, (effect, request) => guard(request)(effect))
)

// -------------------------------------------------------------------------------------------
// timeout
// -------------------------------------------------------------------------------------------

/** Core's `Timeout.timeout` validates the duration (or `{ duration, name }`) when called. */
const validateTimeout = (input: unknown) => Timeout.timeout(input as Timeout.TimeoutOptions)

/** @internal */
export const withTimeout = dualClient(
  validateTimeout,
  (client, timeout) => HttpClient.transform(client, (effect) => timeout(effect))
)

// -------------------------------------------------------------------------------------------
// deadline
// -------------------------------------------------------------------------------------------

/** RFC 9110 §5.1: a field name is a token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * The header a deadline travels in: `Request-Deadline` unless `header` names another. Shared with
 * `HttpDeadline.middleware`.
 *
 * @internal
 */
export const deadlineHeader = (input: unknown): string => {
  const o = validate.optionalObject("options", input)
  if (o.header === undefined) return "request-deadline"
  if (typeof o.header !== "string" || !TOKEN.test(o.header)) {
    return validate.fail("header", "must be an HTTP field name (a non-empty token)", o.header)
  }
  return o.header.toLowerCase()
}

/**
 * The header is set when the request is sent, through the wrapped client's `execute`, not in a
 * `preprocess` step: a `retryTransient` or `withHedging` outside re-runs this for each attempt,
 * so every attempt carries the time left then, not when the call started.
 *
 * @internal
 */
export const withDeadline = dualClient(
  deadlineHeader,
  (client, header) =>
    HttpClient.makeWith(
      (request) =>
        Effect.flatMap(request, (request) =>
          Effect.flatMap(Deadline.remaining, (left) =>
            client.execute(
              Option.isNone(left)
                ? request
                // whole milliseconds, rounded down: the server never gets more time than the caller has
                : HttpClientRequest.setHeader(
                  request,
                  header,
                  String(Math.max(0, Math.floor(Duration.toMillis(left.value))))
                )
            ))),
      Effect.succeed
    )
)

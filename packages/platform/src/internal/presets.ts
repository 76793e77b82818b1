import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Resilience from "@effect-resilience/core/Resilience"
import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import * as Retry from "@effect-resilience/core/Retry"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { Client } from "./dual.js"
import { withHedging } from "./hedging.js"
import { withBulkhead, withCircuitBreaker, withTimeout } from "./policies.js"
import { retryTransient } from "./retry.js"
import * as validate from "./validate.js"

type Combinator = (client: Client) => Client

/** `false` turns a part off; anything else (an override or nothing) turns it on. */
const part = <A>(o: Record<string, unknown>, option: string, make: (value: unknown) => A): A | undefined =>
  o[option] === false ? undefined : make(o[option])

const merged = (option: string, defaults: Record<string, unknown>, value: unknown): Record<string, unknown> => ({
  ...defaults,
  ...validate.optionalObject(option, value)
})

/**
 * Microsoft.Extensions.Http.Resilience's standard handler, each part validated now: bulkhead
 * 1,000 → total timeout 30 s → retry (3 retries, exponential from 2 s, full jitter, Retry-After)
 * or hedging (2 s, 1 hedge) → a circuit breaker per origin (failure rate 10 % over 30 s, at least
 * 100 calls, break 5 s) → attempt timeout 10 s.
 */
const validatePreset = (input: unknown, hedged: boolean) => {
  const o = validate.optionalObject("options", input)
  const combinator = (f: unknown) => f as Combinator
  const concurrency = part(o, "concurrency", (value) => {
    const options = merged("concurrency", { name: "http", maxConcurrent: 1_000 }, value)
    Bulkhead.make(options as unknown as Bulkhead.Bulkhead.Options) // validates; allocates nothing until run
    return options
  })
  const circuitBreaker = part(o, "circuitBreaker", (value) => {
    const options = merged("circuitBreaker", {
      name: "http",
      trip: CircuitBreaker.failureRate({ threshold: 0.1, minimumCalls: 100, window: { duration: "30 seconds" } }),
      breakDuration: "5 seconds"
    }, value)
    CircuitBreaker.keyed(options as unknown as CircuitBreaker.KeyedCircuitBreaker.Options)
    return options
  })
  const timeout = (name: string, fallback: string) => (value: unknown) =>
    combinator(withTimeout({ duration: value ?? fallback, name }))
  const retry = hedged ? undefined : part(o, "retry", (value) =>
    combinator(retryTransient(merged("retry", {
      schedule: Retry.exponential({ base: "2 seconds", jitter: "full" }),
      times: 3
    }, value))))
  const hedging = hedged
    ? part(o, "hedging", (value) => combinator(withHedging(merged("hedging", { delay: "2 seconds" }, value))))
    : undefined
  return {
    concurrency,
    circuitBreaker,
    totalTimeout: part(o, "totalTimeout", timeout("http-total", "30 seconds")),
    attemptTimeout: part(o, "attemptTimeout", timeout("http-attempt", "10 seconds")),
    resend: retry ?? hedging
  }
}

type Preset = ReturnType<typeof validatePreset>

/** The preset's instances: the registry's, by name, when a `Resilience` registry is provided. */
const instances = (preset: Preset) =>
  Effect.gen(function*() {
    const registry = yield* Effect.serviceOption(Resilience.Resilience)
    let bulkhead: Bulkhead.Bulkhead | undefined
    let breaker: CircuitBreaker.KeyedCircuitBreaker | undefined
    if (preset.concurrency !== undefined) {
      const { name, ...options } = preset.concurrency
      bulkhead = Option.isSome(registry)
        ? yield* registry.value.bulkhead(name as string, options)
        : yield* Bulkhead.make(preset.concurrency as unknown as Bulkhead.Bulkhead.Options)
    }
    if (preset.circuitBreaker !== undefined) {
      const { name, ...options } = preset.circuitBreaker
      breaker = Option.isSome(registry)
        ? yield* registry.value.keyedCircuitBreaker(name as string, options)
        : yield* CircuitBreaker.keyed(preset.circuitBreaker as unknown as CircuitBreaker.KeyedCircuitBreaker.Options)
    }
    return { bulkhead, breaker }
  })

/** Innermost first: attempt timeout, the origin's breaker, retry or hedging, total timeout, bulkhead. */
const build = (preset: Preset) => (client: Client): Effect.Effect<Client, never, Scope.Scope> =>
  Effect.map(instances(preset), ({ breaker, bulkhead }) => {
    let resilient = client
    if (preset.attemptTimeout !== undefined) resilient = preset.attemptTimeout(resilient)
    if (breaker !== undefined) resilient = withCircuitBreaker(resilient, { breaker })
    if (preset.resend !== undefined) resilient = preset.resend(resilient)
    if (preset.totalTimeout !== undefined) resilient = preset.totalTimeout(resilient)
    if (bulkhead !== undefined) resilient = withBulkhead(resilient, { bulkhead })
    return resilient
  })

/** @internal */
export const standard = (options?: unknown) => build(validatePreset(options, false))

/** @internal */
export const standardHedging = (options?: unknown) => build(validatePreset(options, true))

/** @internal */
export const rejection = (error: unknown): Option.Option<ResilienceError.ResilienceError> => {
  if (ResilienceError.isResilienceError(error)) return Option.some(error)
  if (
    HttpClientError.isHttpClientError(error) && error._tag === "RequestError" &&
    ResilienceError.isResilienceError(error.cause)
  ) return Option.some(error.cause)
  return Option.none()
}

/**
 * At the `HttpClient` tag's boundary, which only carries `HttpClientError`, rejections become
 * `RequestError { reason: "Transport", cause: <the rejection> }`.
 */
const asHttpClientErrors = (client: Client): HttpClient.HttpClient =>
  HttpClient.transform(client, (effect, request) =>
    Effect.catchIf(
      effect,
      ResilienceError.isResilienceError,
      (cause) =>
        Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", cause, description: cause.message })
        )
    )) as unknown as HttpClient.HttpClient

/** @internal */
export const layer = (options?: unknown): Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient> => {
  const make = standard(options)
  return Layer.scoped(
    HttpClient.HttpClient,
    Effect.flatMap(HttpClient.HttpClient, (client) => Effect.map(make(client as Client), asHttpClientErrors))
  )
}

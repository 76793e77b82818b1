// A user's TypeScript against the installed @effect-resilience/platform, type-checked under
// moduleResolution NodeNext and Bundler by check-packages.mjs.
import type { CircuitBreaker } from "@effect-resilience/core"
import { ResilientHttpClient } from "@effect-resilience/platform"
import type { HttpClientError } from "@effect/platform"
import { HttpClient } from "@effect/platform"
import type { Layer, Scope } from "effect"
import { Effect } from "effect"

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
const assertType = <T extends true>(_: T) => {}

export const program = Effect.gen(function*() {
  const client = (yield* HttpClient.HttpClient).pipe(ResilientHttpClient.retryTransient({ times: 2 }))
  assertType<Equals<typeof client, HttpClient.HttpClient.With<HttpClientError.HttpClientError, never>>>(true)
  const standard = yield* ResilientHttpClient.standard()(client)
  return yield* standard.get("http://127.0.0.1:8080/stock")
})
assertType<
  Equals<
    Effect.Effect.Context<typeof program>,
    HttpClient.HttpClient | Scope.Scope
  >
>(true)

export const guarded = (breaker: CircuitBreaker.CircuitBreaker) =>
  Effect.map(HttpClient.HttpClient, ResilientHttpClient.withCircuitBreaker({ breaker }))

export const layer = ResilientHttpClient.layer()
assertType<Equals<typeof layer, Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient>>>(true)

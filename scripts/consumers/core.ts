// A user's TypeScript against the installed @effect-resilience/core, type-checked under
// moduleResolution NodeNext and Bundler by check-packages.mjs. The assertions fail if a type
// resolves to `any` (a declaration file that is missing or only resolves in the workspace).
import { Bulkhead, CircuitBreaker, Policy, RateLimiter, ResilienceLive, Retry, Timeout } from "@effect-resilience/core"
import type { Resilience } from "@effect-resilience/core/Resilience"
import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import type { ConfigError, Duration, Layer, Scope } from "effect"
import { Effect } from "effect"

type IsAny<T> = 0 extends 1 & T ? true : false
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
const assertType = <T extends true>(_: T) => {}

assertType<
  Equals<
    typeof ResilienceLive,
    Layer.Layer<Resilience, ConfigError.ConfigError>
  >
>(true)
assertType<
  Equals<ReturnType<typeof CircuitBreaker.make>, Effect.Effect<CircuitBreaker.CircuitBreaker, never, Scope.Scope>>
>(true)
assertType<Equals<CircuitBreaker.CircuitBreakerOpen["retryAfter"], Duration.Duration>>(true)
assertType<Equals<IsAny<RateLimiter.RateLimiter>, false>>(true)

const policy = Policy.wrap(
  Retry.retry({ schedule: Retry.exponential({ base: "10 millis", maxRetries: 3 }) }),
  Timeout.timeout("1 second")
)
const call: Effect.Effect<number, string> = Effect.fail("boom")
const protectedCall = policy(call)
assertType<Equals<typeof protectedCall, Effect.Effect<number, string | Timeout.TimeoutError>>>(true)

const program = Effect.gen(function*() {
  const breaker = yield* CircuitBreaker.make({ trip: CircuitBreaker.consecutive(5) })
  const limiter = yield* RateLimiter.make({ limit: 10, interval: "1 second", onExceeded: "fail" })
  const bulkhead = yield* Bulkhead.make({ maxConcurrent: 4 })
  return yield* call.pipe(breaker.protect, limiter.protect, bulkhead.protect)
})
type ProgramError = Effect.Effect.Error<typeof program>
assertType<
  Equals<ProgramError, string | CircuitBreaker.CircuitBreakerOpen | RateLimiter.RateLimited | Bulkhead.BulkheadRejected>
>(true)

const isPermanent: (error: unknown) => boolean = ResilienceError.isPermanentRejection
export const protectedMain = protectedCall
export const main = program.pipe(Effect.scoped, Effect.provide(ResilienceLive))
export const permanent = isPermanent

// internal modules are not part of the package's API
// @ts-expect-error: "./internal/*" is mapped to null in exports
import("@effect-resilience/core/internal/policy")

// A user's plain-Node program against the installed @effect-resilience/core: ResilienceLive, a
// circuit breaker, a rate limiter and a retry, on the real clock. Run by check-packages.mjs in a
// scratch project where the package comes from its npm tarball.
import { CircuitBreaker, RateLimiter, ResilienceLive, Retry } from "@effect-resilience/core"
import { Effect, Metric } from "effect"
import assert from "node:assert/strict"

const breaker = Effect.gen(function*() {
  const breaker = yield* CircuitBreaker.make({
    name: "payments",
    trip: CircuitBreaker.consecutive(2),
    breakDuration: "1 minute"
  })
  const call = Effect.fail("payment gateway down").pipe(breaker.protect, Effect.either)
  const outcomes = []
  for (let i = 0; i < 3; i++) {
    const result = yield* call
    outcomes.push(result.left?._tag ?? result.left)
  }
  return { outcomes, state: yield* breaker.state }
})

const limiter = Effect.gen(function*() {
  const limiter = yield* RateLimiter.make({
    name: "api",
    algorithm: "fixed-window",
    limit: 2,
    interval: "1 minute",
    onExceeded: "fail"
  })
  const outcomes = []
  for (let i = 0; i < 3; i++) {
    const result = yield* Effect.succeed("ok").pipe(limiter.protect, Effect.either)
    outcomes.push(result._tag === "Right" ? result.right : result.left._tag)
  }
  return { outcomes, available: yield* limiter.available }
})

const retry = Effect.gen(function*() {
  let attempts = 0
  const flaky = Effect.suspend(() =>
    ++attempts < 3 ? Effect.fail(`attempt ${attempts} failed`) : Effect.succeed("done")
  )
  const value = yield* flaky.pipe(
    Retry.retry({ schedule: Retry.exponential({ base: "10 millis", maxRetries: 5 }), name: "flaky" })
  )
  return { value, attempts }
})

const program = Effect.gen(function*() {
  const results = {
    breaker: yield* breaker,
    limiter: yield* limiter,
    retry: yield* retry
  }
  const metrics = (yield* Metric.snapshot)
    .map((pair) => pair.metricKey.name)
    .filter((name) => name.startsWith("resilience_"))
  return { ...results, metrics: [...new Set(metrics)].sort() }
}).pipe(Effect.scoped, Effect.provide(ResilienceLive))

const results = await Effect.runPromise(program)
console.log(JSON.stringify(results, null, 2))

assert.deepEqual(results.breaker, {
  outcomes: ["payment gateway down", "payment gateway down", "CircuitBreakerOpen"],
  state: "Open"
})
assert.deepEqual(results.limiter, { outcomes: ["ok", "ok", "RateLimited"], available: 0 })
assert.deepEqual(results.retry, { value: "done", attempts: 3 })
// ResilienceLive is what makes policies record metrics: it must reach them from the built package
for (
  const name of ["resilience_calls_total", "resilience_retry_attempts_total", "resilience_rate_limiter_decisions_total"]
) {
  assert.ok(results.metrics.includes(name), `${name} recorded under ResilienceLive (got ${results.metrics})`)
}
console.log("core consumer: ok")

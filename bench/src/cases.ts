/**
 * Benchmark cases: each group compares one policy on the success path with its floor and with
 * Effect's built-in equivalent, measured two ways — per call through `Effect.runPromise`, and
 * in-fiber (1,000 calls inside one running Effect, how Effect applications use policies).
 */
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Resilience from "@effect-resilience/core/Resilience"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"

export interface Case {
  readonly name: string
  readonly run: () => Promise<unknown>
}

export interface Group {
  readonly name: string
  /** the case every ratio is computed against */
  readonly floor: string
  readonly cases: ReadonlyArray<Case>
}

const fn = () => Promise.resolve(1)
const call = Effect.promise(fn)

export const IN_FIBER_CALLS = 1000

// Stateful policies live as long as this scope: the whole benchmark process.
const scope = Effect.runSync(Scope.make())
const build = <A>(effect: Effect.Effect<A, never, Scope.Scope>): A => Effect.runSync(Scope.extend(effect, scope))
// The registry's observer, for the rows "with metrics": events have no subscriber, metrics are on.
const observed = Effect.runSync(Layer.buildWithScope(Resilience.layer(), scope))

const breaker = build(CircuitBreaker.make({ name: "bench-breaker" }))
const rateBreaker = build(CircuitBreaker.make({
  name: "bench-breaker-rate",
  trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 100, window: { calls: 100 } })
}))
const bulkhead = build(Bulkhead.make({ name: "bench-bulkhead", maxConcurrent: 100 }))
const queueing = build(Bulkhead.make({ name: "bench-bulkhead-queue", maxConcurrent: 100, maxQueue: Infinity }))
const semaphore = Effect.runSync(Effect.makeSemaphore(100))
const limiter = (algorithm: RateLimiter.Algorithm) =>
  build(RateLimiter.make({ name: `bench-${algorithm}`, algorithm, limit: 1e12, interval: "1 second" }))
const tokenBucket = limiter("token-bucket")
const fixedWindow = limiter("fixed-window")
const slidingWindow = build(
  RateLimiter.make({ name: "bench-sliding", algorithm: "sliding-window", limit: 2000, interval: "1 millis" })
)
const observedBulkhead = build(
  Effect.provide(Bulkhead.make({ name: "bench-bulkhead-metrics", maxConcurrent: 100 }), observed)
)
const observedBreaker = build(Effect.provide(CircuitBreaker.make({ name: "bench-breaker-metrics" }), observed))

const inFiber = (effect: Effect.Effect<unknown, unknown>): () => Promise<unknown> => {
  const loop = Effect.repeatN(effect, IN_FIBER_CALLS - 1)
  return () => Effect.runPromise(loop)
}

const waitABit = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
const concurrent = (
  wrap: (self: Effect.Effect<void>) => Effect.Effect<void, unknown>,
  calls = 10_000
): () => Promise<unknown> => {
  const all = Effect.forEach(Array.from({ length: calls }), () => wrap(waitABit), {
    concurrency: "unbounded",
    discard: true
  })
  return () => Effect.runPromise(all)
}

const perCall = (effect: Effect.Effect<unknown, unknown>): () => Promise<unknown> => () => Effect.runPromise(effect)

const retryOurs = call.pipe(Retry.retry({ schedule: Retry.exponential({ base: "10 millis", maxRetries: 3 }) }))
const retryEffect = call.pipe(
  Effect.retry(Schedule.exponential("10 millis").pipe(Schedule.intersect(Schedule.recurs(3))))
)
const timeoutOurs = call.pipe(Timeout.timeout("1 second"))
const timeoutEffect = call.pipe(Effect.timeout("1 second"))
const forkJoin = Effect.flatMap(Effect.fork(call), (fiber) => fiber.await)

export const groups: ReadonlyArray<Group> = [
  {
    name: "floors (per call)",
    floor: "Effect.runPromise(Effect.promise(fn))",
    cases: [
      { name: "await fn()", run: fn },
      { name: "Effect.runPromise(Effect.promise(fn))", run: perCall(call) }
    ]
  },
  {
    name: `retry, success path (in-fiber, ${IN_FIBER_CALLS} calls)`,
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", run: inFiber(call) },
      { name: "Retry.retry (ours)", run: inFiber(retryOurs) },
      { name: "Effect.retry", run: inFiber(retryEffect) }
    ]
  },
  {
    name: `circuit breaker, success path (in-fiber, ${IN_FIBER_CALLS} calls)`,
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", run: inFiber(call) },
      { name: "CircuitBreaker consecutive (ours)", run: inFiber(breaker.protect(call)) },
      { name: "CircuitBreaker failureRate 100 calls (ours)", run: inFiber(rateBreaker.protect(call)) },
      { name: "CircuitBreaker with metrics (ours)", run: inFiber(observedBreaker.protect(call)) }
    ]
  },
  {
    name: `bulkhead, success path (in-fiber, ${IN_FIBER_CALLS} calls)`,
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", run: inFiber(call) },
      { name: "Bulkhead (ours)", run: inFiber(bulkhead.protect(call)) },
      { name: "Bulkhead with metrics (ours)", run: inFiber(observedBulkhead.protect(call)) },
      { name: "Semaphore.withPermits(1)", run: inFiber(semaphore.withPermits(1)(call)) }
    ]
  },
  {
    name: `rate limiter, admitted (in-fiber, ${IN_FIBER_CALLS} calls)`,
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", run: inFiber(call) },
      { name: "tryAcquire token-bucket (ours)", run: inFiber(tokenBucket.tryAcquire()) },
      { name: "tryAcquire fixed-window (ours)", run: inFiber(fixedWindow.tryAcquire()) },
      { name: "tryAcquire sliding-window (ours)", run: inFiber(slidingWindow.tryAcquire()) },
      { name: "protect token-bucket (ours)", run: inFiber(tokenBucket.protect(call)) }
    ]
  },
  {
    name: "10,000 concurrent calls through a limit of 100 (per run)",
    floor: "unbounded",
    cases: [
      { name: "unbounded", run: concurrent((e) => e) },
      { name: "Bulkhead maxConcurrent 100 (ours)", run: concurrent(queueing.protect) },
      { name: "Semaphore(100).withPermits(1), 1,000 calls", run: concurrent(semaphore.withPermits(1), 1000) }
    ]
  },
  {
    name: `timeout, success path (in-fiber, ${IN_FIBER_CALLS} calls)`,
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", run: inFiber(call) },
      { name: "fork + join", run: inFiber(forkJoin) },
      { name: "Timeout.timeout (ours)", run: inFiber(timeoutOurs) },
      { name: "Effect.timeout", run: inFiber(timeoutEffect) }
    ]
  }
]

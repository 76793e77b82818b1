/**
 * RateLimiter: at most `limit` permits per `interval` (token bucket, fixed window or sliding
 * window); callers wait in FIFO order or are rejected at once with `RateLimited`; one limiter
 * per key with `RateLimiter.keyed`.
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Timeline from "../timeline.js"

const show = (error: RateLimiter.RateLimited) =>
  `RateLimited(${error.key === undefined ? "" : `key "${error.key}", `}retryAfter ${
    Math.round(Duration.toMillis(error.retryAfter))
  }ms, limit ${error.limit}, remaining ${error.remaining})`

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make

  const permitsText = (permits: number) => `${permits} permit${permits === 1 ? "" : "s"}`

  /** Arrives after `arrival` ms, asks for `permits`, and reports how it went. */
  const request = (limiter: RateLimiter.RateLimiter, label: string, arrival: number, permits = 1) =>
    Effect.gen(function*() {
      yield* Effect.sleep(arrival)
      const arrived = yield* timeline.elapsed
      yield* limiter.acquire(permits).pipe(
        Effect.zipRight(timeline.elapsed),
        Effect.flatMap((now) =>
          timeline.log(
            now - arrived < 5
              ? `${label} ▶ admitted (${permitsText(permits)})`
              : `${label} ▶ admitted after waiting ${Math.round(now - arrived)}ms (${permitsText(permits)})`
          )
        ),
        Effect.catchTag("RateLimited", (error) => timeline.log(`${label} ✗ ${show(error)}`))
      )
    })

  /** Like `request`, but on `RateLimited` sleeps `retryAfter` and tries once more. */
  const politely = (limiter: RateLimiter.RateLimiter, label: string) =>
    limiter.acquire().pipe(
      Effect.zipRight(timeline.log(`${label} ▶ admitted`)),
      Effect.catchTag("RateLimited", (error) =>
        timeline.log(`${label} ✗ ${show(error)}, retrying then`).pipe(
          Effect.zipRight(Effect.sleep(error.retryAfter)),
          Effect.zipRight(limiter.acquire()),
          Effect.zipRight(timeline.log(`${label} ▶ admitted on retry`)),
          Effect.catchTag("RateLimited", (error) => timeline.log(`${label} ✗ ${show(error)} again`))
        ))
    )

  const all = (effects: ReadonlyArray<Effect.Effect<void>>) =>
    Effect.all(effects, { concurrency: "unbounded", discard: true })

  yield* Console.log("1. token bucket, 10 per second, burst 3: six requests at once wait their turn (FIFO)")
  yield* Effect.scoped(Effect.gen(function*() {
    const limiter = yield* RateLimiter.make({ name: "api", limit: 10, interval: "1 second", burst: 3 })
    yield* all([1, 2, 3, 4, 5, 6].map((n) => request(limiter, `req ${n}`, 0)))
  }))

  yield* Console.log("\n2. fixed window, 3 per 250ms, onExceeded \"fail\": rejected at once with retryAfter")
  yield* Effect.scoped(Effect.gen(function*() {
    const limiter = yield* RateLimiter.make({
      name: "search",
      algorithm: "fixed-window",
      limit: 3,
      interval: "250 millis",
      onExceeded: "fail"
    })
    yield* all([1, 2, 3, 4, 5].map((n) => politely(limiter, `req ${n}`)))
  }))

  yield* Console.log(
    "\n3. sliding window, 4 per 400ms, maxWait 350ms: a large request is not overtaken; later ones would wait too long"
  )
  yield* Effect.scoped(Effect.gen(function*() {
    const limiter = yield* RateLimiter.make({
      name: "exports",
      algorithm: "sliding-window",
      limit: 4,
      interval: "400 millis",
      maxWait: "350 millis"
    })
    yield* all([
      request(limiter, "small a", 0, 1),
      request(limiter, "small b", 0, 2),
      request(limiter, "large", 100, 4),
      request(limiter, "small c", 150, 1),
      request(limiter, "small d", 200, 1)
    ])
  }))

  yield* Console.log("\n4. keyed, 2 per second per tenant, tryAcquire: one tenant's flood does not touch another")
  yield* Effect.scoped(Effect.gen(function*() {
    const perTenant = yield* RateLimiter.keyed({ name: "tenants", limit: 2, interval: "1 second", maxKeys: 1_000 })
    for (const tenant of ["acme", "acme", "acme", "globex"]) {
      const admitted = yield* perTenant.tryAcquire(tenant)
      yield* timeline.log(`${tenant} tryAcquire → ${admitted ? "admitted" : "rejected"}`)
    }
    yield* perTenant.acquire("acme").pipe(
      Effect.zipRight(perTenant.size),
      Effect.flatMap((size) => timeline.log(`acme ▶ admitted by acquire, after waiting; tenants held: ${size}`)),
      Effect.catchTag("RateLimited", (error) => timeline.log(`acme ✗ ${show(error)}`))
    )
  }))
})

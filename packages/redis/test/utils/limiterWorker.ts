/**
 * One "process" of the multi-process test. Connects, warms up (scripts loaded), prints
 * `ready`, waits for a line on stdin, then for each algorithm takes permits from a shared
 * limiter as fast as it can for a while, and prints each admission's real-time bounds (before
 * and after the call) as JSON. Usage: `node --conditions=@effect-resilience/source --import tsx limiterWorker.ts <url> <millis>`.
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import * as Effect from "effect/Effect"

const [url, millis] = process.argv.slice(2)
const algorithms: ReadonlyArray<RateLimiter.Algorithm> = ["fixed-window", "sliding-window", "token-bucket"]

const go = Effect.async<void>((resume) => {
  process.stdin.once("data", () => resume(Effect.void))
})

const program = Effect.gen(function*() {
  // an outage would decide locally and break the bound: here Redis must answer
  const redis = yield* RedisStore.make({ prefix: "processes:", commandTimeout: "30 seconds" })
  const limiters = yield* Effect.forEach(algorithms, (algorithm) =>
    RateLimiter.make({
      name: "shared",
      algorithm,
      limit: 25,
      interval: "250 millis",
      onExceeded: "fail",
      store: redis.rateLimiter
    }))
  const warmUp = yield* RateLimiter.make({
    name: "warm-up",
    limit: 1_000,
    interval: "1 second",
    store: redis.rateLimiter
  })
  yield* warmUp.tryAcquire()
  process.stdout.write("ready\n")
  yield* go
  const results: Record<string, { admissions: Array<readonly [number, number]>; denied: number }> = {}
  for (let i = 0; i < algorithms.length; i++) {
    const admissions: Array<readonly [number, number]> = []
    let denied = 0
    const end = Date.now() + Number(millis)
    while (Date.now() < end) {
      const before = Date.now()
      const ok = yield* limiters[i].tryAcquire()
      if (ok) admissions.push([before, Date.now()])
      else denied++
    }
    results[algorithms[i]] = { admissions, denied }
  }
  return results
}).pipe(Effect.scoped, Effect.provide(RedisClient.layerNodeRedis({ url })))

Effect.runPromise(program).then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n")
    process.exit(0)
  },
  (error) => {
    process.stderr.write(String(error))
    process.exit(1)
  }
)

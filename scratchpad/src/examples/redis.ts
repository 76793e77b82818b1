/**
 * Sharing state across processes (`@effect-resilience/redis`): two "processes" (two Redis
 * clients, two stores) share a rate limiter and a circuit breaker. Starts its own
 * `redis-server` on a free loopback port, and skips when none is installed.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawnSync } from "node:child_process"
import { startServer } from "../../../packages/redis/test/utils/server.js"

/** A redis-server of our own (the Redis tests' launcher), persistence off, stopped with the scope. */
const redisServer = Effect.acquireRelease(Effect.promise(startServer), (server) => Effect.promise(server.stop))

/**
 * One "process": its own client and store. The client connects in the background; its first
 * commands wait for the connection, within a `commandTimeout` generous enough for a cold start
 * (past it, the store would decide locally until Redis is tried again).
 */
const processStores = (url: string) =>
  Effect.gen(function*() {
    // built in the example's scope: the client lives until the example ends
    const client = yield* Layer.build(RedisClient.layerNodeRedis({ url }))
    return yield* RedisStore.make({ prefix: "example:", commandTimeout: "2 seconds" }).pipe(
      Effect.provideService(RedisClient.RedisClient, Context.get(client, RedisClient.RedisClient))
    )
  })

const shared = Effect.gen(function*() {
  const { url } = yield* redisServer
  const a = yield* processStores(url)
  const b = yield* processStores(url)

  yield* Console.log("A limiter of 5 per minute (fixed window), named \"search\" in both processes:")
  const options = {
    name: "search",
    algorithm: "fixed-window",
    limit: 5,
    interval: "1 minute",
    onExceeded: "fail"
  } as const
  const limiterA = yield* RateLimiter.make({ ...options, store: a.rateLimiter })
  const limiterB = yield* RateLimiter.make({ ...options, store: b.rateLimiter })
  for (let i = 1; i <= 3; i++) {
    yield* Console.log(`  A request ${i}: ${(yield* limiterA.tryAcquire()) ? "admitted" : "refused"}`)
  }
  for (let i = 1; i <= 3; i++) {
    yield* Console.log(`  B request ${i}: ${(yield* limiterB.tryAcquire()) ? "admitted" : "refused"}`)
  }

  yield* Console.log("\nA breaker opening after 2 consecutive failures, named \"payments\" in both:")
  const breakerOptions = { name: "payments", trip: CircuitBreaker.consecutive(2), breakDuration: "30 seconds" } as const
  const breakerA = yield* CircuitBreaker.make({ ...breakerOptions, store: a.circuitBreaker })
  const breakerB = yield* CircuitBreaker.make({ ...breakerOptions, store: b.circuitBreaker })
  for (let i = 1; i <= 2; i++) {
    yield* Effect.exit(breakerA.protect(Effect.fail("payments API down")))
    yield* Console.log(`  A call ${i} failed; A reads ${yield* breakerA.state}`)
  }
  const result = yield* breakerB.protect(Effect.succeed("charged")).pipe(
    Effect.catchTag(
      "CircuitBreakerOpen",
      (e) =>
        Effect.succeed(`CircuitBreakerOpen (${e.state}, retry in ${Math.round(Duration.toSeconds(e.retryAfter))}s)`)
    )
  )
  yield* Console.log(`  B calls: ${result} — B never saw a failure itself`)
})

export const program: Effect.Effect<void> = Effect.suspend(() =>
  spawnSync("sh", ["-c", "command -v redis-server"]).status === 0
    ? Effect.scoped(shared)
    : Console.log(
      "skipped: this example needs redis-server (e.g. `sudo apt-get install redis-server`); it starts its own on a free port"
    )
)

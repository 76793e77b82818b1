/**
 * Decisions per second of the Redis rate limiter store, for each algorithm, with 1 and 64
 * concurrent callers, side by side with rate-limiter-flexible's `RateLimiterRedis` on the same
 * server; and Redis memory per active key. Starts its own `redis-server` on a free loopback
 * port (skips when none is installed). `npm run redis --workspace bench [-- --smoke]`.
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import { Redis } from "ioredis"
import { spawnSync } from "node:child_process"
import { availableParallelism } from "node:os"
import { RateLimiterRedis } from "rate-limiter-flexible"
import { createClient } from "redis"
// the Redis tests' launcher: a redis-server of our own on a free loopback port, persistence off
import { external, startServer } from "../../packages/redis/test/utils/server.js"

const smoke = process.argv.includes("--smoke")
const SECONDS = smoke ? 0.3 : 3

/**
 * Puts the server on the last core and this process on the others, when `taskset` exists and
 * there are two cores or more: on a small machine the scheduler otherwise now and then runs
 * both on one core, and the same cell measured anywhere from half to all of its rate. Both
 * stores, ours and rate-limiter-flexible's, run under the same placement.
 */
const pin = (serverPid: number): string => {
  // a server of the user's (REDIS_URL) is left where it runs
  if (external !== undefined) return "client and server unpinned (REDIS_URL)"
  const cores = availableParallelism()
  if (cores < 2 || spawnSync("sh", ["-c", "command -v taskset"]).status !== 0) return "client and server unpinned"
  const last = String(cores - 1)
  const others = cores === 2 ? "0" : `0-${cores - 2}`
  const server = spawnSync("taskset", ["-a", "-pc", last, String(serverPid)])
  const client = spawnSync("taskset", ["-a", "-pc", others, String(process.pid)])
  return server.status === 0 && client.status === 0
    ? `redis-server on core ${last}, the benchmark on ${others}`
    : "client and server unpinned (taskset failed)"
}

/** Runs `concurrency` loops of `decide` for SECONDS; decisions per second. */
const rate = async (concurrency: number, decide: () => Promise<unknown>): Promise<number> => {
  let count = 0
  const end = performance.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await decide()
      count++
    }
  }))
  return count / SECONDS
}

/** The same, as `concurrency` fibers of one Effect program: how an Effect app calls a limiter. */
const rateEffect = (concurrency: number, decide: Effect.Effect<unknown>): Promise<number> =>
  Effect.runPromise(Effect.gen(function*() {
    let count = 0
    const end = performance.now() + SECONDS * 1000
    const loop = Effect.whileLoop({
      while: () => performance.now() < end,
      body: () => decide,
      step: () => count++
    })
    yield* Effect.forEach(Array.from({ length: concurrency }), () => loop, { concurrency: "unbounded", discard: true })
    return count / SECONDS
  }))

const format = (n: number) => `${Math.round(n).toLocaleString("en-US").padStart(9)}/s`

const main = async () => {
  if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) {
    console.log("redis benchmark skipped: redis-server is not installed")
    return
  }
  const server = await startServer()
  try {
    await measure(server.url)
  } finally {
    await server.stop()
  }
}

const measure = async (url: string) => {
  // without node-redis 6's per-command timer (an AbortSignal.timeout each, 5 s by default), so
  // rate-limiter-flexible runs at its best; our adapter turns it off for the store's commands
  const nodeRedis = createClient({ url, commandOptions: { timeout: 0 } })
  await nodeRedis.connect()
  const ioredis = new Redis(url)
  const scope = Effect.runSync(Scope.make())
  const clients = [
    ["node-redis", RedisClient.fromNodeRedis(nodeRedis)],
    ["ioredis", RedisClient.fromIoredis(ioredis)]
  ] as const
  const info = String(await nodeRedis.sendCommand(["INFO", "server"]))
  const placement = pin(Number(/process_id:(\d+)/.exec(info)?.[1]))
  console.log(
    `Redis rate limiter: decisions per second (${SECONDS} s per cell, loopback, one client connection, ${placement})`
  )
  for (const algorithm of ["token-bucket", "fixed-window", "sliding-window"] as const) {
    for (const [name, client] of clients) {
      const store = Effect.runSync(
        RedisStore.make({ prefix: "bench:", commandTimeout: "1 minute" }).pipe(
          Effect.provideService(RedisClient.RedisClient, client),
          Effect.provideService(Scope.Scope, scope)
        )
      )
      // a limit never reached: every decision runs the whole script
      const limiter = await Effect.runPromise(
        RateLimiter.make({
          name: `${algorithm}-${name}`,
          algorithm,
          limit: algorithm === "sliding-window" ? 100 : 1_000_000_000,
          interval: algorithm === "sliding-window" ? "1 millis" : "1 second",
          onExceeded: "fail",
          store: store.rateLimiter
        }).pipe(Scope.extend(scope))
      )
      const one = await rateEffect(1, limiter.tryAcquire())
      const many = await rateEffect(64, limiter.tryAcquire())
      console.log(`  ${algorithm.padEnd(15)} ${name.padEnd(22)} 1 fiber ${format(one)}   64 fibers ${format(many)}`)
    }
  }
  for (
    const [name, storeClient, extra] of [
      ["node-redis", nodeRedis, { useRedisPackage: true }],
      ["ioredis", ioredis, {}]
    ] as const
  ) {
    const flexible = new RateLimiterRedis({
      storeClient,
      points: 1_000_000_000,
      duration: 1,
      keyPrefix: `rlf-${name}`,
      ...extra
    })
    const decide = () => flexible.consume("key")
    const one = await rate(1, decide)
    const many = await rate(64, decide)
    console.log(
      `  ${"rate-limiter-flexible".padEnd(15)} ${name.padEnd(22)} 1 fiber ${format(one)}   64 fibers ${format(many)}`
    )
  }

  console.log("Redis memory per active key (MEMORY USAGE), limit 100:")
  for (const algorithm of ["token-bucket", "fixed-window", "sliding-window"] as const) {
    const limiter = await Effect.runPromise(
      RateLimiter.make({
        name: "memory",
        algorithm,
        limit: 100,
        interval: "1 minute",
        onExceeded: "fail",
        store: Effect.runSync(
          RedisStore.make({ prefix: "mem:" }).pipe(
            Effect.provideService(RedisClient.RedisClient, clients[0][1]),
            Effect.provideService(Scope.Scope, scope)
          )
        ).rateLimiter
      }).pipe(Scope.extend(scope))
    )
    await Effect.runPromise(limiter.tryAcquire())
    const one = await nodeRedis.sendCommand(["MEMORY", "USAGE", `mem:limiter:${algorithm}:memory:`])
    for (let i = 0; i < 99; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      await Effect.runPromise(limiter.tryAcquire())
    }
    const full = await nodeRedis.sendCommand(["MEMORY", "USAGE", `mem:limiter:${algorithm}:memory:`])
    console.log(`  ${algorithm.padEnd(15)} after 1 admission ${one} bytes, after 100 ${full} bytes`)
  }
  await Effect.runPromise(Scope.close(scope, Effect.void as never))
  await nodeRedis.close()
  ioredis.disconnect()
}

await main()

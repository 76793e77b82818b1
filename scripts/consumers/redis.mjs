// A user's plain-Node program against the installed @effect-resilience/redis (core as its peer,
// node-redis as the optional peer it uses): two limiters in "two processes" share one limit on a
// redis-server of its own on a free loopback port.
import { RateLimiter } from "@effect-resilience/core"
import { RedisClient, RedisStore } from "@effect-resilience/redis"
import { Effect } from "effect"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import net from "node:net"

const port = await new Promise((resolve) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address()
    server.close(() => resolve(port))
  })
})
const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
await new Promise((resolve, reject) => {
  redis.stdout.on("data", (chunk) => String(chunk).includes("Ready to accept connections") && resolve())
  redis.once("error", reject)
})

const limiter = Effect.gen(function*() {
  const store = yield* RedisStore.make({ commandTimeout: "1 second" })
  return yield* RateLimiter.make({
    name: "consumer",
    limit: 3,
    interval: "1 minute",
    onExceeded: "fail",
    store: store.rateLimiter
  })
})

const program = Effect.gen(function*() {
  const a = yield* limiter
  const b = yield* limiter
  const admitted = []
  for (const l of [a, b, a, b, a]) admitted.push(yield* l.tryAcquire())
  return admitted
}).pipe(
  Effect.scoped,
  Effect.provide(RedisClient.layerNodeRedis({ url: `redis://127.0.0.1:${port}` }))
)

try {
  const admitted = await Effect.runPromise(program)
  console.log(admitted)
  assert.deepEqual(admitted, [true, true, true, false, false], "one limit of 3 shared by both limiters")
  console.log("redis consumer: ok")
} finally {
  redis.kill("SIGKILL")
}

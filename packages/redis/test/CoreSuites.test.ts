/**
 * The core's rate limiter suites, as the memory store runs them, on the Redis store over each
 * client (time "app", so the TestClock's `now` goes into the scripts). The harness waits for
 * the store's round trips before the tests look, and moves the TestClock one scheduled sleep at
 * a time (see the core's `test/suites/harness.ts`).
 */
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import { afterAll, beforeAll, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { ioHarness } from "../../core/test/suites/harness.js"
import { rateLimiterSuite } from "../../core/test/suites/rateLimiter.js"
import { rateLimiterDecideSuite } from "../../core/test/suites/rateLimiterDecide.js"
import { rateLimiterKeyedSuite } from "../../core/test/suites/rateLimiterKeyed.js"
import { type Clients, connect, names } from "./utils/clients.js"
import { type RedisServer, startServer } from "./utils/server.js"

let server: RedisServer
let clients: Clients
const scope = Effect.runSync(Scope.make())

beforeAll(async () => {
  server = await startServer()
  clients = await connect(server.url)
})

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await clients?.close()
  await server?.stop()
})

let instances = 0

const redisStore = (client: RedisClient.RedisClient): RedisStore.RedisStore =>
  Effect.runSync(
    RedisStore.make({ prefix: "suites:", time: "app", commandTimeout: "1 minute" }).pipe(
      Effect.provideService(RedisClient.RedisClient, client),
      Effect.provideService(Scope.Scope, scope)
    )
  )

/** Each limiter the suites make gets state of its own on Redis, as on the memory store. */
const fresh = (store: RateLimiter.RateLimiterStore): RateLimiter.RateLimiterStore => ({
  open: (spec) => store.open({ ...spec, name: `${spec.name}-${++instances}`, generatedName: false })
})

/**
 * The store keeps a key a keyed limiter evicts until it expires (another process may be using
 * it), and the load test runs a tenth of its callers: see the suites for both.
 */
const harness = (name: typeof names[number]) =>
  ioHarness(() => fresh(redisStore(clients.get(name)).rateLimiter), { forgetsEvictedKeys: false, scale: 0.1 })

describe.each(names)("RateLimiter (redis, %s store)", (name) => rateLimiterSuite(harness(name)))

describe.each(names)("RateLimiter.decide (redis, %s store)", (name) => rateLimiterDecideSuite(harness(name)))

describe.each(names)("RateLimiter.keyed (redis, %s store)", (name) => rateLimiterKeyedSuite(harness(name)))

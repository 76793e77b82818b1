/**
 * A test file's Redis: a server of its own and the clients on it (started before the file's
 * tests, stopped after them), and stores on those clients in a scope closed with the file.
 */
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import { afterAll, beforeAll } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type Clients, connect, type Name } from "./clients.js"
import { type RedisServer, startServer } from "./server.js"

export interface Fixture {
  readonly client: (name: Name) => RedisClient.RedisClient
  /** a store on `client`: `time: "app"` (TestClock) and a 1-minute `commandTimeout`, then `defaults`, then `options` */
  readonly store: (client: RedisClient.RedisClient, options?: RedisStore.Options) => RedisStore.RedisStore
}

export const useRedis = (defaults: RedisStore.Options = {}): Fixture => {
  let server: RedisServer | undefined
  let clients: Clients | undefined
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
  return {
    client: (name) => clients!.get(name),
    store: (client, options = {}) =>
      Effect.runSync(
        RedisStore.make({ time: "app", commandTimeout: "1 minute", ...defaults, ...options }).pipe(
          Effect.provideService(RedisClient.RedisClient, client),
          Effect.provideService(Scope.Scope, scope)
        )
      )
  }
}

let instances = 0

/** Each limiter made on `store` gets state of its own on Redis, as on the memory store. */
export const fresh = (store: RateLimiter.RateLimiterStore): RateLimiter.RateLimiterStore => ({
  open: (spec) => store.open({ ...spec, name: `${spec.name}-${++instances}`, generatedName: false })
})

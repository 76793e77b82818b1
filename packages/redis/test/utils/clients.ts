/**
 * The clients every suite runs against, all real, on loopback: node-redis and ioredis through
 * their adapters, and a `RedisClient` written as a user would write one (only `send`, over a
 * node-redis connection), which the stores run in a fiber of its own.
 */
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as Effect from "effect/Effect"
import { Redis } from "ioredis"
import { createClient } from "redis"

/** The names of the clients, for `describe.each` (the clients connect later, in `beforeAll`). */
export const names = ["node-redis", "ioredis", "own client"] as const

export type Name = typeof names[number]

export interface Clients {
  readonly get: (name: Name) => RedisClient.RedisClient
  readonly close: () => Promise<void>
}

export const connect = async (url: string): Promise<Clients> => {
  const nodeRedis = createClient({ url, disableOfflineQueue: true })
  await nodeRedis.connect()
  const ioredis = new Redis(url, { maxRetriesPerRequest: 1 })
  const own = createClient({ url, disableOfflineQueue: true })
  own.on("error", () => {})
  await own.connect()
  const ownClient: RedisClient.RedisClient = {
    send: (command) =>
      Effect.tryPromise({
        try: () => own.sendCommand([...command]),
        catch: (cause) => new RedisClient.RedisError({ message: String(cause), cause })
      })
  }
  const byName: Record<Name, RedisClient.RedisClient> = {
    "node-redis": RedisClient.fromNodeRedis(nodeRedis),
    "ioredis": RedisClient.fromIoredis(ioredis),
    "own client": ownClient
  }
  return {
    get: (name) => byName[name],
    close: async () => {
      await nodeRedis.close()
      await own.close()
      ioredis.disconnect()
    }
  }
}

/** The clients every suite runs against: node-redis and ioredis, both real, on loopback. */
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import { Redis } from "ioredis"
import { createClient } from "redis"

export interface Clients {
  readonly list: ReadonlyArray<readonly [name: string, client: RedisClient.RedisClient]>
  readonly close: () => Promise<void>
}

export const connect = async (url: string): Promise<Clients> => {
  const nodeRedis = createClient({ url, disableOfflineQueue: true })
  await nodeRedis.connect()
  const ioredis = new Redis(url, { maxRetriesPerRequest: 1 })
  return {
    list: [
      ["node-redis", RedisClient.fromNodeRedis(nodeRedis)],
      ["ioredis", RedisClient.fromIoredis(ioredis)]
    ],
    close: async () => {
      await nodeRedis.close()
      ioredis.disconnect()
    }
  }
}

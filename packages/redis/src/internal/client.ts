/**
 * The adapters behind `RedisClient`: each turns a client library's promise-returning command
 * call into `send`, and attaches an `"error"` listener so a lost connection never crashes the
 * process (the stores see the failed commands and handle the outage).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as RedisClient from "../RedisClient.js"
import { RedisClient as RedisClientTag, RedisError } from "../RedisClient.js"

const toRedisError = (cause: unknown): RedisError =>
  new RedisError({ message: cause instanceof Error ? cause.message : String(cause), cause })

const ignore = (): void => {}

/** @internal */
export const fromNodeRedis = (client: RedisClient.NodeRedisLike): RedisClient.RedisClient => {
  client.on("error", ignore)
  return {
    send: (command) =>
      Effect.tryPromise({ try: () => client.sendCommand(command as Array<string>), catch: toRedisError })
  }
}

/** @internal */
export const fromIoredis = (client: RedisClient.IoredisLike): RedisClient.RedisClient => {
  client.on("error", ignore)
  return {
    send: ([name, ...args]) => Effect.tryPromise({ try: () => client.call(name, ...args), catch: toRedisError })
  }
}

/** @internal */
export const layerNodeRedis = (options: RedisClient.NodeRedisOptions): Layer.Layer<RedisClient.RedisClient> =>
  Layer.scoped(
    RedisClientTag,
    Effect.gen(function*() {
      // imported here, not at the top: ioredis users need not install node-redis
      const { createClient } = yield* Effect.promise(() => import("redis"))
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => {
          // commands sent before the connection is up wait for it (each bounded by the
          // store's commandTimeout), so a process starting up does not begin in an outage
          const client = createClient(options)
          client.on("error", ignore)
          // in the background: a server that is down at start-up is an outage like any other
          client.connect().catch(ignore)
          return client
        }),
        (client) =>
          Effect.promise(() => client.isOpen ? client.close().catch(ignore) : Promise.resolve(client.destroy()))
      )
      return fromNodeRedis(client)
    })
  )

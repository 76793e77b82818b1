/**
 * The one thing the Redis stores need from a Redis client: send a command, get its reply. Two
 * adapters: node-redis (`redis`, the default) and ioredis. Both libraries are optional peer
 * dependencies: install the one you use.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { RedisClientOptions } from "redis"
import * as internal from "./internal/client.js"

/**
 * A command failed: the connection is down, the server answered with an error, or the client
 * refused it. The stores never let it reach a caller: they answer by `onUnavailable` instead.
 *
 * @since 0.1.0
 * @category errors
 */
export class RedisError extends Data.TaggedError("RedisError")<{
  readonly message: string
  readonly cause: unknown
}> {}

/**
 * A Redis connection as the stores use it. `send` sends one command (`["EVALSHA", sha, ...]`)
 * and succeeds with the reply as the client decodes it (strings, numbers, arrays, `null`);
 * concurrent commands are pipelined by the client.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisClient {
  readonly send: (command: ReadonlyArray<string>) => Effect.Effect<unknown, RedisError>
}

/**
 * The `RedisClient` service.
 *
 * @since 0.1.0
 * @category tags
 */
export const RedisClient: Context.Tag<RedisClient, RedisClient> = Context.GenericTag<RedisClient>(
  "@effect-resilience/redis/RedisClient"
)

/**
 * What `fromNodeRedis` needs of a node-redis client (`createClient()` from `redis` 5.x/6.x;
 * prefer 6: a 5.9.0 client was seen to stop answering after a server restart).
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeRedisLike {
  readonly sendCommand: (args: Array<string>, options: { readonly timeout: number }) => Promise<unknown>
  readonly on: (event: "error", listener: (error: unknown) => void) => unknown
}

/**
 * What `fromIoredis` needs of an ioredis client (`new Redis()` from `ioredis` 5.x/6.x).
 *
 * @since 0.1.0
 * @category models
 */
export interface IoredisLike {
  readonly call: (command: string, ...args: Array<string>) => Promise<unknown>
  readonly on: (event: "error", listener: (error: unknown) => void) => unknown
}

/**
 * Wraps a node-redis client that you own (connect it, and close it when you are done). Adds an
 * `"error"` listener, so a connection error never crashes the process. Commands sent through it
 * carry no node-redis timeout (`{ timeout: 0 }`): the stores bound each by their
 * `commandTimeout`, and a command they give up on stays in the client's queue until its reply
 * comes or the connection closes.
 *
 * @example
 * ```ts
 * import { createClient } from "redis"
 * import { RedisClient } from "@effect-resilience/redis"
 *
 * const client = createClient({ url: "redis://127.0.0.1:6379" })
 * const redis = RedisClient.fromNodeRedis(client)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromNodeRedis: (client: NodeRedisLike) => RedisClient = internal.fromNodeRedis

/**
 * Wraps an ioredis client that you own (close it when you are done). Adds an `"error"`
 * listener, so a connection error never crashes the process.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis"
 * import { RedisClient } from "@effect-resilience/redis"
 *
 * const client = new Redis("redis://127.0.0.1:6379", { lazyConnect: true })
 * const redis = RedisClient.fromIoredis(client)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromIoredis: (client: IoredisLike) => RedisClient = internal.fromIoredis

/**
 * Options of `layerNodeRedis`: node-redis's client options with a `url`.
 *
 * @since 0.1.0
 * @category models
 */
export type NodeRedisOptions = RedisClientOptions & { readonly url: string }

/**
 * Creates and owns a node-redis client. It connects in the background and never fails the
 * layer: Redis being down at start-up is an outage like any other, which the stores survive.
 * The client is closed when the layer's scope closes. Commands sent while it is disconnected
 * wait in node-redis's offline queue, each bounded by the store's `commandTimeout`.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { RedisClient, RedisStore } from "@effect-resilience/redis"
 *
 * const Live = RedisStore.layer({ prefix: "myapp:" }).pipe(
 *   Layer.provide(RedisClient.layerNodeRedis({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNodeRedis: (options: NodeRedisOptions) => Layer.Layer<RedisClient> = internal.layerNodeRedis

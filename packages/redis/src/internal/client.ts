/**
 * The adapters behind `RedisClient`: each turns a client library's promise-returning command
 * call into `send`, and attaches an `"error"` listener so a lost connection never crashes the
 * process (the stores see the failed commands and handle the outage).
 *
 * The stores do not go through `send` for the adapters' clients: they start the library's
 * promise directly (`starter`), which saves a fiber per command. A `RedisClient` written by a
 * user has only `send`, which the stores run in a fiber of its own.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as RedisClient from "../RedisClient.js"
import { RedisClient as RedisClientTag, RedisError } from "../RedisClient.js"

const toRedisError = (cause: unknown): RedisError =>
  new RedisError({ message: cause instanceof Error ? cause.message : String(cause), cause })

const ignore = (): void => {}

const withoutTimeout = { timeout: 0 } as const

type Send = (command: ReadonlyArray<string>) => Promise<unknown>

/** The promise-returning command call of each adapter's client. */
const promiseSenders = new WeakMap<RedisClient.RedisClient, Send>()

const adapt = (send: Send): RedisClient.RedisClient => {
  const client: RedisClient.RedisClient = {
    send: (command) => Effect.tryPromise({ try: () => send(command), catch: toRedisError })
  }
  promiseSenders.set(client, send)
  return client
}

/**
 * Starts `command` and calls `done` once with its outcome, unless the returned function (which
 * abandons the command: a command already sent may still run in Redis) is called first.
 *
 * @internal
 */
export type Start = (
  command: ReadonlyArray<string>,
  done: (exit: Exit.Exit<unknown, RedisError>) => void
) => () => void

/** @internal */
export const starter = (client: RedisClient.RedisClient): Start => {
  const send = promiseSenders.get(client)
  if (send === undefined) {
    return (command, done) => Effect.runCallback(client.send(command), { onExit: done })
  }
  return (command, done) => {
    send(command).then(
      (reply) => done(Exit.succeed(reply)),
      (cause) => done(Exit.fail(toRedisError(cause)))
    )
    // a promise cannot be cancelled: the caller stops listening instead
    return ignore
  }
}

/** @internal */
export const fromNodeRedis = (client: RedisClient.NodeRedisLike): RedisClient.RedisClient => {
  client.on("error", ignore)
  // node-redis 6 arms a timer per command (5 s by default), which halved the decisions per
  // second; the stores bound every command by `commandTimeout` themselves
  return adapt((command) => client.sendCommand(command as Array<string>, withoutTimeout))
}

/** @internal */
export const fromIoredis = (client: RedisClient.IoredisLike): RedisClient.RedisClient => {
  client.on("error", ignore)
  return adapt(([name, ...args]) => client.call(name, ...args))
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

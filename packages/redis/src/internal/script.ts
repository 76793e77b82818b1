/**
 * Lua scripts run with `EVALSHA`: one round trip per decision. A script is loaded by the first
 * `EVAL` that finds it missing (`NOSCRIPT`: a restarted or flushed server), after which the
 * server keeps it in its cache.
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import type * as RedisClient from "../RedisClient.js"

/** @internal */
export interface Script {
  readonly name: string
  readonly source: string
  readonly sha1: string
}

/** @internal */
export const make = (name: string, source: string): Script => ({
  name,
  source,
  sha1: createHash("sha1").update(source).digest("hex")
})

const isNoScript = (error: RedisClient.RedisError): boolean => error.message.startsWith("NOSCRIPT")

/**
 * Runs `script` on `keys` and `args`: `EVALSHA`, and `EVAL` (which loads it) when the server
 * does not know it.
 *
 * @internal
 */
export const run = (
  client: RedisClient.RedisClient,
  script: Script,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string>
): Effect.Effect<unknown, RedisClient.RedisError> => {
  const tail = [String(keys.length), ...keys, ...args]
  return Effect.catchIf(
    client.send(["EVALSHA", script.sha1, ...tail]),
    isNoScript,
    () => client.send(["EVAL", script.source, ...tail])
  )
}

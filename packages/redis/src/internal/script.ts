/**
 * Lua scripts run with `EVALSHA`: one round trip per decision. A script is loaded by the first
 * `EVAL` that finds it missing (`NOSCRIPT`: a restarted or flushed server), after which the
 * server keeps it in its cache.
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { createHash } from "node:crypto"
import type * as RedisClient from "../RedisClient.js"
import type { Start } from "./client.js"

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

/** The server does not know the script: its reply starts `NOSCRIPT` (a client may prefix it). */
const isNoScript = (exit: Exit.Exit<unknown, RedisClient.RedisError>): boolean =>
  Exit.isFailure(exit) &&
  Option.exists(Cause.failureOption(exit.cause), (error) => /\bNOSCRIPT\b/.test(error.message))

/**
 * Starts `EVALSHA` of `script` on `keys` and `args`, and `EVAL` (which loads the script) when
 * the server does not know it. Calls `done` once, unless the returned function abandons it first.
 *
 * @internal
 */
export const start = (
  send: Start,
  script: Script,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string>,
  done: (exit: Exit.Exit<unknown, RedisClient.RedisError>) => void
): () => void => {
  const tail = [String(keys.length)].concat(keys, args)
  let abandoned = false
  let cancel = send(["EVALSHA", script.sha1].concat(tail), (exit) => {
    if (abandoned) return
    if (isNoScript(exit)) cancel = send(["EVAL", script.source].concat(tail), done)
    else done(exit)
  })
  return () => {
    abandoned = true
    cancel()
  }
}

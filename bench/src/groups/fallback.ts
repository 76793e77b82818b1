/**
 * Fallback on the success path: ours, `Effect.catchAll` and cockatiel's `fallback`.
 */
import * as Fallback from "@effect-resilience/core/Fallback"
import { fallback, handleAll } from "cockatiel"
import * as Effect from "effect/Effect"
import { call, fn, type Group, inFiber, perCall, TARGET_ROUNDS } from "../harness.js"

export const fallbackOurs = Fallback.fallback({ to: () => Effect.succeed(0) })
const ours = call.pipe(fallbackOurs)
const effect = call.pipe(Effect.catchAll(() => Effect.succeed(0)))
const cockatiel = fallback(handleAll, 0)

export const groups: ReadonlyArray<Group> = [
  {
    id: "fallback",
    title: "Fallback, success path, per call",
    mode: "runPromise",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: perCall(call) },
      { name: "Fallback.fallback (ours)", kind: "ours", run: perCall(ours) },
      { name: "Effect.catchAll", kind: "effect", run: perCall(effect) },
      { name: "cockatiel fallback", kind: "peer", run: () => cockatiel.execute(fn) }
    ]
  },
  {
    id: "fallback-fiber",
    rounds: TARGET_ROUNDS,
    title: "Fallback, success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      { name: "Fallback.fallback (ours)", kind: "ours", run: inFiber(ours) },
      { name: "Effect.catchAll", kind: "effect", run: inFiber(effect) }
    ]
  }
]

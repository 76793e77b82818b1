/**
 * The floors: what a call costs with no policy at all, awaited directly, through
 * `Effect.runPromise`, and inside a running fiber.
 */
import * as Effect from "effect/Effect"
import { call, fn, type Group, IN_FIBER_CALLS, inFiber } from "../harness.js"

export const groups: ReadonlyArray<Group> = [
  {
    id: "floors",
    title: "Floors, per call",
    mode: "runPromise",
    floor: "Effect.runPromise(pre-built Effect.promise(fn))",
    cases: [
      { name: "await fn()", kind: "reference", run: fn },
      {
        name: "Effect.runPromise(Effect.promise(fn))",
        kind: "reference",
        run: () => Effect.runPromise(Effect.promise(fn))
      },
      { name: "Effect.runPromise(pre-built Effect.promise(fn))", kind: "floor", run: () => Effect.runPromise(call) }
    ]
  },
  {
    id: "floors-fiber",
    title: `Floor in-fiber (${IN_FIBER_CALLS} calls in one runPromise)`,
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      { name: "Effect.void (no promise)", kind: "reference", run: inFiber(Effect.void) }
    ]
  }
]

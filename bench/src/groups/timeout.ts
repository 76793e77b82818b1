/**
 * Timeouts and hedging on the success path (1 s, never reached): ours against `Effect.timeout`,
 * cockatiel's aggressive `timeout`, and a plain-Effect hedge (`Effect.race` with a delayed copy).
 * One bare `Effect.fork` + `Fiber.join` is the yardstick the targets are measured against.
 */
import * as Hedge from "@effect-resilience/core/Hedge"
import * as Timeout from "@effect-resilience/core/Timeout"
import { timeout, TimeoutStrategy } from "cockatiel"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { call, fn, type Group, inFiber, perCall, settings, TARGET_ROUNDS } from "../harness.js"

export const FORK_JOIN = "Effect.fork + Fiber.join"
export const timeoutOurs = Timeout.timeout(`${settings.timeoutMillis} millis`)
export const hedgeOurs = Hedge.hedge({ delay: `${settings.hedgeDelayMillis} millis`, maxHedges: 1 })
export const cockatielTimeout = () => timeout(settings.timeoutMillis, TimeoutStrategy.Aggressive)

const forkJoin = Effect.flatMap(Effect.fork(call), Fiber.join)
const ours = call.pipe(timeoutOurs)
const effect = call.pipe(Effect.timeout(`${settings.timeoutMillis} millis`))
const hedge = call.pipe(hedgeOurs)
const raceHedge = Effect.race(call, Effect.delay(call, `${settings.hedgeDelayMillis} millis`))
const cockatiel = cockatielTimeout()

const yardsticks = (wrap: (effect: Effect.Effect<unknown, unknown>) => () => unknown) => [
  { name: "Effect.promise(fn)", kind: "floor" as const, run: wrap(call) },
  { name: FORK_JOIN, kind: "reference" as const, run: wrap(forkJoin) }
]

const timeoutRows = (wrap: (effect: Effect.Effect<unknown, unknown>) => () => unknown) => [
  ...yardsticks(wrap),
  { name: "Timeout.timeout (ours)", kind: "ours" as const, run: wrap(ours) },
  { name: "Effect.timeout", kind: "effect" as const, run: wrap(effect) }
]

const hedgeRows = (wrap: (effect: Effect.Effect<unknown, unknown>) => () => unknown) => [
  ...yardsticks(wrap),
  { name: "Hedge.hedge, 1 hedge (ours)", kind: "ours" as const, run: wrap(hedge) },
  { name: "Effect.race(fn, delayed fn)", kind: "effect" as const, run: wrap(raceHedge) }
]

export const groups: ReadonlyArray<Group> = [
  {
    id: "timeout",
    title: "Timeout (1 s), success path, per call",
    mode: "runPromise",
    floor: "Effect.promise(fn)",
    cases: [
      ...timeoutRows(perCall),
      { name: "cockatiel timeout (aggressive)", kind: "peer", run: () => cockatiel.execute(fn) }
    ]
  },
  {
    id: "timeout-fiber",
    rounds: TARGET_ROUNDS,
    title: "Timeout (1 s), success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: timeoutRows(inFiber)
  },
  {
    id: "hedge",
    title: "Hedge (delay 1 s), success path, per call",
    mode: "runPromise",
    floor: "Effect.promise(fn)",
    note: "No peer library hedges; `Effect.race` with a delayed copy is the plain-Effect equivalent.",
    cases: hedgeRows(perCall)
  },
  {
    id: "hedge-fiber",
    rounds: TARGET_ROUNDS,
    title: "Hedge (delay 1 s), success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: hedgeRows(inFiber)
  }
]

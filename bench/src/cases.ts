/**
 * Benchmark cases: each group compares one policy on the success path with its floor and with
 * Effect's built-in equivalent, measured two ways — per call through `Effect.runPromise`, and
 * in-fiber (1,000 calls inside one running Effect, how Effect applications use policies).
 */
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

export interface Case {
  readonly name: string
  readonly run: () => Promise<unknown>
}

export interface Group {
  readonly name: string
  /** the case every ratio is computed against */
  readonly floor: string
  readonly cases: ReadonlyArray<Case>
}

const fn = () => Promise.resolve(1)
const call = Effect.promise(fn)

export const IN_FIBER_CALLS = 1000

const inFiber = (effect: Effect.Effect<unknown, unknown>): () => Promise<unknown> => {
  const loop = Effect.repeatN(effect, IN_FIBER_CALLS - 1)
  return () => Effect.runPromise(loop)
}

const perCall = (effect: Effect.Effect<unknown, unknown>): () => Promise<unknown> => () => Effect.runPromise(effect)

const retryOurs = call.pipe(Retry.retry({ schedule: Retry.exponential({ base: "10 millis", maxRetries: 3 }) }))
const retryEffect = call.pipe(
  Effect.retry(Schedule.exponential("10 millis").pipe(Schedule.intersect(Schedule.recurs(3))))
)
const timeoutOurs = call.pipe(Timeout.timeout("1 second"))
const timeoutEffect = call.pipe(Effect.timeout("1 second"))
const forkJoin = Effect.flatMap(Effect.fork(call), (fiber) => fiber.await)

export const groups: ReadonlyArray<Group> = [
  {
    name: "floors (per call)",
    floor: "Effect.runPromise(Effect.promise(fn))",
    cases: [
      { name: "await fn()", run: fn },
      { name: "Effect.runPromise(Effect.promise(fn))", run: perCall(call) }
    ]
  },
  {
    name: `retry, success path (in-fiber, ${IN_FIBER_CALLS} calls)`,
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", run: inFiber(call) },
      { name: "Retry.retry (ours)", run: inFiber(retryOurs) },
      { name: "Effect.retry", run: inFiber(retryEffect) }
    ]
  },
  {
    name: `timeout, success path (in-fiber, ${IN_FIBER_CALLS} calls)`,
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", run: inFiber(call) },
      { name: "fork + join", run: inFiber(forkJoin) },
      { name: "Timeout.timeout (ours)", run: inFiber(timeoutOurs) },
      { name: "Effect.timeout", run: inFiber(timeoutEffect) }
    ]
  }
]

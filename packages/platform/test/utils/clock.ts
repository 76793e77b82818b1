import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { realSleep } from "./server.js"

/**
 * Runs a forked fiber that does real I/O under `TestClock`: whenever it sleeps on the Clock,
 * moves the clock to its wake-up time (one sleep at a time, so each delay can be observed), and
 * waits a little real time otherwise. Bounded: fails after `maxSteps` real waits.
 */
export const runWithTestClock = <A, E>(
  fiber: Fiber.RuntimeFiber<A, E>,
  maxSteps = 2_500
): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    for (let step = 0; step < maxSteps; step++) {
      const done = yield* Fiber.poll(fiber)
      if (done._tag === "Some") return yield* Fiber.join(fiber)
      const sleeps = yield* TestClock.sleeps()
      const now = yield* TestClock.currentTimeMillis
      let next = Infinity
      for (const at of sleeps) if (at < next) next = at
      if (next !== Infinity) yield* TestClock.adjust(Math.max(0, next - now))
      else yield* realSleep(2)
    }
    return yield* Effect.die(new Error("the fiber did not finish in time"))
  })

/** Waits (in real time, bounded) until some fiber sleeps on the TestClock. */
export const awaitSleeper: Effect.Effect<void> = Effect.gen(function*() {
  for (let step = 0; step < 2_500; step++) {
    if ((yield* TestClock.sleeps()).length > 0) return
    yield* realSleep(2)
  }
  return yield* Effect.die(new Error("nothing slept on the TestClock in time"))
})

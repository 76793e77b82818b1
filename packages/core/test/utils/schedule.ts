import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"

/** Steps a schedule by hand and returns the delays (in millis) before each retry, until it stops. */
export const delaysOf = <Out>(
  schedule: Schedule.Schedule<Out, unknown>,
  retries: number,
  input: unknown = "error"
): Effect.Effect<Array<number>> =>
  Effect.gen(function*() {
    let state = schedule.initial
    // our schedules do not depend on `now`; keeping it at zero keeps the delays exact in floating point
    const now = 0
    const delays: Array<number> = []
    for (let i = 0; i < retries; i++) {
      const [next, , decision] = yield* schedule.step(now, input, state)
      if (ScheduleDecision.isDone(decision)) break
      const start = ScheduleIntervals.start(decision.intervals)
      delays.push(start - now)
      state = next
    }
    return delays
  })

export const seeded = <A, E, R>(seed: number, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withRandom(effect, Random.make(seed))

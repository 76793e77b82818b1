import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

/**
 * Prints lines stamped with the time elapsed since the timeline started, on the Clock:
 * `[+  105ms] attempt 2 ✗ TimeoutError`.
 */
export interface Timeline {
  readonly log: (message: string) => Effect.Effect<void>
  readonly elapsed: Effect.Effect<number>
}

export const stamp = (millis: number): string => `[+${Math.round(millis).toString().padStart(5)}ms]`

export const make: Effect.Effect<Timeline> = Effect.map(Clock.currentTimeMillis, (start) => {
  const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - start)
  return {
    elapsed,
    log: (message) => Effect.flatMap(elapsed, (millis) => Console.log(`${stamp(millis)} ${message}`))
  }
})

/** A Clock moved by hand (`clock.now = ...`), for property tests whose policies never sleep. */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

export class ManualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  now = 0
  unsafeCurrentTimeMillis(): number {
    return this.now
  }
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(Math.round(this.now * 1_000_000))
  }
  currentTimeMillis = Effect.sync(() => this.now)
  currentTimeNanos = Effect.sync(() => this.unsafeCurrentTimeNanos())
  sleep(_duration: Duration.Duration): Effect.Effect<void> {
    return Effect.never
  }
}

import * as Retry from "@effect-resilience/core/Retry"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { describe, expect, it } from "tstyche"

class HttpError {
  readonly _tag = "HttpError"
  constructor(readonly status: number) {}
}
declare const eff: Effect.Effect<number, HttpError | "Other", "R">
declare const needsRandom: Schedule.Schedule<unknown, unknown, "Rng">

describe("Retry schedules", () => {
  it("are plain Schedules of the delay, usable with Effect.retry", () => {
    expect(Retry.exponential({ base: "1 second" })).type.toBe<Schedule.Schedule<Duration.Duration, unknown>>()
    expect(eff.pipe(Effect.retry(Retry.constant(10, { maxRetries: 3 })))).type.toBe<
      Effect.Effect<number, HttpError | "Other", "R">
    >()
    expect(Retry.honorRetryAfter(needsRandom)).type.toBe<Schedule.Schedule<unknown, unknown, "Rng">>()
  })
})

describe("Retry.retry", () => {
  it("data-last: keeps the error type and adds the schedule's requirements", () => {
    expect(eff.pipe(Retry.retry({ schedule: Retry.constant(10) }))).type.toBe<
      Effect.Effect<number, HttpError | "Other", "R">
    >()
    expect(eff.pipe(Retry.retry({ schedule: needsRandom }))).type.toBe<
      Effect.Effect<number, HttpError | "Other", "R" | "Rng">
    >()
  })

  it("data-last: `while` receives the error type of the effect it is applied to", () => {
    const retried = eff.pipe(
      Retry.retry({
        schedule: Retry.constant(10),
        while: (error) => {
          expect(error).type.toBe<HttpError | "Other">()
          return error !== "Other" && error.status >= 500
        }
      })
    )
    expect(retried).type.toBe<Effect.Effect<number, HttpError | "Other", "R">>()
  })

  it("data-first: `while` receives the effect's error type", () => {
    const retried = Retry.retry(eff, {
      schedule: Retry.constant(10),
      while: (error) => {
        expect(error).type.toBe<HttpError | "Other">()
        return true
      }
    })
    expect(retried).type.toBe<Effect.Effect<number, HttpError | "Other", "R">>()
  })

  it("a schedule that reads its input constrains the error type", () => {
    const onlyHttp = Schedule.recurWhile((e: HttpError) => e.status >= 500)
    expect(Effect.fail(new HttpError(503)).pipe(Retry.retry({ schedule: onlyHttp }))).type.toBe<
      Effect.Effect<never, HttpError, never>
    >()
    expect(eff.pipe).type.not.toBeCallableWith(Retry.retry({ schedule: onlyHttp }))
  })
})

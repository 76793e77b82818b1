import * as Deadline from "@effect-resilience/core/Deadline"
import * as Retry from "@effect-resilience/core/Retry"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "E", "R">

describe("Deadline.within", () => {
  it("adds DeadlineExceeded, data-last and data-first", () => {
    expect(eff.pipe(Deadline.within("1 second"))).type.toBe<
      Effect.Effect<number, "E" | Deadline.DeadlineExceeded, "R">
    >()
    expect(Deadline.within(eff, { duration: "1 second", name: "checkout" })).type.toBe<
      Effect.Effect<number, "E" | Deadline.DeadlineExceeded, "R">
    >()
  })

  it("rejects options that are not a duration", () => {
    expect(Deadline.within).type.not.toBeCallableWith({ name: "no duration" })
  })
})

describe("Deadline.remaining", () => {
  it("is an optional Duration", () => {
    expect(Deadline.remaining).type.toBe<Effect.Effect<Option.Option<Duration.Duration>>>()
  })
})

describe("Retry.retry with minAttempt", () => {
  it("accepts minAttempt and keeps the error type", () => {
    expect(eff.pipe(Retry.retry({ schedule: Retry.constant(10), minAttempt: "50 millis" }))).type.toBe<
      Effect.Effect<number, "E", "R">
    >()
  })
})

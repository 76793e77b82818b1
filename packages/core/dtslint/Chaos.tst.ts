import * as Chaos from "@effect-resilience/core/Chaos"
import * as Policy from "@effect-resilience/core/Policy"
import * as Timeout from "@effect-resilience/core/Timeout"
import type * as Effect from "effect/Effect"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "E", "R">
declare const behavior: Effect.Effect<void, "B", "RB">

describe("Chaos", () => {
  it("fault adds its error, data-last and data-first", () => {
    expect(eff.pipe(Chaos.fault({ rate: 0.1, error: () => "F" as const }))).type.toBe<
      Effect.Effect<number, "E" | "F", "R">
    >()
    expect(Chaos.fault(eff, { rate: 0.1, error: () => "F" as const })).type.toBe<
      Effect.Effect<number, "E" | "F", "R">
    >()
  })

  it("latency changes nothing in the types", () => {
    expect(eff.pipe(Chaos.latency({ rate: 0.1, delay: "1 second" }))).type.toBe<Effect.Effect<number, "E", "R">>()
  })

  it("outcome adds its value's type; behavior adds its effect's error and requirements", () => {
    expect(eff.pipe(Chaos.outcome({ rate: 0.1, value: () => "fallback" as const }))).type.toBe<
      Effect.Effect<number | "fallback", "E", "R">
    >()
    expect(eff.pipe(Chaos.behavior({ rate: 0.1, effect: behavior }))).type.toBe<
      Effect.Effect<number, "E" | "B", "R" | "RB">
    >()
  })

  it("fault and latency compose in Policy.wrap", () => {
    const policy = Policy.wrap(
      Timeout.timeout("1 second"),
      Chaos.fault({ rate: 0.1, error: () => "F" as const }),
      Chaos.latency({ rate: 0.1, delay: "2 seconds" })
    )
    expect(policy(eff)).type.toBe<Effect.Effect<number, "E" | "F" | Timeout.TimeoutError, "R">>()
  })
})

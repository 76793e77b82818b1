import * as Timeout from "@effect-resilience/core/Timeout"
import type * as Effect from "effect/Effect"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "E", "R">

describe("Timeout.timeout", () => {
  it("adds TimeoutError, data-last and data-first", () => {
    expect(eff.pipe(Timeout.timeout("1 second"))).type.toBe<Effect.Effect<number, "E" | Timeout.TimeoutError, "R">>()
    expect(Timeout.timeout(eff, { duration: "1 second", name: "x" })).type.toBe<
      Effect.Effect<number, "E" | Timeout.TimeoutError, "R">
    >()
  })
})

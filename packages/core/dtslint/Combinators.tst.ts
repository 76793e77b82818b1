import * as Fallback from "@effect-resilience/core/Fallback"
import * as Hedge from "@effect-resilience/core/Hedge"
import * as RetryBudget from "@effect-resilience/core/RetryBudget"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "NotFound" | "Unavailable", "R">

describe("Hedge.hedge", () => {
  it("keeps the effect's type in both dual forms", () => {
    expect(eff.pipe(Hedge.hedge({ delay: "10 millis" }))).type.toBe<
      Effect.Effect<number, "NotFound" | "Unavailable", "R">
    >()
    expect(Hedge.hedge(eff, { delay: 10, maxHedges: 2 })).type.toBe<
      Effect.Effect<number, "NotFound" | "Unavailable", "R">
    >()
  })
})

describe("Fallback.fallback", () => {
  it("without `when`, the fallback's error replaces the effect's", () => {
    expect(eff.pipe(Fallback.fallback({ to: () => Effect.succeed("cached") }))).type.toBe<
      Effect.Effect<number | string, never, "R">
    >()
    expect(Fallback.fallback(eff, { to: (e) => Effect.fail(e === "NotFound" ? 1 : 2) })).type.toBe<
      Effect.Effect<number, number, "R">
    >()
  })

  it("with a refinement, the errors it does not handle remain", () => {
    expect(
      eff.pipe(
        Fallback.fallback({
          when: (e): e is "Unavailable" => e === "Unavailable",
          to: (e) => {
            expect(e).type.toBe<"Unavailable">()
            return Effect.succeed(0)
          }
        })
      )
    ).type.toBe<Effect.Effect<number, "NotFound", "R">>()
  })

  it("with a predicate, every error may remain", () => {
    expect(Fallback.fallback(eff, { when: () => true, to: () => Effect.succeed(0) })).type.toBe<
      Effect.Effect<number, "NotFound" | "Unavailable", "R">
    >()
  })
})

describe("RetryBudget.make", () => {
  it("is scoped", () => {
    expect(RetryBudget.make({ ratio: 0.1, minPerSecond: 1, window: "10 seconds" })).type.toBe<
      Effect.Effect<RetryBudget.RetryBudget, never, Scope.Scope>
    >()
  })
})

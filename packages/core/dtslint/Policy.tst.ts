import * as Fallback from "@effect-resilience/core/Fallback"
import * as Hedge from "@effect-resilience/core/Hedge"
import * as Policy from "@effect-resilience/core/Policy"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "E", "R">
declare const needsDb: Policy.Policy<"DbDown", "Db">
declare const needsCache: Policy.Policy<"CacheMiss", "Cache">

describe("Policy.wrap", () => {
  it("unions the rejections and requirements of its policies", () => {
    expect(Policy.wrap(needsDb, needsCache)).type.toBe<Policy.Policy<"DbDown" | "CacheMiss", "Db" | "Cache">>()
    expect(Policy.wrap(needsDb, needsCache)(eff)).type.toBe<
      Effect.Effect<number, "E" | "DbDown" | "CacheMiss", "R" | "Db" | "Cache">
    >()
  })

  it("infers the library's policies", () => {
    const policy = Policy.wrap(
      Retry.retry({ schedule: Retry.exponential({ base: "10 millis" }) }),
      Hedge.hedge({ delay: "50 millis" }),
      Timeout.timeout("1 second")
    )
    expect(policy).type.toBe<Policy.Policy<Timeout.TimeoutError, never>>()
    expect(policy(eff)).type.toBe<Effect.Effect<number, "E" | Timeout.TimeoutError, "R">>()
  })

  it("accepts many policies", () => {
    const p = Policy.wrap(needsDb, needsDb, needsDb, needsDb, needsDb, needsDb, needsCache)
    expect(p(eff)).type.toBe<Effect.Effect<number, "E" | "DbDown" | "CacheMiss", "R" | "Db" | "Cache">>()
  })

  it("rejects what is not a policy", () => {
    expect(Policy.wrap).type.not.toBeCallableWith(needsDb, (n: number) => n)
  })

  it("a Policy is what users write", () => {
    const logged: Policy.Policy = (self) => Effect.tap(self, () => Effect.log("done"))
    expect(logged(eff)).type.toBe<Effect.Effect<number, "E", "R">>()
  })
})

describe("Policy.wrap rejects what changes the success type", () => {
  it("Fallback.fallback is not a Policy", () => {
    expect(Policy.wrap).type.not.toBeCallableWith(Fallback.fallback({ to: () => Effect.succeed("cached") }))
    expect(Policy.wrap).type.not.toBeCallableWith(Effect.as("x"))
  })
})

import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import type * as Policy from "@effect-resilience/core/Policy"
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "E", "R">
declare const bulkhead: Bulkhead.Bulkhead

describe("Bulkhead.protect", () => {
  it("adds BulkheadRejected, data-last and data-first", () => {
    expect(eff.pipe(Bulkhead.protect(bulkhead))).type.toBe<
      Effect.Effect<number, "E" | Bulkhead.BulkheadRejected, "R">
    >()
    expect(Bulkhead.protect(eff, bulkhead)).type.toBe<Effect.Effect<number, "E" | Bulkhead.BulkheadRejected, "R">>()
    expect(bulkhead.protect(eff)).type.toBe<Effect.Effect<number, "E" | Bulkhead.BulkheadRejected, "R">>()
  })

  it("is a Policy", () => {
    expect(Bulkhead.protect(bulkhead)).type.toBeAssignableTo<Policy.Policy<Bulkhead.BulkheadRejected>>()
    expect(bulkhead.protect).type.toBeAssignableTo<Policy.Policy<Bulkhead.BulkheadRejected>>()
  })

  it("rejects what is not a bulkhead", () => {
    expect(Bulkhead.protect).type.not.toBeCallableWith(eff, { name: "x" })
  })
})

describe("Bulkhead.make and layer", () => {
  it("make needs a Scope and cannot fail", () => {
    expect(Bulkhead.make({ maxConcurrent: 1 })).type.toBe<Effect.Effect<Bulkhead.Bulkhead, never, Scope.Scope>>()
    expect(Bulkhead.make).type.not.toBeCallableWith({ maxQueue: 1 })
  })

  it("layer provides the tag", () => {
    const tag = {} as Context.Tag<"Payments", Bulkhead.Bulkhead>
    expect(Bulkhead.layer(tag, { maxConcurrent: 2, queueTimeout: "1 second" })).type.toBe<Layer.Layer<"Payments">>()
  })

  it("stats and close", () => {
    expect(bulkhead.stats).type.toBe<Effect.Effect<Bulkhead.Bulkhead.Stats>>()
    expect(bulkhead.close).type.toBe<Effect.Effect<void>>()
    expect<Bulkhead.BulkheadRejected["reason"]>().type.toBe<"Full" | "QueueTimeout" | "Closed">()
  })
})

describe("Bulkhead.adaptive", () => {
  it("is a scoped Bulkhead, with a limit in its stats", () => {
    expect(
      Bulkhead.adaptive({ algorithm: "gradient2", initialLimit: 10, minLimit: 1, maxLimit: 100 })
    ).type.toBe<Effect.Effect<Bulkhead.Bulkhead, never, Scope.Scope>>()
    expect<Bulkhead.Bulkhead.Stats["limit"]>().type.toBe<number>()
  })

  it("requires an algorithm and the limits", () => {
    expect(Bulkhead.adaptive).type.not.toBeCallableWith({ initialLimit: 10, minLimit: 1, maxLimit: 100 })
    expect(Bulkhead.adaptive).type.not.toBeCallableWith({
      algorithm: "vegas",
      initialLimit: 10,
      minLimit: 1,
      maxLimit: 100
    })
    expect(Bulkhead.adaptive).type.not.toBeCallableWith({ algorithm: "aimd" })
  })
})

import type * as Policy from "@effect-resilience/core/Policy"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { describe, expect, it } from "tstyche"

declare const eff: Effect.Effect<number, "E", "R">
declare const limiter: RateLimiter.RateLimiter
declare const keyed: RateLimiter.KeyedRateLimiter

describe("RateLimiter.protect", () => {
  it("adds RateLimited, data-last and data-first", () => {
    expect(eff.pipe(RateLimiter.protect(limiter))).type.toBe<
      Effect.Effect<number, "E" | RateLimiter.RateLimited, "R">
    >()
    expect(RateLimiter.protect(eff, limiter)).type.toBe<Effect.Effect<number, "E" | RateLimiter.RateLimited, "R">>()
  })

  it("the instance's protect and a keyed limiter's protect are policies adding RateLimited", () => {
    expect(limiter.protect(eff)).type.toBe<Effect.Effect<number, "E" | RateLimiter.RateLimited, "R">>()
    expect(eff.pipe(limiter.protect)).type.toBe<Effect.Effect<number, "E" | RateLimiter.RateLimited, "R">>()
    expect(keyed.protect("tenant")).type.toBe<Policy.Policy<RateLimiter.RateLimited>>()
    expect(eff.pipe(keyed.protect("tenant"))).type.toBe<Effect.Effect<number, "E" | RateLimiter.RateLimited, "R">>()
  })

  it("rejects a non-limiter", () => {
    expect(RateLimiter.protect).type.not.toBeCallableWith({ name: "x" })
  })
})

describe("RateLimiter constructors", () => {
  it("make and keyed need only a Scope and never fail", () => {
    expect(RateLimiter.make({ limit: 1, interval: "1 second" })).type.toBe<
      Effect.Effect<RateLimiter.RateLimiter, never, Scope.Scope>
    >()
    expect(RateLimiter.keyed({ limit: 1, interval: "1 second", maxKeys: 10 })).type.toBe<
      Effect.Effect<RateLimiter.KeyedRateLimiter, never, Scope.Scope>
    >()
  })

  it("options are typed", () => {
    expect(RateLimiter.make).type.not.toBeCallableWith({ limit: 1, interval: "1 second", algorithm: "leaky" })
    expect(RateLimiter.make).type.not.toBeCallableWith({ limit: 1, interval: "1 second", onExceeded: "queue" })
    expect(RateLimiter.make).type.not.toBeCallableWith({ interval: "1 second" })
  })

  it("acquire fails with RateLimited, tryAcquire and available cannot fail", () => {
    expect(limiter.acquire()).type.toBe<Effect.Effect<void, RateLimiter.RateLimited>>()
    expect(limiter.tryAcquire(2)).type.toBe<Effect.Effect<boolean>>()
    expect(limiter.available).type.toBe<Effect.Effect<number>>()
    expect(keyed.acquire("k", 2)).type.toBe<Effect.Effect<void, RateLimiter.RateLimited>>()
    expect(keyed.size).type.toBe<Effect.Effect<number>>()
  })
})

describe("RateLimiter.decide", () => {
  it("never fails and reports a Decision, for both limiters", () => {
    expect(limiter.decide()).type.toBe<Effect.Effect<RateLimiter.Decision>>()
    expect(limiter.decide(2)).type.toBe<Effect.Effect<RateLimiter.Decision>>()
    expect(keyed.decide("tenant")).type.toBe<Effect.Effect<RateLimiter.Decision>>()
    expect(keyed.decide("tenant", 3)).type.toBe<Effect.Effect<RateLimiter.Decision>>()
    expect(keyed.decide).type.not.toBeCallableWith(3)
  })

  it("a Decision's durations are Durations; both limiters expose their parameters", () => {
    expect<RateLimiter.Decision["retryAfter"]>().type.toBe<Duration.Duration>()
    expect<RateLimiter.Decision["resetAfter"]>().type.toBe<Duration.Duration>()
    expect(keyed.onExceeded).type.toBe<RateLimiter.OnExceeded>()
    expect(limiter.onExceeded).type.toBe<RateLimiter.OnExceeded>()
    expect(keyed.limit).type.toBe<number>()
    expect(keyed.interval).type.toBe<Duration.Duration>()
  })
})

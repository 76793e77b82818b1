/**
 * What the core gives a store shared by processes (e.g. `@effect-resilience/redis`): whether an
 * instance's name was generated, and a planner that takes a fixed window's start as the store
 * reports it.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as algorithms from "../src/internal/rateLimiter/algorithms.js"

describe("stores shared by processes", () => {
  it.scoped("see whether a limiter's or a breaker's name was generated", () =>
    Effect.gen(function*() {
      const specs: Array<RateLimiter.RateLimiterStore.Spec> = []
      const memory = RateLimiter.memoryStore()
      const recording: RateLimiter.RateLimiterStore = {
        open: (spec) => Effect.zipRight(Effect.sync(() => specs.push(spec)), memory.open(spec))
      }
      yield* RateLimiter.make({ limit: 1, interval: "1 second", store: recording })
      yield* RateLimiter.make({ name: "api", limit: 1, interval: "1 second", store: recording })
      expect(specs.map((s) => [s.name.startsWith("rate-limiter-"), s.generatedName])).toEqual([[true, true], [
        false,
        false
      ]])

      const configs: Array<CircuitBreaker.Store.Config> = []
      const factory: CircuitBreaker.Store.Factory = (config) =>
        Effect.zipRight(Effect.sync(() => configs.push(config)), CircuitBreaker.memoryStore()(config))
      yield* CircuitBreaker.make({ store: factory })
      yield* CircuitBreaker.make({ name: "payments", store: factory })
      expect(configs.map((c) => c.generatedName)).toEqual([true, false])
    }))

  it("the planner takes a fixed window's start as given, aligned or not", () => {
    const spec: RateLimiter.RateLimiterStore.Spec = {
      name: "x",
      generatedName: false,
      algorithm: "fixed-window",
      limit: 1,
      intervalMillis: 1000,
      burst: 1
    }
    const params = new algorithms.Params(spec)
    // a server's window [300, 1300) in the caller's frame
    const shifted = algorithms.restore(params, { algorithm: "fixed-window", windowStart: 300, count: 1 })
    expect(shifted.wait(1, 500)).toBe(800)
    expect(shifted.snapshot(500)).toEqual({ algorithm: "fixed-window", windowStart: 300, count: 1 })
    expect(shifted.take(1, 1300)).toBe(0)
    expect(shifted.snapshot(1400)).toEqual({ algorithm: "fixed-window", windowStart: 1300, count: 1 })
    // an aligned one is what it always was
    const aligned = algorithms.restore(params, { algorithm: "fixed-window", windowStart: 2000, count: 1 })
    expect(aligned.wait(1, 2500)).toBe(500)
    expect(aligned.freshAt()).toBe(3000)
  })
})

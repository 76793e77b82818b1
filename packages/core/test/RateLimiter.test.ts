import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { memoryHarnesses } from "./suites/harness.js"
import { rateLimiterSuite } from "./suites/rateLimiter.js"

// Every store runs the same suite: the memory store here, the Redis store in its own package.
describe.each(memoryHarnesses)("RateLimiter (%s store)", (_, harness) => rateLimiterSuite(harness))

describe("RateLimiter options", () => {
  const base = { limit: 10, interval: "1 second" } as const
  const rejects = (option: string, options: Record<string, unknown>) => {
    let thrown: unknown
    try {
      RateLimiter.make(options as never)
    } catch (error) {
      thrown = error
    }
    expect(thrown, JSON.stringify(options)).toBeInstanceOf(ResilienceConfigError)
    expect((thrown as ResilienceConfigError).option).toBe(option)
    return (thrown as ResilienceConfigError).rule
  }

  it("rejects each bad option at once, naming the option and the rule", () => {
    expect(rejects("limit", { ...base, limit: 0 })).toBe("must be a positive integer")
    rejects("limit", { ...base, limit: 2.5 })
    rejects("limit", { ...base, limit: -1 })
    rejects("limit", { interval: "1 second" })
    expect(rejects("interval", { ...base, interval: 0 })).toMatch(/positive/)
    rejects("interval", { ...base, interval: -5 })
    rejects("interval", { ...base, interval: "-5 millis" })
    rejects("interval", { ...base, interval: Number.NaN })
    rejects("interval", { ...base, interval: Duration.infinity })
    rejects("burst", { ...base, burst: 0 })
    rejects("burst", { ...base, burst: 1.5 })
    expect(rejects("burst", { ...base, algorithm: "fixed-window", burst: 5 })).toMatch(/token-bucket/)
    rejects("maxWait", { ...base, maxWait: -1 })
    rejects("maxWait", { ...base, maxWait: "-5 millis" })
    rejects("maxWait", { ...base, onExceeded: "fail", maxWait: "1 second" })
    expect(rejects("algorithm", { ...base, algorithm: "leaky-bucket" })).toMatch(/"token-bucket"/)
    rejects("onExceeded", { ...base, onExceeded: "queue" })
    rejects("name", { ...base, name: "" })
    rejects("store", { ...base, store: {} })
    rejects("options", undefined as never)
  })

  it("keyed rejects bad maxKeys and idleTimeout, and layer validates when called", () => {
    const keyed = (options: Record<string, unknown>) => () => RateLimiter.keyed(options as never)
    expect(keyed({ ...base, maxKeys: 0 })).toThrow(ResilienceConfigError)
    expect(keyed({ ...base, maxKeys: 1.5 })).toThrow(/maxKeys/)
    expect(keyed({ ...base, idleTimeout: 0 })).toThrow(/idleTimeout/)
    expect(keyed({ ...base, idleTimeout: -1 })).toThrow(/idleTimeout/)
    expect(keyed({ ...base, limit: 0 })).toThrow(/limit/)
    class Tag extends Context.Tag("Tag")<Tag, RateLimiter.RateLimiter>() {}
    expect(() => RateLimiter.layer(Tag, { ...base, interval: -1 })).toThrow(/interval/)
  })

  it.effect("a valid configuration, with defaults and a generated name", () =>
    Effect.gen(function*() {
      class Tag extends Context.Tag("Tag")<Tag, RateLimiter.RateLimiter>() {}
      const limiter = yield* Effect.provide(Tag, RateLimiter.layer(Tag, { ...base, maxWait: Duration.infinity }))
      expect(limiter.name).toMatch(/^rate-limiter-\d+$/)
      expect(limiter.algorithm).toBe("token-bucket")
      expect(limiter.limit).toBe(10)
      expect(Duration.toMillis(limiter.interval)).toBe(1000)
      expect(Chunk.size(yield* TestClock.sleeps())).toBe(0)
    }))

  it.scoped("each instance made from one unnamed make effect gets its own name", () =>
    Effect.gen(function*() {
      const make = RateLimiter.make(base)
      const keyed = RateLimiter.keyed(base)
      const [a, b] = [yield* make, yield* make]
      const [c, d] = [yield* keyed, yield* keyed]
      expect(a.name).not.toBe(b.name)
      expect(c.name).not.toBe(d.name)
    }))
})

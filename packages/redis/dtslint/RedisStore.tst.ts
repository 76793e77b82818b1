import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import type * as Resilience from "@effect-resilience/core/Resilience"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import type * as ConfigError from "effect/ConfigError"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { Redis } from "ioredis"
import { createClient } from "redis"
import { describe, expect, it } from "tstyche"

describe("RedisStore", () => {
  it("make needs a RedisClient and a Scope, and cannot fail", () => {
    expect(RedisStore.make({ prefix: "app:" })).type.toBe<
      Effect.Effect<RedisStore.RedisStore, never, RedisClient.RedisClient | Scope.Scope>
    >()
  })

  it("gives a rate limiter store", () => {
    expect<RedisStore.RedisStore["rateLimiter"]>().type.toBe<RateLimiter.RateLimiterStore>()
  })

  it("layer provides Resilience from a RedisClient", () => {
    expect(RedisStore.layer({ commandTimeout: "50 millis", resilience: { metrics: false } })).type.toBe<
      Layer.Layer<Resilience.Resilience, ConfigError.ConfigError, RedisClient.RedisClient>
    >()
  })

  it("rejects options of the wrong type", () => {
    expect(RedisStore.make).type.not.toBeCallableWith({ time: "local" })
    expect(RedisStore.make).type.not.toBeCallableWith({ onUnavailable: "retry" })
    expect(RedisStore.make).type.not.toBeCallableWith({ localShare: "2" })
  })
})

describe("RedisClient", () => {
  it("wraps node-redis and ioredis clients as they are", () => {
    expect(RedisClient.fromNodeRedis(createClient())).type.toBe<RedisClient.RedisClient>()
    expect(RedisClient.fromIoredis(new Redis({ lazyConnect: true }))).type.toBe<RedisClient.RedisClient>()
  })

  it("layerNodeRedis needs a url and cannot fail", () => {
    expect(RedisClient.layerNodeRedis({ url: "redis://127.0.0.1:6379" })).type.toBe<
      Layer.Layer<RedisClient.RedisClient>
    >()
    expect(RedisClient.layerNodeRedis).type.not.toBeCallableWith({})
  })
})

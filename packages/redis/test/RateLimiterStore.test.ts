/**
 * The Redis rate limiter store's own tests: a differential test that the scripts decide exactly
 * as the memory cells do, keys, expiry, server time, scripts reloaded, bad options. The core's
 * limiter suites run on this store too, over every client (`CoreSuites.test.ts`).
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { names } from "./utils/clients.js"
import { useRedis } from "./utils/fixture.js"

const fixture = useRedis({ prefix: "test:" })
const redisStore = fixture.store
const clients = { get: fixture.client }

const tryMany = (limiter: RateLimiter.RateLimiter, n: number, permits = 1) =>
  Effect.map(
    Effect.forEach(Array.from({ length: n }), () => limiter.tryAcquire(permits)),
    (results) => results.filter(Boolean).length
  )

describe.each(names.map((name, index) => [name, index] as const))(
  "the Redis scripts decide as the memory cells (%s)",
  (name, index) => {
    it.scoped("the same decisions and snapshots over random takes and reads", () =>
      Effect.gen(function*() {
        const client = clients.get(name)
        let seed = 12345 + index
        const random = () => {
          seed = (seed * 1103515245 + 12345) % 2147483648
          return seed / 2147483648
        }
        const specs: ReadonlyArray<RateLimiter.RateLimiterStore.Spec> = [
          { name: "tb", generatedName: false, algorithm: "token-bucket", limit: 7, intervalMillis: 1000, burst: 10 },
          { name: "tb3", generatedName: false, algorithm: "token-bucket", limit: 3, intervalMillis: 333.3, burst: 3 },
          { name: "fw", generatedName: false, algorithm: "fixed-window", limit: 5, intervalMillis: 250, burst: 5 },
          { name: "sw", generatedName: false, algorithm: "sliding-window", limit: 6, intervalMillis: 120, burst: 6 },
          // many live entries: the expiry scan and the binary search over a longer state
          { name: "sw40", generatedName: false, algorithm: "sliding-window", limit: 40, intervalMillis: 400, burst: 40 }
        ]
        for (const spec of specs) {
          const redis = yield* redisStore(client, { prefix: `diff${index}:` }).rateLimiter.open(spec)
          const memory = yield* RateLimiter.memoryStore().open(spec)
          let now = 1_000_000.25
          for (let i = 0; i < 300; i++) {
            now += Math.floor(random() * 40) + (random() < 0.2 ? 0.5 : 0)
            const key = random() < 0.5 ? "a" : "b"
            const permits = Math.floor(random() * 4)
            const [fromRedis, fromMemory] = [
              yield* redis.take(key, permits, now),
              yield* memory.take(key, permits, now)
            ]
            expect(fromRedis, `${spec.name} step ${i}`).toEqual(fromMemory)
            if (i % 10 === 0) expect(yield* redis.snapshot(key, now)).toEqual(yield* memory.snapshot(key, now))
          }
        }
      }))
  }
)

describe("the Redis store", () => {
  const client = () => clients.get("node-redis")
  const send = (command: ReadonlyArray<string>) => client().send(command)

  it.live("commands share one timeout timer, which closing the store stops: no timer keeps the process alive", () =>
    Effect.gen(function*() {
      const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length
      const before = timers()
      const storeScope = yield* Scope.make()
      const store = yield* RedisStore.make({ prefix: "timer:", commandTimeout: "1 minute" }).pipe(
        Effect.provideService(RedisClient.RedisClient, client()),
        Scope.extend(storeScope)
      )
      const limiter = yield* RateLimiter.make({
        name: "t",
        limit: 1000,
        interval: "1 second",
        store: store.rateLimiter
      })
        .pipe(Scope.extend(storeScope))
      yield* Effect.forEach(Array.from({ length: 200 }), () => limiter.tryAcquire(), { concurrency: 20 })
      // (any timer of the scheduler's has run by now)
      yield* Effect.sleep("10 millis")
      // one timer for 200 commands, pending for the rest of its minute
      expect(timers()).toBe(before + 1)
      yield* Scope.close(storeScope, Exit.void)
      expect(timers()).toBe(before)
    }))

  it.scoped("keys are <prefix>limiter:<algorithm>:<name>:<key>, expiring when back at their fresh state", () =>
    Effect.gen(function*() {
      const store = redisStore(client(), { prefix: "keys:" })
      const limiter = yield* RateLimiter.make({ name: "api", limit: 4, interval: "1 second", store: store.rateLimiter })
      yield* limiter.acquire(2)
      const ttl = Number(yield* send(["PTTL", "keys:limiter:token-bucket:api:"]))
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(500)
      const keyed = yield* RateLimiter.keyed({
        name: "tenants",
        algorithm: "sliding-window",
        limit: 4,
        interval: "1 second",
        store: store.rateLimiter
      })
      yield* keyed.acquire("t1")
      expect(Number(yield* send(["PTTL", "keys:limiter:sliding-window:tenants:t1"]))).toBeGreaterThan(900)
      // a read creates nothing
      const handle = yield* store.rateLimiter.open({
        name: "reads",
        generatedName: false,
        algorithm: "fixed-window",
        limit: 1,
        intervalMillis: 1000,
        burst: 1
      })
      expect((yield* handle.take("k", 0, 0)).remaining).toBe(1)
      expect(yield* send(["EXISTS", "keys:limiter:fixed-window:reads:k"])).toBe(0)
    }))

  it.scoped("scripts are reloaded after SCRIPT FLUSH (NOSCRIPT)", () =>
    Effect.gen(function*() {
      for (const c of names.map(clients.get)) {
        const limiter = yield* RateLimiter.make({
          name: "flush",
          limit: 2 * names.length,
          interval: "1 minute",
          store: redisStore(c, { prefix: "flush:" }).rateLimiter
        })
        yield* limiter.acquire()
        yield* c.send(["SCRIPT", "FLUSH"])
        yield* limiter.acquire()
      }
      // every client took from the one shared key
      const limiter = yield* RateLimiter.make({
        name: "flush",
        limit: 2 * names.length,
        interval: "1 minute",
        onExceeded: "fail",
        store: redisStore(client(), { prefix: "flush:" }).rateLimiter
      })
      expect(yield* limiter.available).toBe(0)
    }))

  it.live("time \"redis\": instances in two stores share one limit on the server's clock", () =>
    Effect.gen(function*() {
      const [a, b] = [clients.get("node-redis"), clients.get("ioredis")].map((c) =>
        redisStore(c, { prefix: "servertime:", time: "redis" }).rateLimiter
      )
      const options = {
        name: "shared",
        algorithm: "fixed-window",
        limit: 5,
        interval: "1 minute",
        onExceeded: "fail"
      } as const
      const one = yield* RateLimiter.make({ ...options, store: a })
      const two = yield* RateLimiter.make({ ...options, store: b })
      expect((yield* tryMany(one, 3)) + (yield* tryMany(two, 5))).toBe(5)
      // the window from the server's clock, shifted into this process's frame
      const handle = yield* a.open({ ...options, generatedName: false, intervalMillis: 60_000, burst: 5 })
      const now = Date.now()
      const snapshot = yield* handle.snapshot("", now)
      if (snapshot.algorithm !== "fixed-window") throw new Error("expected a fixed window")
      expect(snapshot.count).toBe(5)
      expect(now - snapshot.windowStart).toBeGreaterThanOrEqual(0)
      expect(now - snapshot.windowStart).toBeLessThan(60_000)
    }).pipe(Effect.scoped))

  it.live("RedisStore.layer: the registry's breakers and limiters live on Redis", () =>
    Effect.gen(function*() {
      const limiter = yield* Resilience.rateLimiter("layered")
      yield* limiter.acquire()
      expect(yield* send(["EXISTS", "layer:limiter:token-bucket:layered:"])).toBe(1)
      const breaker = yield* Resilience.circuitBreaker("layered")
      yield* breaker.protect(Effect.void)
      expect(yield* send(["EXISTS", "layer:breaker:{layered}"])).toBe(1)
    }).pipe(
      Effect.provide(
        RedisStore.layer({ prefix: "layer:", commandTimeout: "1 minute" }).pipe(
          Layer.provide(Layer.sync(RedisClient.RedisClient, client))
        )
      )
    ))

  it.scoped("an unnamed limiter on Redis dies with ResilienceConfigError", () =>
    Effect.gen(function*() {
      const store = redisStore(client())
      const exit = yield* Effect.exit(RateLimiter.make({ limit: 1, interval: "1 second", store: store.rateLimiter }))
      expect(Exit.isFailure(exit) && Cause.dieOption(exit.cause).pipe(Option.getOrThrow)).toBeInstanceOf(
        ResilienceConfigError
      )
    }))

  it("bad options throw ResilienceConfigError when make is called", () => {
    const bad: ReadonlyArray<[string, unknown]> = [
      ["commandTimeout", 0],
      ["commandTimeout", "-5 millis"],
      ["commandTimeout", "2 minutes"],
      ["commandTimeout", Number.NaN],
      ["time", "local"],
      ["onUnavailable", "retry"],
      ["localShare", 0],
      ["localShare", 1.5],
      ["prefix", 1]
    ]
    for (const [option, value] of bad) {
      const error = (() => {
        try {
          RedisStore.make({ [option]: value } as RedisStore.Options)
        } catch (e) {
          return e
        }
      })()
      expect(error, `${option}: ${String(value)}`).toBeInstanceOf(ResilienceConfigError)
      expect((error as ResilienceConfigError).option).toBe(option)
    }
    expect(() => RedisStore.layer({ commandTimeout: -1 })).toThrow(ResilienceConfigError)
    expect(() => RedisStore.make({ prefix: "", commandTimeout: "1 minute" })).not.toThrow()
  })
})

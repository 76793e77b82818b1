/**
 * The rate limiter store: one suite against the memory store and the Redis store on both
 * clients (time "app", so everything runs on TestClock), and a differential test that the Redis
 * scripts decide exactly as the memory cells do.
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { names } from "./utils/clients.js"
import { fresh, useRedis } from "./utils/fixture.js"

const fixture = useRedis({ prefix: "test:" })
const redisStore = fixture.store
const clients = { get: fixture.client }

const stores: ReadonlyArray<readonly [string, () => RateLimiter.RateLimiterStore]> = [
  ["memory", RateLimiter.memoryStore],
  ...names.map((name) => [`redis, ${name}`, () => fresh(redisStore(clients.get(name)).rateLimiter)] as const)
]

const millis = (d: Duration.Duration) => Duration.toMillis(d)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

const tryMany = (limiter: RateLimiter.RateLimiter, n: number, permits = 1) =>
  Effect.map(
    Effect.forEach(Array.from({ length: n }), () => limiter.tryAcquire(permits)),
    (results) => results.filter(Boolean).length
  )

describe.each(stores)("RateLimiter (%s store)", (_, makeStore) => {
  const make = (options: RateLimiter.RateLimiter.Options) => RateLimiter.make({ ...options, store: makeStore() })

  it.scoped("token bucket: starts full with `burst`, refills continuously, fractions accumulate", () =>
    Effect.gen(function*() {
      const bursty = yield* make({ limit: 5, interval: "1 second", burst: 8 })
      expect(yield* bursty.available).toBe(8)
      expect(yield* tryMany(bursty, 10)).toBe(8)
      const thirds = yield* make({ limit: 3, interval: "1 second" })
      expect(yield* tryMany(thirds, 3)).toBe(3)
      for (let i = 0; i < 10; i++) yield* TestClock.adjust("33 millis")
      expect(yield* thirds.tryAcquire()).toBe(false)
      yield* TestClock.adjust("4 millis")
      expect(yield* thirds.tryAcquire()).toBe(true)
      yield* TestClock.adjust("1 hour")
      expect(yield* thirds.available).toBe(3)
    }))

  it.scoped("token bucket: fails with the exact retryAfter, the limit and whole remaining permits", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ name: "api", limit: 10, interval: "1 second", burst: 5, onExceeded: "fail" })
      yield* limiter.acquire(5)
      const e1 = failureOf(yield* Effect.exit(limiter.acquire()))
      expect(e1.policyName).toBe("api")
      expect(millis(e1.retryAfter)).toBeCloseTo(100, 9)
      expect(e1.remaining).toBe(0)
      yield* TestClock.adjust("150 millis")
      const e2 = failureOf(yield* Effect.exit(limiter.acquire(3)))
      expect(millis(e2.retryAfter)).toBeCloseTo(150, 9)
      expect(e2.remaining).toBe(1)
    }))

  it.scoped("fixed window: at most `limit` per window, windows aligned to multiples of `interval`", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("700 millis")
      const limiter = yield* make({ algorithm: "fixed-window", limit: 3, interval: "1 second", onExceeded: "fail" })
      expect(yield* tryMany(limiter, 5)).toBe(3)
      expect(millis(failureOf(yield* Effect.exit(limiter.acquire())).retryAfter)).toBe(300)
      yield* TestClock.adjust("299 millis")
      expect(yield* limiter.tryAcquire()).toBe(false)
      yield* TestClock.adjust("1 millis")
      expect(yield* tryMany(limiter, 5)).toBe(3)
      yield* TestClock.adjust("1 second")
      expect(yield* limiter.available).toBe(3)
    }))

  it.scoped("sliding window: an admission at t stops counting at t + interval", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ algorithm: "sliding-window", limit: 3, interval: "1 second", onExceeded: "fail" })
      yield* limiter.acquire() // t = 0
      yield* TestClock.adjust("400 millis")
      yield* limiter.acquire(2) // t = 400
      yield* TestClock.adjust("599 millis")
      expect(millis(failureOf(yield* Effect.exit(limiter.acquire())).retryAfter)).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* limiter.available).toBe(1)
      expect(yield* limiter.tryAcquire()).toBe(true)
      expect(millis(failureOf(yield* Effect.exit(limiter.acquire())).retryAfter)).toBe(400)
      expect(millis(failureOf(yield* Effect.exit(limiter.acquire(3))).retryAfter)).toBe(1000)
    }))

  it.scoped("decide reports remaining, retryAfter and resetAfter", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ algorithm: "fixed-window", limit: 2, interval: "1 second" })
      yield* TestClock.adjust("200 millis")
      const first = yield* limiter.decide()
      expect(first.allowed).toBe(true)
      expect(first.remaining).toBe(1)
      expect(millis(first.resetAfter)).toBe(800)
      yield* limiter.decide()
      const refused = yield* limiter.decide()
      expect(refused.allowed).toBe(false)
      expect(millis(refused.retryAfter)).toBe(800)
    }))

  it.scoped("maxWait: a call that would wait longer fails at once, planned from the store's snapshot", () =>
    Effect.gen(function*() {
      for (const algorithm of ["token-bucket", "fixed-window", "sliding-window"] as const) {
        const limiter = yield* make({ algorithm, limit: 1, interval: "1 second", maxWait: "500 millis" })
        yield* limiter.acquire()
        const error = failureOf(yield* Effect.exit(limiter.acquire()))
        expect(millis(error.retryAfter), algorithm).toBeGreaterThan(500)
      }
    }))

  it.scoped("keyed limiters keep one state per key", () =>
    Effect.gen(function*() {
      const keyed = yield* RateLimiter.keyed({ limit: 2, interval: "1 second", onExceeded: "fail", store: makeStore() })
      expect(yield* keyed.tryAcquire("a", 2)).toBe(true)
      expect(yield* keyed.tryAcquire("a")).toBe(false)
      expect(yield* keyed.tryAcquire("b")).toBe(true)
    }))
})

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

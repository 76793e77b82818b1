import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { expectConfigError } from "./utils/config.js"

const configured = (entries: Record<string, string>, options?: Resilience.Resilience.Options) =>
  Resilience.layerConfig(options).pipe(
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries)))))
  )

const defectOf = <A, E>(exit: Exit.Exit<A, E>): unknown => {
  if (Exit.isSuccess(exit)) throw new Error("expected a defect")
  return Option.getOrThrow(Cause.dieOption(exit.cause))
}

describe("Resilience: per-name options at first use", () => {
  it.scoped("a call's options configure the instance it creates; later calls get it whatever they pass", () =>
    Effect.gen(function*() {
      const db = yield* Resilience.bulkhead("db", { maxConcurrent: 4, maxQueue: 2 })
      expect(yield* db.stats).toMatchObject({ maxConcurrent: 4, maxQueue: 2 })
      expect(yield* Resilience.bulkhead("db", { maxConcurrent: 40 })).toBe(db)
      expect(yield* Resilience.bulkhead("db")).toBe(db)
      // the kind's defaults fill what the call leaves out
      const cache = yield* Resilience.bulkhead("cache", { maxQueue: 1 })
      expect(yield* cache.stats).toMatchObject({ maxConcurrent: 7, maxQueue: 1 })
      const limiter = yield* Resilience.rateLimiter("api", { limit: 5, onExceeded: "fail" })
      expect(limiter.limit).toBe(5)
      expect(Duration.toMillis(limiter.interval)).toBe(1000)
      const budget = yield* Resilience.retryBudget("b", { ratio: 0.5 })
      expect(budget.ratio).toBe(0.5)
      const breaker = yield* Resilience.circuitBreaker("payments", { trip: CircuitBreaker.consecutive(1) })
      yield* Effect.fail("boom").pipe(breaker.protect, Effect.ignore)
      expect(yield* breaker.state).toBe("Open")
    }).pipe(Effect.provide(Resilience.layer({ defaults: { bulkhead: { maxConcurrent: 7 } } }))))

  it.scoped("concurrent first calls create one instance, with the options of the call that created it", () =>
    Effect.gen(function*() {
      const bulkheads = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => Resilience.bulkhead("shared", { maxConcurrent: i + 1 })),
        { concurrency: "unbounded" }
      )
      expect(new Set(bulkheads).size).toBe(1)
      expect((yield* bulkheads[0].stats).maxConcurrent).toBe(1)
    }).pipe(Effect.provide(Resilience.layer())))

  it.scoped("code instances and Config keys override a call's options", () =>
    Effect.gen(function*() {
      const db = yield* Resilience.bulkhead("db", { maxConcurrent: 4, maxQueue: 2 })
      // instances say maxConcurrent 3, Config says maxQueue 9
      expect(yield* db.stats).toMatchObject({ maxConcurrent: 3, maxQueue: 9 })
      const breaker = yield* Resilience.circuitBreaker("http", {
        trip: CircuitBreaker.failureRate({ threshold: 0.1, minimumCalls: 100, window: { duration: "30 seconds" } }),
        breakDuration: "5 seconds"
      })
      // Config sets a consecutive trip of 2 failures and keeps the call's 5 s break
      for (let i = 0; i < 2; i++) yield* Effect.fail("x").pipe(breaker.protect, Effect.ignore)
      const open = yield* Effect.void.pipe(breaker.protect, Effect.flip)
      expect(open.state).toBe("Open")
      expect(Duration.toMillis(open.retryAfter)).toBe(5000)
    }).pipe(Effect.provide(configured(
      {
        RESILIENCE_BULKHEAD_DB_MAX_QUEUE: "9",
        RESILIENCE_CIRCUITBREAKER_HTTP_CONSECUTIVE_FAILURES: "2"
      },
      { instances: { bulkhead: { db: { maxConcurrent: 3 } } } }
    ))))

  it.scoped("Config failure-rate keys tune a failure-rate trip passed by the call", () =>
    Effect.gen(function*() {
      const breaker = yield* Resilience.circuitBreaker("http", {
        trip: CircuitBreaker.failureRate({ threshold: 0.9, minimumCalls: 4, window: { calls: 4 } })
      })
      // threshold 0.5 from Config: 2 failures out of 4 open it
      for (const ok of [true, false, true, false]) {
        yield* (ok ? Effect.void : Effect.fail("x")).pipe(breaker.protect, Effect.ignore)
      }
      expect(yield* breaker.state).toBe("Open")
    }).pipe(Effect.provide(configured({ RESILIENCE_CIRCUITBREAKER_HTTP_FAILURE_RATE_THRESHOLD: "0.5" }))))

  it.scoped("bad options throw ResilienceConfigError when the registry is called; the accessor dies with it", () =>
    Effect.gen(function*() {
      const registry = yield* Resilience.Resilience
      expectConfigError(() => registry.bulkhead("db", { maxConcurrent: 0 }), "maxConcurrent")
      expectConfigError(() => registry.rateLimiter("api", { interval: -5 }), "interval")
      expectConfigError(() => registry.circuitBreaker("cb", { halfOpenMaxCalls: 1.5 }), "halfOpenMaxCalls")
      expectConfigError(() => registry.retryBudget("b", { ratio: -1 }), "ratio")
      expectConfigError(() => registry.bulkhead("db", 3 as never), "options")
      const defect = defectOf(yield* Effect.exit(Resilience.bulkhead("db", { maxQueue: -1 })))
      expect(defect).toBeInstanceOf(ResilienceConfigError)
      expect((defect as ResilienceConfigError).option).toBe("maxQueue")
      // nothing was created by the bad calls
      expect(yield* Resilience.bulkheads).toEqual([])
      // once the instance exists, a call's options are not looked at
      const db = yield* Resilience.bulkhead("db")
      expect(yield* Resilience.bulkhead("db", { maxConcurrent: 0 })).toBe(db)
    }).pipe(Effect.provide(Resilience.layer())))

  it.scoped("options that only a Config key makes invalid die with ResilienceConfigError", () =>
    Effect.gen(function*() {
      // BURST from Config applies only to the token bucket, which the call replaces
      const exit = yield* Effect.exit(Resilience.rateLimiter("api", { algorithm: "fixed-window" }))
      const defect = defectOf(exit)
      expect(defect).toBeInstanceOf(ResilienceConfigError)
      expect((defect as ResilienceConfigError).option).toBe("burst")
    }).pipe(Effect.provide(configured({ RESILIENCE_RATELIMITER_API_BURST: "10" }))))
})

describe("Resilience: listings and publish", () => {
  it.scoped("circuitBreakers and bulkheads list the instances created so far, oldest first", () =>
    Effect.gen(function*() {
      expect(yield* Resilience.circuitBreakers).toEqual([])
      const a = yield* Resilience.circuitBreaker("a")
      const b = yield* Resilience.circuitBreaker("b")
      yield* Resilience.circuitBreaker("a")
      const db = yield* Resilience.bulkhead("db")
      yield* Resilience.rateLimiter("api")
      expect(yield* Resilience.circuitBreakers).toEqual([a, b])
      expect(yield* Resilience.bulkheads).toEqual([db])
      const registry = yield* Resilience.Resilience
      expect((yield* registry.circuitBreakers).map((breaker) => breaker.name)).toEqual(["a", "b"])
    }).pipe(Effect.provide(Resilience.layer())))

  it.scoped("publish reaches the registry's subscribers", () =>
    Effect.gen(function*() {
      const events: Array<ResilienceEvent> = []
      yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (event) => Effect.sync(() => events.push(event))))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      const down = ResilienceEvent.StoreUnavailable({ policyName: "redis:app:", store: "redis", error: "down", at: 1 })
      const phase = ResilienceEvent.ShutdownPhase({ policyName: "shutdown", phase: "refusing", inFlight: 2, at: 5 })
      yield* Resilience.publish(down)
      yield* Resilience.publish(phase)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(events).toEqual([down, phase])
    }).pipe(Effect.provide(Resilience.layer())))

  it.effect("publish does nothing without a registry, or with events off", () =>
    Effect.gen(function*() {
      const event = ResilienceEvent.StoreRecovered({ policyName: "redis:app:", store: "redis", at: 1 })
      yield* Resilience.publish(event)
      yield* Resilience.publish(event).pipe(Effect.provide(Resilience.layer({ events: false })))
    }))
})

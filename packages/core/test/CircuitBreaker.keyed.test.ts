import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"
import { metricState, metricValue } from "./utils/metrics.js"

const fail = Effect.fail("boom")
const start = <A, E>(effect: Effect.Effect<A, E>) => Effect.zipLeft(Effect.fork(effect), Effect.yieldNow())

describe("CircuitBreaker.keyed", () => {
  it.scoped("one breaker per key: a failing key opens alone, and its rejections carry the key", () =>
    Effect.gen(function*() {
      const perHost = yield* CircuitBreaker.keyed({
        name: "http",
        trip: CircuitBreaker.consecutive(2),
        breakDuration: "10 seconds"
      })
      expect(perHost.name).toBe("http")
      for (let i = 0; i < 2; i++) yield* fail.pipe(perHost.protect("a"), Effect.ignore)
      const error = yield* Effect.void.pipe(perHost.protect("a"), Effect.flip)
      expect(error).toBeInstanceOf(CircuitBreaker.CircuitBreakerOpen)
      expect(error).toMatchObject({ policyName: "http", key: "a", state: "Open" })
      expect(Duration.toMillis(error.retryAfter)).toBe(10_000)
      expect(yield* Effect.succeed(1).pipe(perHost.protect("b"))).toBe(1)
      const a = yield* perHost.get("a")
      expect(a.name).toBe("http")
      expect(yield* a.state).toBe("Open")
      expect(yield* perHost.get("a")).toBe(a)
      expect(yield* (yield* perHost.get("b")).state).toBe("Closed")
      expect(yield* perHost.size).toBe(2)
    }))

  it.scoped("beyond maxKeys, a breaker with no recorded call goes first, then the least recently used", () =>
    Effect.gen(function*() {
      const perKey = yield* CircuitBreaker.keyed({ maxKeys: 2 })
      yield* Effect.void.pipe(perKey.protect("a")) // a has a recorded call
      const b = yield* perKey.get("b") // b has none
      yield* TestClock.adjust("1 second")
      yield* Effect.void.pipe(perKey.protect("c")) // evicts b, although a is older
      expect(yield* perKey.size).toBe(2)
      expect(yield* perKey.get("b")).not.toBe(b) // evicts the least recently used: a
      const c = yield* perKey.get("c")
      yield* Effect.void.pipe(perKey.protect("b"))
      yield* Effect.void.pipe(perKey.protect("d")) // b and c recorded; c is older
      expect(yield* perKey.size).toBe(2)
      expect(yield* perKey.get("c")).not.toBe(c)
    }))

  it.scoped("never forgets an Open, HalfOpen or Isolated breaker; beyond maxKeys only while none can go", () =>
    Effect.gen(function*() {
      const perKey = yield* CircuitBreaker.keyed({
        trip: CircuitBreaker.consecutive(1),
        breakDuration: "1 second",
        maxKeys: 2
      })
      yield* fail.pipe(perKey.protect("open"), Effect.ignore)
      const isolated = yield* perKey.get("isolated")
      yield* isolated.isolate
      const open = yield* perKey.get("open")
      yield* Effect.void.pipe(perKey.protect("x"))
      expect(yield* perKey.size).toBe(3)
      expect(yield* perKey.get("open")).toBe(open)
      expect(yield* perKey.get("isolated")).toBe(isolated)
      // the break passes: HalfOpen is kept too
      yield* TestClock.adjust("1 second")
      expect(yield* open.state).toBe("HalfOpen")
      yield* Effect.void.pipe(perKey.protect("y"))
      expect(yield* perKey.get("open")).toBe(open)
      expect(yield* perKey.get("isolated")).toBe(isolated)
      expect(yield* perKey.size).toBe(3)
      // a successful probe closes it: the map is over its bound, so it goes at once
      yield* Effect.void.pipe(perKey.protect("open"))
      expect(yield* perKey.size).toBe(2)
      expect(yield* perKey.get("isolated")).toBe(isolated)
      yield* isolated.reset
      expect(yield* perKey.size).toBe(2)
    }))

  it.scoped("idle Closed keys are dropped after idleTimeout; an Open one stays", () =>
    Effect.gen(function*() {
      const perKey = yield* CircuitBreaker.keyed({
        trip: CircuitBreaker.consecutive(1),
        breakDuration: "1 hour",
        idleTimeout: "1 minute"
      })
      yield* Effect.void.pipe(perKey.protect("a"))
      yield* fail.pipe(perKey.protect("down"), Effect.ignore)
      const down = yield* perKey.get("down")
      yield* TestClock.adjust("30 seconds")
      yield* Effect.void.pipe(perKey.protect("b"))
      yield* TestClock.adjust("30 seconds")
      expect(yield* perKey.size).toBe(2) // a dropped; b and down held
      yield* TestClock.adjust("1 minute")
      expect(yield* perKey.size).toBe(1)
      expect(yield* perKey.get("down")).toBe(down)
    }))

  it.scoped("interruption: never recorded, and an interrupted probe frees its slot", () =>
    Effect.gen(function*() {
      const perKey = yield* CircuitBreaker.keyed({
        trip: CircuitBreaker.consecutive(1),
        breakDuration: "1 second",
        maxKeys: 2
      })
      // an interrupted Closed call records nothing: its key stays fresh and goes first
      const call = yield* start(Effect.never.pipe(perKey.protect("fresh")))
      yield* Fiber.interrupt(call)
      yield* Effect.void.pipe(perKey.protect("used"))
      const used = yield* perKey.get("used")
      yield* Effect.void.pipe(perKey.protect("new"))
      expect(yield* perKey.get("used")).toBe(used)
      // an interrupted probe
      yield* fail.pipe(perKey.protect("used"), Effect.ignore)
      yield* TestClock.adjust("1 second")
      const probe = yield* start(Effect.never.pipe(perKey.protect("used")))
      const busy = yield* Effect.void.pipe(perKey.protect("used"), Effect.flip)
      expect(busy).toMatchObject({ state: "HalfOpen", key: "used" })
      yield* Fiber.interrupt(probe)
      yield* Effect.void.pipe(perKey.protect("used"))
      expect(yield* used.state).toBe("Closed")
    }))

  it.scoped("concurrent first uses of a key make one breaker", () =>
    Effect.gen(function*() {
      const perKey = yield* CircuitBreaker.keyed({})
      const breakers = yield* Effect.all(Array.from({ length: 20 }, () => perKey.get("k")), {
        concurrency: "unbounded"
      })
      expect(new Set(breakers).size).toBe(1)
      expect(yield* perKey.size).toBe(1)
    }))

  it.scoped("a subscription to a forgotten breaker's changes ends", () =>
    Effect.gen(function*() {
      const perKey = yield* CircuitBreaker.keyed({ maxKeys: 1 })
      const a = yield* perKey.get("a")
      const ended = yield* Deferred.make<void>()
      yield* Effect.forkScoped(Effect.zipRight(Stream.runDrain(a.changes), Deferred.succeed(ended, undefined)))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      yield* perKey.get("b")
      yield* Deferred.await(ended)
    }))

  it.scoped("a store opens one state per key: its Config carries the keyed instance's name and the key", () =>
    Effect.gen(function*() {
      const opened: Array<CircuitBreaker.Store.Config> = []
      const memory = CircuitBreaker.memoryStore()
      const perKey = yield* CircuitBreaker.keyed({
        name: "http",
        trip: CircuitBreaker.consecutive(1),
        store: (config) => {
          opened.push(config)
          return memory(config)
        }
      })
      yield* Effect.fail("x").pipe(perKey.protect("a"), Effect.ignore)
      yield* Effect.void.pipe(perKey.protect("b"))
      expect(opened.map((config) => [config.name, config.key])).toEqual([["http", "a"], ["http", "b"]])
      expect(yield* (yield* perKey.get("a")).state).toBe("Open")
      expect(yield* (yield* perKey.get("b")).state).toBe("Closed")
    }))

  it("bad options throw ResilienceConfigError when keyed is called", () => {
    expectConfigError(() => CircuitBreaker.keyed({ maxKeys: 0 }), "maxKeys")
    expectConfigError(() => CircuitBreaker.keyed({ maxKeys: 1.5 }), "maxKeys")
    expectConfigError(() => CircuitBreaker.keyed({ idleTimeout: -5 }), "idleTimeout")
    expectConfigError(() => CircuitBreaker.keyed({ idleTimeout: "0 millis" }), "idleTimeout")
    expectConfigError(() => CircuitBreaker.keyed({ halfOpenMaxCalls: 0 }), "halfOpenMaxCalls")
    expectConfigError(() => CircuitBreaker.keyed({ breakDuration: "-5 millis" }), "breakDuration")
  })
})

describe("CircuitBreaker.keyed under the registry", () => {
  it.scoped("events carry the key; metrics are labelled with the keyed instance's name only", () =>
    Effect.gen(function*() {
      const events: Array<ResilienceEvent> = []
      yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (event) => Effect.sync(() => events.push(event))))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      const perHost = yield* CircuitBreaker.keyed({ name: "k-http", trip: CircuitBreaker.consecutive(1) })
      yield* fail.pipe(perHost.protect("h1"), Effect.ignore)
      yield* Effect.void.pipe(perHost.protect("h1"), Effect.ignore)
      yield* Effect.void.pipe(perHost.protect("h2"))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(events).toMatchObject([
        { _tag: "CircuitBreakerTransition", policyName: "k-http", key: "h1", from: "Closed", to: "Open" },
        { _tag: "CallRejected", policyName: "k-http", key: "h1", policy: "CircuitBreaker", reason: "Open" }
      ])
      expect(yield* metricValue("resilience_calls_total", { name: "k-http", outcome: "success" })).toBe(1)
      expect(yield* metricValue("resilience_calls_total", { name: "k-http", outcome: "rejected" })).toBe(1)
      expect(
        yield* metricValue("resilience_circuit_breaker_transitions_total", {
          name: "k-http",
          from: "Closed",
          to: "Open"
        })
      ).toBe(1)
      // no key ever becomes a label
      expect(yield* metricState("resilience_calls_total", { key: "h1" })).toBeUndefined()
    }).pipe(Effect.provide(Resilience.layer())))
})

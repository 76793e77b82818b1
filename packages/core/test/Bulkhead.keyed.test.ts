import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"
import { metricState, metricValue } from "./utils/metrics.js"

const start = <A, E>(effect: Effect.Effect<A, E>) => Effect.zipLeft(Effect.fork(effect), Effect.yieldNow())

describe("Bulkhead.keyed", () => {
  it.scoped("one bulkhead per key, each with the limits; rejections carry the key", () =>
    Effect.gen(function*() {
      const perTenant = yield* Bulkhead.keyed({ name: "tenants", maxConcurrent: 1 })
      expect(perTenant.name).toBe("tenants")
      const gate = yield* Deferred.make<void>()
      const a = yield* start(Deferred.await(gate).pipe(perTenant.protect("a")))
      const full = yield* Effect.void.pipe(perTenant.protect("a"), Effect.flip)
      expect(full).toBeInstanceOf(Bulkhead.BulkheadRejected)
      expect(full).toMatchObject({ policyName: "tenants", key: "a", reason: "Full" })
      expect(full.message).toBe("Bulkhead \"tenants\" for key \"a\" is full")
      expect(yield* Effect.succeed(2).pipe(perTenant.protect("b"))).toBe(2)
      const bulkhead = yield* perTenant.get("a")
      expect(bulkhead.name).toBe("tenants")
      expect(yield* bulkhead.stats).toMatchObject({ active: 1, queued: 0, maxConcurrent: 1 })
      expect(yield* perTenant.get("a")).toBe(bulkhead)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(a)
      expect(yield* perTenant.size).toBe(2)
    }))

  it.scoped("never forgets a bulkhead with active or queued calls; idle ones go least recently used first", () =>
    Effect.gen(function*() {
      const perKey = yield* Bulkhead.keyed({ maxConcurrent: 1, maxQueue: 1, maxKeys: 2 })
      const gate = yield* Deferred.make<void>()
      const active = yield* start(Deferred.await(gate).pipe(perKey.protect("busy")))
      const queued = yield* start(Deferred.await(gate).pipe(perKey.protect("busy")))
      const busy = yield* perKey.get("busy")
      yield* Effect.void.pipe(perKey.protect("idle-1"))
      yield* TestClock.adjust("1 second")
      yield* Effect.void.pipe(perKey.protect("idle-2")) // evicts idle-1, never busy
      expect(yield* perKey.size).toBe(2)
      expect(yield* perKey.get("busy")).toBe(busy)
      // the active call is interrupted: the queued one takes its permit, still busy
      yield* Fiber.interrupt(active)
      expect(yield* busy.stats).toMatchObject({ active: 1, queued: 0 })
      yield* Effect.void.pipe(perKey.protect("idle-3")) // evicts idle-2
      expect(yield* perKey.get("busy")).toBe(busy)
      expect(yield* perKey.size).toBe(2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(queued)
      // now idle: the least recently used idle key goes
      yield* Effect.void.pipe(perKey.protect("idle-4"))
      expect(yield* perKey.get("idle-3")).toBeDefined()
      expect(yield* perKey.size).toBe(2)
    }))

  it.scoped("beyond maxKeys only while the others are busy; back within bounds once they finish", () =>
    Effect.gen(function*() {
      const perKey = yield* Bulkhead.keyed({ maxConcurrent: 1, maxKeys: 2 })
      const gate = yield* Deferred.make<void>()
      const calls = yield* Effect.forEach(["a", "b"], (key) => start(Deferred.await(gate).pipe(perKey.protect(key))))
      yield* Effect.void.pipe(perKey.protect("c"))
      yield* Effect.void.pipe(perKey.protect("d"))
      expect(yield* perKey.size).toBe(3) // a and b busy, and the newest key
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(calls)
      expect(yield* perKey.size).toBe(2)
    }))

  it.scoped("interruption leaks no slot: an interrupted queued or active call frees the key", () =>
    Effect.gen(function*() {
      const perKey = yield* Bulkhead.keyed({ maxConcurrent: 1, maxQueue: 2, maxKeys: 1 })
      const running = yield* start(Effect.never.pipe(perKey.protect("a")))
      const waiting = yield* start(Effect.never.pipe(perKey.protect("a")))
      const a = yield* perKey.get("a")
      expect(yield* a.stats).toMatchObject({ active: 1, queued: 1 })
      yield* Fiber.interrupt(waiting)
      yield* Fiber.interrupt(running)
      expect(yield* a.stats).toMatchObject({ active: 0, queued: 0 })
      yield* Effect.void.pipe(perKey.protect("b"))
      expect(yield* perKey.size).toBe(1)
      expect(yield* perKey.get("a")).not.toBe(a)
    }))

  it.scoped("queueTimeout applies per key, on the Clock", () =>
    Effect.gen(function*() {
      const perKey = yield* Bulkhead.keyed({ name: "q", maxConcurrent: 1, maxQueue: 1, queueTimeout: "1 second" })
      yield* start(Effect.never.pipe(perKey.protect("a")))
      const waiter = yield* start(Effect.void.pipe(perKey.protect("a")))
      yield* TestClock.adjust("1001 millis")
      const exit = yield* Fiber.await(waiter)
      expect(exit).toStrictEqual(
        Exit.fail(new Bulkhead.BulkheadRejected({ policyName: "q", key: "a", reason: "QueueTimeout" }))
      )
    }))

  it.scoped("idle keys are dropped after idleTimeout; busy ones stay", () =>
    Effect.gen(function*() {
      const perKey = yield* Bulkhead.keyed({ maxConcurrent: 1, idleTimeout: "1 minute" })
      yield* Effect.void.pipe(perKey.protect("idle"))
      const busy = yield* start(Effect.never.pipe(perKey.protect("busy")))
      yield* TestClock.adjust("2 minutes")
      expect(yield* perKey.size).toBe(1)
      yield* Fiber.interrupt(busy)
      yield* TestClock.adjust("2 minutes")
      expect(yield* perKey.size).toBe(0)
    }))

  it.effect("when the Scope closes, every key's bulkhead is closed", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const perKey = yield* Bulkhead.keyed({ maxConcurrent: 1, maxQueue: 1, queueTimeout: "1 minute" }).pipe(
        Scope.extend(scope)
      )
      const a = yield* perKey.get("a")
      const running = yield* start(Effect.never.pipe(a.protect))
      const waiting = yield* start(Effect.void.pipe(a.protect))
      yield* Scope.close(scope, Exit.void)
      expect(yield* Fiber.await(waiting)).toStrictEqual(
        Exit.fail(new Bulkhead.BulkheadRejected({ policyName: a.name, key: "a", reason: "Closed" }))
      )
      const after = yield* Effect.void.pipe(a.protect, Effect.flip)
      expect(after.reason).toBe("Closed")
      yield* Fiber.interrupt(running)
    }))

  it("bad options throw ResilienceConfigError when keyed is called", () => {
    expectConfigError(() => Bulkhead.keyed({ maxConcurrent: 0 }), "maxConcurrent")
    expectConfigError(() => Bulkhead.keyed({ maxConcurrent: 1, maxKeys: -1 }), "maxKeys")
    expectConfigError(() => Bulkhead.keyed({ maxConcurrent: 1, idleTimeout: Number.NaN }), "idleTimeout")
    expectConfigError(() => Bulkhead.keyed(undefined as never), "options")
  })
})

describe("Bulkhead.keyed under the registry", () => {
  it.scoped("events carry the key; gauges sum every key's levels under the keyed instance's name", () =>
    Effect.gen(function*() {
      const events: Array<ResilienceEvent> = []
      yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (event) => Effect.sync(() => events.push(event))))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      const perKey = yield* Bulkhead.keyed({ name: "k-bh", maxConcurrent: 1, maxQueue: 1 })
      const calls = yield* Effect.forEach(["a", "a", "b"], (key) => start(Effect.never.pipe(perKey.protect(key))))
      expect(yield* metricValue("resilience_bulkhead_active", { name: "k-bh" })).toBe(2)
      expect(yield* metricValue("resilience_bulkhead_queued", { name: "k-bh" })).toBe(1)
      const queued = yield* start(Effect.void.pipe(perKey.protect("b"))) // queued behind b's call
      yield* Effect.void.pipe(perKey.protect("b"), Effect.ignore) // full
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(events.filter((e) => e._tag === "CallRejected")).toMatchObject([
        { policyName: "k-bh", key: "b", policy: "Bulkhead", reason: "Full" }
      ])
      expect(yield* metricValue("resilience_bulkhead_queued", { name: "k-bh" })).toBe(2)
      yield* Fiber.interruptAll([...calls, queued])
      expect(yield* metricValue("resilience_bulkhead_active", { name: "k-bh" })).toBe(0)
      expect(yield* metricValue("resilience_bulkhead_queued", { name: "k-bh" })).toBe(0)
      expect(yield* metricState("resilience_bulkhead_active", { key: "a" })).toBeUndefined()
    }).pipe(Effect.provide(Resilience.layer())))
})

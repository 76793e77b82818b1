import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { type CallOutcome, ObserverTag } from "../src/internal/observer.js"
import { effectfulStore } from "./utils/circuitBreaker.js"

type Breaker = CircuitBreaker.CircuitBreaker
type Options = CircuitBreaker.CircuitBreaker.Options

// --- helpers ---------------------------------------------------------------------------------

const succeed = (breaker: Breaker) => breaker.protect(Effect.succeed("ok"))
const fail = (breaker: Breaker) => breaker.protect(Effect.fail("boom")).pipe(Effect.either)
const failTimes = (breaker: Breaker, n: number) => Effect.repeatN(fail(breaker), n - 1)

/** The rejection of a call that must be rejected. */
const rejection = (breaker: Breaker) =>
  Effect.gen(function*() {
    let ran = false
    const error = yield* breaker.protect(Effect.sync(() => (ran = true))).pipe(Effect.flip)
    expect(ran).toBe(false)
    expect(error._tag).toBe("CircuitBreakerOpen")
    return error as CircuitBreaker.CircuitBreakerOpen
  })

const settle = Effect.repeatN(Effect.yieldNow(), 4)

/** Subscribes to `changes` for the rest of the scope. */
const listen = (breaker: Breaker) =>
  Effect.gen(function*() {
    const seen: Array<CircuitBreaker.Transition> = []
    yield* breaker.changes.pipe(Stream.runForEach((t) => Effect.sync(() => seen.push(t))), Effect.forkScoped)
    yield* settle
    return seen
  })

/** A call that runs until `gate` is completed, with its outcome. */
const gated = <A, E>(breaker: Breaker, gate: Deferred.Deferred<A, E>) =>
  breaker.protect(Deferred.await(gate)).pipe(Effect.either, Effect.fork)

const fromTo = (seen: ReadonlyArray<CircuitBreaker.Transition>) => seen.map((t) => `${t.from}>${t.to}@${t.at}`)

const backends: ReadonlyArray<readonly [string, Options]> = [
  ["in-memory store", {}],
  ["effectful store", { store: effectfulStore }]
]

// --- the contract, against every store --------------------------------------------------------

describe.each(backends)("CircuitBreaker (%s)", (_, backend) => {
  const make = (options: Options = {}) => CircuitBreaker.make({ ...backend, ...options })

  describe("make and protect", () => {
    it.scoped("defaults: consecutive(5), 30 seconds, one probe, a generated name", () =>
      Effect.gen(function*() {
        const breaker = yield* make()
        expect(breaker.name).toMatch(/^circuit-breaker-\d+$/)
        expect(yield* breaker.state).toBe("Closed")
        yield* failTimes(breaker, 4)
        expect(yield* breaker.state).toBe("Closed")
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open")
        expect((yield* rejection(breaker)).retryAfter).toEqual(Duration.seconds(30))
        yield* TestClock.adjust("30 seconds")
        expect(yield* breaker.state).toBe("HalfOpen")
        const gate = yield* Deferred.make<string>()
        const probe = yield* gated(breaker, gate)
        yield* settle
        expect((yield* rejection(breaker)).state).toBe("HalfOpen")
        yield* Deferred.succeed(gate, "ok")
        expect(yield* Fiber.join(probe)).toEqual(Either.right("ok"))
        expect(yield* breaker.state).toBe("Closed")
      }))

    it.scoped("generated names differ; a given name is the error's policyName", () =>
      Effect.gen(function*() {
        const a = yield* make()
        const b = yield* make()
        expect(a.name).not.toBe(b.name)
        const named = yield* make({ name: "payments" })
        expect(named.name).toBe("payments")
        yield* named.trip
        const error = yield* rejection(named)
        expect(error.policyName).toBe("payments")
        expect(error.name).not.toBe("payments")
        expect(error).toBeInstanceOf(CircuitBreaker.CircuitBreakerOpen)
        expect(ResilienceError.isResilienceError(error)).toBe(true)
      }))

    it.scoped("protect is dual and passes successes and failures through", () =>
      Effect.gen(function*() {
        const breaker = yield* make()
        expect(yield* Effect.succeed(1).pipe(CircuitBreaker.protect(breaker))).toBe(1)
        expect(yield* CircuitBreaker.protect(Effect.succeed(2), breaker)).toBe(2)
        expect(yield* Effect.fail("e").pipe(CircuitBreaker.protect(breaker), Effect.flip)).toBe("e")
        expect(yield* Effect.succeed(3).pipe(breaker.protect)).toBe(3)
      }))

    it.effect("layer provides a breaker for the layer's lifetime", () =>
      Effect.gen(function*() {
        class Payments extends Context.Tag("Payments")<Payments, Breaker>() {}
        const live = CircuitBreaker.layer(Payments, {
          ...backend,
          name: "payments",
          trip: CircuitBreaker.consecutive(1)
        })
        const state = yield* Effect.gen(function*() {
          const breaker = yield* Payments
          yield* fail(breaker)
          return yield* breaker.state
        }).pipe(Effect.provide(live))
        expect(state).toBe("Open")
        expect(() => CircuitBreaker.layer(Payments, { halfOpenMaxCalls: 0 })).toThrow(
          ResilienceError.ResilienceConfigError
        )
        const layer: Layer.Layer<Payments> = live
        expect(Layer.isLayer(layer)).toBe(true)
      }))
  })

  describe("Closed", () => {
    it.scoped("consecutive(n) opens after n failures in a row; a success resets the count", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(3) })
        yield* failTimes(breaker, 2)
        yield* succeed(breaker)
        yield* failTimes(breaker, 2)
        expect(yield* breaker.state).toBe("Closed")
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("defects count as failures, even when isFailure rejects them", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(2), isFailure: () => false })
        yield* breaker.protect(Effect.die("defect")).pipe(Effect.exit)
        yield* breaker.protect(Effect.fail("ignored")).pipe(Effect.either)
        expect(yield* breaker.state).toBe("Closed")
        const exit = yield* breaker.protect(Effect.die("defect")).pipe(Effect.exit)
        expect(Exit.isFailure(exit)).toBe(true)
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("an ignored failure (isFailure false) counts as neither success nor failure", () =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.consecutive(2),
          isFailure: (error) => error !== "not found"
        })
        yield* fail(breaker)
        const ignored = yield* breaker.protect(Effect.fail("not found")).pipe(Effect.flip)
        expect(ignored).toBe("not found")
        expect(yield* breaker.state).toBe("Closed")
        // had it counted as a success, the count would have restarted
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("a throwing isFailure counts the call as failed", () =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.consecutive(1),
          isFailure: () => {
            throw new Error("bug in the predicate")
          }
        })
        expect(yield* breaker.protect(Effect.fail("boom")).pipe(Effect.flip)).toBe("boom")
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("interruption is never recorded: neither a failure nor a success", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(2) })
        yield* fail(breaker)
        const fiber = yield* breaker.protect(Effect.never).pipe(Effect.fork)
        yield* settle
        yield* Fiber.interrupt(fiber)
        yield* breaker.protect(Effect.interrupt).pipe(Effect.exit)
        expect(yield* breaker.state).toBe("Closed")
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("failureRate over calls: no decision before minimumCalls, evaluated after successes too", () =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 4, window: { calls: 4 } })
        })
        yield* failTimes(breaker, 3)
        expect(yield* breaker.state).toBe("Closed")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("failureRate over calls: opens at exactly the threshold", () =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.failureRate({ threshold: 0.3, minimumCalls: 10, window: { calls: 10 } })
        })
        yield* Effect.repeatN(succeed(breaker), 6)
        yield* failTimes(breaker, 2)
        expect(yield* breaker.state).toBe("Closed") // 2 of 9
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open") // 3 of 10 = 0.3
      }))

    it.scoped("failureRate over calls: the window slides", () =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 4, window: { calls: 4 } })
        })
        yield* fail(breaker)
        yield* Effect.repeatN(succeed(breaker), 4) // the failure has left the window
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Closed") // 1 of 4
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open") // 2 of 4
      }))

    it.scoped("failureRate over time: calls leave the window with their bucket", () =>
      Effect.gen(function*() {
        const trip = CircuitBreaker.failureRate({
          threshold: 1,
          minimumCalls: 2,
          window: { duration: "10 seconds", buckets: 10 }
        })
        const a = yield* make({ trip })
        const b = yield* make({ trip })
        yield* fail(a)
        yield* fail(b)
        yield* TestClock.adjust("9 seconds")
        yield* fail(a) // the first failure's bucket is still in the window
        expect(yield* a.state).toBe("Open")
        yield* TestClock.adjust("1 second")
        yield* fail(b) // the first failure has left it
        expect(yield* b.state).toBe("Closed")
        yield* fail(b)
        expect(yield* b.state).toBe("Open")
      }))

    it.scoped("failureRate over time: 10 buckets by default, minimumCalls applies", () =>
      Effect.gen(function*() {
        const trip = CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 3, window: { duration: "1 second" } })
        expect(trip.window).toEqual({ duration: Duration.seconds(1), buckets: 10 })
        const breaker = yield* make({ trip })
        yield* failTimes(breaker, 2)
        expect(yield* breaker.state).toBe("Closed")
        yield* TestClock.adjust("950 millis")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Open") // 2 of 3
      }))

    it.scoped("slow calls (longer than duration, on the Clock) open at slowCall.rate", () =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.failureRate({ threshold: 1, minimumCalls: 2, window: { calls: 2 } }),
          slowCall: { duration: "1 second", rate: 0.5 }
        })
        const call = (millis: number) =>
          Effect.gen(function*() {
            const fiber = yield* breaker.protect(Effect.sleep(Duration.millis(millis))).pipe(Effect.fork)
            yield* TestClock.adjust(Duration.millis(millis))
            yield* Fiber.join(fiber)
          })
        yield* call(1000) // exactly the duration: not slow
        yield* call(10)
        expect(yield* breaker.state).toBe("Closed")
        yield* call(1001) // slow: 1 of 2
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("a slow failure counts both as a failure and as slow", () =>
      Effect.gen(function*() {
        const slowFailure = (breaker: Breaker) =>
          Effect.gen(function*() {
            const fiber = yield* breaker.protect(Effect.zipRight(Effect.sleep("2 seconds"), Effect.fail("boom"))).pipe(
              Effect.either,
              Effect.fork
            )
            yield* TestClock.adjust("2 seconds")
            yield* Fiber.join(fiber)
          })
        const window = { calls: 2 }
        // counted as slow: the slow rate opens it
        const bySlow = yield* make({
          trip: CircuitBreaker.failureRate({ threshold: 1, minimumCalls: 2, window }),
          slowCall: { duration: "1 second", rate: 0.5 }
        })
        yield* succeed(bySlow)
        yield* slowFailure(bySlow)
        expect(yield* bySlow.state).toBe("Open")
        // counted as a failure: the failure rate opens it
        const byFailure = yield* make({
          trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 2, window }),
          slowCall: { duration: "1 second", rate: 1 }
        })
        yield* succeed(byFailure)
        yield* slowFailure(byFailure)
        expect(yield* byFailure.state).toBe("Open")
      }))
  })

  describe("Open", () => {
    it.scoped("rejects at once, never running the call, with retryAfter shrinking as time passes", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "10 seconds" })
        yield* fail(breaker)
        const first = yield* rejection(breaker)
        expect(first.state).toBe("Open")
        expect(first.retryAfter).toEqual(Duration.seconds(10))
        yield* TestClock.adjust("3 seconds")
        expect((yield* rejection(breaker)).retryAfter).toEqual(Duration.seconds(7))
        yield* TestClock.adjust("6999 millis")
        expect((yield* rejection(breaker)).retryAfter).toEqual(Duration.millis(1))
      }))

    it.scoped("the first call at openedAt + breakDuration is admitted as a probe", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "10 seconds" })
        yield* TestClock.adjust("5 seconds")
        yield* fail(breaker) // opened at 5000
        yield* TestClock.adjust("9999 millis")
        yield* rejection(breaker)
        yield* TestClock.adjust("1 millis")
        expect(yield* succeed(breaker)).toBe("ok")
        expect(yield* breaker.state).toBe("Closed")
      }))

    it.scoped("state reads HalfOpen once the break has passed, with no traffic and no timer", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "1 second" })
        const seen = yield* listen(breaker)
        yield* fail(breaker)
        yield* TestClock.adjust("5 seconds")
        yield* settle
        // nothing observed the end of the break yet: nothing published
        expect(fromTo(seen)).toEqual(["Closed>Open@0"])
        expect(yield* breaker.state).toBe("HalfOpen")
        yield* settle
        // published when first observed, stamped with the moment the break ended
        expect(fromTo(seen)).toEqual(["Closed>Open@0", "Open>HalfOpen@1000"])
        expect(yield* breaker.state).toBe("HalfOpen")
        yield* settle
        expect(seen).toHaveLength(2)
      }))

    it.scoped("a call observing the end of the break publishes Open → HalfOpen stamped openedAt + breakDuration", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "1 second" })
        const seen = yield* listen(breaker)
        yield* TestClock.adjust("100 millis")
        yield* fail(breaker)
        yield* TestClock.adjust("3 seconds")
        yield* succeed(breaker)
        yield* settle
        expect(fromTo(seen)).toEqual(["Closed>Open@100", "Open>HalfOpen@1100", "HalfOpen>Closed@3100"])
        expect(seen.every((t) => t.name === breaker.name)).toBe(true)
      }))
  })

  describe("HalfOpen", () => {
    const halfOpen = (halfOpenMaxCalls: number, options: Options = {}) =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.consecutive(1),
          breakDuration: "1 second",
          halfOpenMaxCalls,
          ...options
        })
        yield* fail(breaker)
        yield* TestClock.adjust("1 second")
        return breaker
      })

    it.scoped("concurrent callers: exactly halfOpenMaxCalls probes run, the rest are rejected and never run", () =>
      Effect.gen(function*() {
        const breaker = yield* halfOpen(3)
        const gate = yield* Deferred.make<void>()
        let runs = 0
        const call = breaker.protect(Effect.zipRight(Effect.sync(() => runs++), Deferred.await(gate)))
        const all = yield* Effect.all(Array.from({ length: 10 }, () => Effect.either(call)), {
          concurrency: "unbounded"
        }).pipe(Effect.fork)
        yield* settle
        expect(runs).toBe(3)
        yield* Deferred.succeed(gate, undefined)
        const results = yield* Fiber.join(all)
        expect(runs).toBe(3)
        expect(results.filter(Either.isRight)).toHaveLength(3)
        const rejected = results.filter(Either.isLeft).map((e) => e.left)
        expect(rejected).toHaveLength(7)
        for (const error of rejected) {
          expect(error.state).toBe("HalfOpen")
          expect(error.retryAfter).toEqual(Duration.zero)
        }
        expect(yield* breaker.state).toBe("Closed")
      }))

    it.scoped("closes once halfOpenMaxCalls probes have succeeded, one slot at a time", () =>
      Effect.gen(function*() {
        const breaker = yield* halfOpen(2)
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("HalfOpen")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Closed")
      }))

    it.scoped("re-opens on the first failed probe, for the next break", () =>
      Effect.gen(function*() {
        const breaker = yield* halfOpen(3)
        yield* succeed(breaker)
        yield* TestClock.adjust("200 millis")
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open")
        expect((yield* rejection(breaker)).retryAfter).toEqual(Duration.seconds(1))
      }))

    it.scoped("an interrupted probe frees its slot without a verdict", () =>
      Effect.gen(function*() {
        const breaker = yield* halfOpen(1)
        const probe = yield* breaker.protect(Effect.never).pipe(Effect.fork)
        yield* settle
        expect((yield* rejection(breaker)).state).toBe("HalfOpen")
        yield* Fiber.interrupt(probe)
        expect(yield* breaker.state).toBe("HalfOpen")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Closed")
      }))

    it.scoped("a probe interrupted before it starts running frees its slot", () =>
      Effect.gen(function*() {
        const breaker = yield* halfOpen(1)
        // interrupted while the caller is still running the probe's first step
        const fiber = yield* breaker.protect(Effect.interrupt).pipe(Effect.exit, Effect.fork)
        const exit = yield* Fiber.join(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(yield* breaker.state).toBe("HalfOpen")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Closed")
      }))

    it.scoped("an ignored failure frees its probe slot without a verdict", () =>
      Effect.gen(function*() {
        const breaker = yield* halfOpen(1, { isFailure: (e) => e !== "ignored" })
        yield* breaker.protect(Effect.fail("ignored")).pipe(Effect.either)
        expect(yield* breaker.state).toBe("HalfOpen")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Closed")
      }))

    it.scoped("a defective probe re-opens the breaker", () =>
      Effect.gen(function*() {
        const breaker = yield* halfOpen(1, { isFailure: () => false })
        yield* breaker.protect(Effect.die("bug")).pipe(Effect.exit)
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("counts start afresh after closing", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(3), breakDuration: "1 second" })
        yield* failTimes(breaker, 3)
        yield* TestClock.adjust("1 second")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Closed")
        yield* failTimes(breaker, 2)
        expect(yield* breaker.state).toBe("Closed")
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("counts start afresh after closing (failureRate)", () =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 2, window: { calls: 4 } }),
          breakDuration: "1 second"
        })
        yield* failTimes(breaker, 2)
        yield* TestClock.adjust("1 second")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Closed")
        yield* fail(breaker) // 1 of 1: below minimumCalls, the old failures are gone
        expect(yield* breaker.state).toBe("Closed")
      }))
  })

  describe("generations", () => {
    it.scoped("a call admitted before a transition does not count after it", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "1 second" })
        const gate = yield* Deferred.make<string>()
        const early = yield* gated(breaker, gate) // admitted while Closed
        yield* settle
        yield* breaker.trip
        yield* TestClock.adjust("1 second")
        expect(yield* breaker.state).toBe("HalfOpen")
        yield* Deferred.succeed(gate, "late")
        expect(yield* Fiber.join(early)).toEqual(Either.right("late"))
        // its success is not a probe's success
        expect(yield* breaker.state).toBe("HalfOpen")
      }))

    it.scoped("a failure admitted before a close does not count after it", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "1 second" })
        const gate = yield* Deferred.make<string, string>()
        const early = yield* gated(breaker, gate)
        yield* settle
        yield* breaker.trip
        yield* breaker.reset
        yield* Deferred.fail(gate, "late failure")
        yield* Fiber.join(early)
        expect(yield* breaker.state).toBe("Closed")
      }))

    it.scoped("a probe of an earlier half-open period does not count", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "1 second" })
        yield* breaker.trip
        yield* TestClock.adjust("1 second")
        const gate = yield* Deferred.make<string, string>()
        const probe = yield* gated(breaker, gate)
        yield* settle
        yield* breaker.trip
        yield* TestClock.adjust("1 second")
        yield* Deferred.fail(gate, "late failure")
        yield* Fiber.join(probe)
        expect(yield* breaker.state).toBe("HalfOpen")
        yield* succeed(breaker)
        expect(yield* breaker.state).toBe("Closed")
      }))
  })

  describe("breakDuration as a Schedule", () => {
    it.scoped("successive delays while re-opening, the last repeating, restarted by a close", () =>
      Effect.gen(function*() {
        const breaker = yield* make({
          trip: CircuitBreaker.consecutive(1),
          breakDuration: Schedule.fromDelays("1 second", "2 seconds", "4 seconds")
        })
        const retryAfter = Effect.map(rejection(breaker), (e) => Duration.toMillis(e.retryAfter))
        yield* fail(breaker)
        expect(yield* retryAfter).toBe(1000)
        yield* TestClock.adjust("1 second")
        yield* fail(breaker)
        expect(yield* retryAfter).toBe(2000)
        yield* TestClock.adjust("2 seconds")
        yield* fail(breaker)
        expect(yield* retryAfter).toBe(4000)
        yield* TestClock.adjust("4 seconds")
        yield* fail(breaker)
        expect(yield* retryAfter).toBe(4000) // the schedule has ended: its last delay repeats
        yield* TestClock.adjust("4 seconds")
        yield* fail(breaker)
        expect(yield* retryAfter).toBe(4000)
        yield* TestClock.adjust("4 seconds")
        yield* succeed(breaker) // closes: the schedule restarts
        yield* fail(breaker)
        expect(yield* retryAfter).toBe(1000)
        yield* TestClock.adjust("1 second")
        yield* fail(breaker)
        expect(yield* retryAfter).toBe(2000)
      }))

    it.scoped("a schedule that ends before its first delay gives the default break", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: Schedule.recurs(0) })
        yield* breaker.trip
        expect((yield* rejection(breaker)).retryAfter).toEqual(Duration.seconds(30))
      }))

    it.scoped("exponential schedules grow, trip takes the next delay, reset restarts", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: Schedule.exponential("100 millis") })
        const retryAfter = Effect.map(rejection(breaker), (e) => Duration.toMillis(e.retryAfter))
        yield* breaker.trip
        expect(yield* retryAfter).toBe(100)
        yield* breaker.trip
        expect(yield* retryAfter).toBe(200)
        yield* breaker.trip
        expect(yield* retryAfter).toBe(400)
        yield* breaker.reset
        yield* breaker.trip
        expect(yield* retryAfter).toBe(100)
      }))
  })

  describe("manual control", () => {
    it.scoped("trip opens now with the next break, from Closed and from HalfOpen", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "10 seconds" })
        const seen = yield* listen(breaker)
        yield* TestClock.adjust("1 second")
        yield* breaker.trip
        expect(yield* breaker.state).toBe("Open")
        expect((yield* rejection(breaker)).retryAfter).toEqual(Duration.seconds(10))
        yield* TestClock.adjust("10 seconds")
        yield* breaker.trip // observes HalfOpen, then opens again
        yield* settle
        expect(fromTo(seen)).toEqual(["Closed>Open@1000", "Open>HalfOpen@11000", "HalfOpen>Open@11000"])
      }))

    it.scoped("trip while Open restarts the break and publishes nothing", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "10 seconds" })
        const seen = yield* listen(breaker)
        yield* breaker.trip
        yield* TestClock.adjust("4 seconds")
        yield* breaker.trip
        expect((yield* rejection(breaker)).retryAfter).toEqual(Duration.seconds(10))
        yield* settle
        expect(fromTo(seen)).toEqual(["Closed>Open@0"])
      }))

    it.scoped("trip has no effect while Isolated", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "1 second" })
        yield* breaker.isolate
        const seen = yield* listen(breaker)
        yield* breaker.trip
        expect(yield* breaker.state).toBe("Isolated")
        yield* settle
        expect(seen).toEqual([])
      }))

    it.scoped("isolate holds the breaker open until reset, rejecting with Isolated and a zero retryAfter", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "1 second" })
        const seen = yield* listen(breaker)
        yield* breaker.isolate
        yield* breaker.isolate
        yield* TestClock.adjust("1 hour")
        expect(yield* breaker.state).toBe("Isolated")
        const error = yield* rejection(breaker)
        expect(error.state).toBe("Isolated")
        expect(error.retryAfter).toEqual(Duration.zero)
        expect(ResilienceError.isPermanentRejection(error)).toBe(true)
        yield* breaker.reset
        expect(yield* breaker.state).toBe("Closed")
        expect(yield* succeed(breaker)).toBe("ok")
        yield* settle
        expect(fromTo(seen)).toEqual(["Closed>Isolated@0", "Isolated>Closed@3600000"])
      }))

    it.scoped("isolate from Open and from HalfOpen", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "1 second" })
        const seen = yield* listen(breaker)
        yield* breaker.trip
        yield* breaker.isolate
        yield* breaker.reset
        yield* breaker.trip
        yield* TestClock.adjust("1 second")
        yield* breaker.isolate
        yield* settle
        expect(fromTo(seen)).toEqual([
          "Closed>Open@0",
          "Open>Isolated@0",
          "Isolated>Closed@0",
          "Closed>Open@0",
          "Open>HalfOpen@1000",
          "HalfOpen>Isolated@1000"
        ])
      }))

    it.scoped("reset closes and clears the counts", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(2), breakDuration: "1 minute" })
        const seen = yield* listen(breaker)
        yield* failTimes(breaker, 2)
        yield* breaker.reset
        expect(yield* breaker.state).toBe("Closed")
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Closed")
        yield* settle
        expect(fromTo(seen)).toEqual(["Closed>Open@0", "Open>Closed@0"])
      }))

    it.scoped("reset while Closed only clears the counts and publishes nothing", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(3) })
        const seen = yield* listen(breaker)
        yield* failTimes(breaker, 2)
        yield* breaker.reset
        yield* failTimes(breaker, 2)
        expect(yield* breaker.state).toBe("Closed")
        yield* settle
        expect(seen).toEqual([])
        yield* fail(breaker)
        expect(yield* breaker.state).toBe("Open")
      }))

    it.scoped("reset from HalfOpen closes", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "1 second" })
        yield* breaker.trip
        yield* TestClock.adjust("1 second")
        const seen = yield* listen(breaker)
        yield* breaker.reset
        yield* settle
        expect(fromTo(seen)).toEqual(["Open>HalfOpen@1000", "HalfOpen>Closed@1000"])
      }))
  })

  describe("changes", () => {
    it.scoped("is hot: each transition after subscription, once, to every subscriber", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "1 second" })
        yield* fail(breaker) // before anyone listens
        const first = yield* listen(breaker)
        const second = yield* listen(breaker)
        yield* TestClock.adjust("1 second")
        yield* succeed(breaker)
        yield* settle
        expect(fromTo(first)).toEqual(["Open>HalfOpen@1000", "HalfOpen>Closed@1000"])
        expect(second).toEqual(first)
      }))

    it.effect("ends when the breaker's scope closes", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const breaker = yield* make().pipe(Scope.extend(scope))
        const fiber = yield* breaker.changes.pipe(Stream.runCollect, Effect.fork)
        yield* settle
        yield* breaker.trip
        yield* Scope.close(scope, Exit.void)
        const all = yield* Fiber.join(fiber)
        expect(Array.from(all).map((t) => t.to)).toEqual(["Open"])
        expect(Array.from(yield* Stream.runCollect(breaker.changes))).toEqual([])
      }))

    it.effect("is empty when first subscribed after the scope closed; the breaker still works", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1), breakDuration: "1 second" }).pipe(
          Scope.extend(scope)
        )
        yield* Scope.close(scope, Exit.void)
        expect(Array.from(yield* Stream.runCollect(breaker.changes))).toEqual([])
        // nothing is published, so no call is disturbed by a shut-down hub
        yield* fail(breaker)
        yield* rejection(breaker)
        yield* TestClock.adjust("1 second")
        expect(yield* succeed(breaker)).toBe("ok")
        expect(yield* breaker.state).toBe("Closed")
        expect(Array.from(yield* Stream.runCollect(breaker.changes))).toEqual([])
      }))

    it.effect("adds its finalizer to the breaker's scope only once `changes` is subscribed", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        let added = 0
        const counting: Scope.Scope = Object.assign(Object.create(scope) as Scope.Scope, {
          addFinalizer: (finalizer: Scope.Scope.Finalizer) =>
            Effect.zipRight(Effect.sync(() => added++), Scope.addFinalizerExit(scope, finalizer))
        })
        const breaker = yield* make({ trip: CircuitBreaker.consecutive(1) }).pipe(Scope.extend(counting))
        yield* succeed(breaker)
        expect(added).toBe(0)
        const fiber = yield* breaker.changes.pipe(Stream.runCollect, Effect.fork)
        yield* settle
        expect(added).toBe(1)
        yield* Stream.runDrain(Stream.take(breaker.changes, 0))
        expect(added).toBe(1)
        yield* breaker.trip
        yield* Scope.close(scope, Exit.void)
        expect(Array.from(yield* Fiber.join(fiber)).map((t) => t.to)).toEqual(["Open"])
      }))
  })

  describe("snapshot and initialState", () => {
    const roundTrip = (snapshot: CircuitBreaker.Snapshot): CircuitBreaker.Snapshot =>
      JSON.parse(JSON.stringify(snapshot))

    it.scoped("Closed with counts", () =>
      Effect.gen(function*() {
        const trip = CircuitBreaker.consecutive(3)
        const breaker = yield* make({ trip })
        yield* failTimes(breaker, 2)
        const snapshot = roundTrip(yield* breaker.snapshot)
        expect(snapshot.state).toBe("Closed")
        const restored = yield* make({ trip, initialState: snapshot })
        expect(yield* restored.state).toBe("Closed")
        yield* fail(restored)
        expect(yield* restored.state).toBe("Open")
      }))

    it.scoped("Open: the break continues where it was", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "10 seconds" })
        yield* breaker.trip
        yield* TestClock.adjust("4 seconds")
        const snapshot = roundTrip(yield* breaker.snapshot)
        const restored = yield* make({ breakDuration: "10 seconds", initialState: snapshot })
        const seen = yield* listen(restored)
        expect(yield* restored.state).toBe("Open")
        expect((yield* rejection(restored)).retryAfter).toEqual(Duration.seconds(6))
        yield* TestClock.adjust("6 seconds")
        expect(yield* restored.state).toBe("HalfOpen")
        yield* settle
        expect(fromTo(seen)).toEqual(["Open>HalfOpen@10000"])
      }))

    it.scoped("HalfOpen with successful probes, and Isolated", () =>
      Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "1 second", halfOpenMaxCalls: 2 })
        yield* breaker.trip
        yield* TestClock.adjust("1 second")
        yield* succeed(breaker)
        const halfOpen = roundTrip(yield* breaker.snapshot)
        expect(halfOpen).toMatchObject({ state: "HalfOpen", halfOpenSuccesses: 1 })
        const restored = yield* make({ halfOpenMaxCalls: 2, initialState: halfOpen })
        yield* succeed(restored)
        expect(yield* restored.state).toBe("Closed")
        yield* breaker.isolate
        const isolated = yield* make({ initialState: roundTrip(yield* breaker.snapshot) })
        expect(yield* isolated.state).toBe("Isolated")
      }))

    it.scoped("failureRate windows, by calls and by time", () =>
      Effect.gen(function*() {
        const byCalls = CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 4, window: { calls: 4 } })
        const a = yield* make({ trip: byCalls })
        yield* succeed(a)
        yield* fail(a)
        yield* succeed(a)
        const restoredA = yield* make({ trip: byCalls, initialState: roundTrip(yield* a.snapshot) })
        yield* fail(restoredA)
        expect(yield* restoredA.state).toBe("Open")

        const byTime = CircuitBreaker.failureRate({ threshold: 1, minimumCalls: 2, window: { duration: "10 seconds" } })
        const b = yield* make({ trip: byTime })
        yield* fail(b)
        const snapshot = roundTrip(yield* b.snapshot)
        const restoredB = yield* make({ trip: byTime, initialState: snapshot })
        yield* fail(restoredB)
        expect(yield* restoredB.state).toBe("Open")
        const late = yield* make({ trip: byTime, initialState: snapshot })
        yield* TestClock.adjust("10 seconds")
        yield* fail(late)
        expect(yield* late.state).toBe("Closed")
      }))

    it("initialState is validated when make is called", () => {
      const good: CircuitBreaker.Snapshot = {
        state: "Closed",
        openedAt: 0,
        breakMillis: 0,
        halfOpenSuccesses: 0,
        counts: { failures: 0 }
      }
      expect(() => CircuitBreaker.make({ initialState: good })).not.toThrow()
      const bad: ReadonlyArray<readonly [unknown, string]> = [
        [{ ...good, state: "Ajar" }, "initialState.state"],
        [{ ...good, openedAt: NaN }, "initialState.openedAt"],
        [{ ...good, breakMillis: -1 }, "initialState.breakMillis"],
        [{ ...good, halfOpenSuccesses: 1 }, "initialState.halfOpenSuccesses"],
        [{ ...good, counts: { outcomes: [] } }, "initialState.counts"],
        [null, "initialState"]
      ]
      for (const [initialState, option] of bad) {
        expect(() => CircuitBreaker.make({ initialState: initialState as CircuitBreaker.Snapshot })).toThrow(
          expect.objectContaining({ _tag: "ResilienceConfigError", option })
        )
      }
    })
  })
})

// --- what holds for the in-memory store only ------------------------------------------------

describe("CircuitBreaker.memoryStore", () => {
  it.scoped("probe leases expire after probeLease, handing the slot to the next probe", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({
        trip: CircuitBreaker.consecutive(1),
        breakDuration: "1 second",
        store: CircuitBreaker.memoryStore({ probeLease: "5 seconds" })
      })
      yield* breaker.trip
      yield* TestClock.adjust("1 second")
      const gate = yield* Deferred.make<string, string>()
      const hung = yield* gated(breaker, gate)
      yield* settle
      yield* rejection(breaker)
      yield* TestClock.adjust("5 seconds")
      const second = yield* Deferred.make<string, string>()
      const next = yield* gated(breaker, second)
      yield* settle
      // the expired lease's outcome is dropped
      yield* Deferred.fail(gate, "late")
      yield* Fiber.join(hung)
      expect(yield* breaker.state).toBe("HalfOpen")
      yield* Deferred.succeed(second, "ok")
      yield* Fiber.join(next)
      expect(yield* breaker.state).toBe("Closed")
    }))

  it("validates probeLease", () => {
    expect(() => CircuitBreaker.memoryStore({ probeLease: "0 millis" })).toThrow(ResilienceError.ResilienceConfigError)
    expect(() => CircuitBreaker.memoryStore({ probeLease: -1 })).toThrow(ResilienceError.ResilienceConfigError)
  })
})

// --- events and metrics ---------------------------------------------------------------------

describe("CircuitBreaker observability", () => {
  it.scoped("emits transitions and rejections and records outcomes through the observer", () =>
    Effect.gen(function*() {
      const events: Array<ResilienceEvent> = []
      const records: Array<readonly [CallOutcome, number]> = []
      const kinds: Array<string> = []
      const observer = {
        instrument: (kind: string, name: string) => {
          kinds.push(`${kind}:${name}`)
          return {
            active: true,
            emit: (event: ResilienceEvent) => void events.push(event),
            record: (outcome: CallOutcome, millis: number) => void records.push([outcome, millis])
          }
        }
      }
      const breaker = yield* CircuitBreaker.make({
        name: "observed",
        trip: CircuitBreaker.consecutive(1),
        breakDuration: "1 second",
        isFailure: (e) => e !== "ignored"
      }).pipe(Effect.provideService(ObserverTag, observer))
      expect(kinds).toEqual(["CircuitBreaker:observed"])
      const slow = yield* breaker.protect(Effect.sleep("50 millis")).pipe(Effect.fork)
      yield* TestClock.adjust("50 millis")
      yield* Fiber.join(slow)
      yield* breaker.protect(Effect.fail("ignored")).pipe(Effect.either)
      const interrupted = yield* breaker.protect(Effect.never).pipe(Effect.fork)
      yield* settle
      yield* Fiber.interrupt(interrupted)
      yield* fail(breaker)
      yield* fail(breaker)
      yield* TestClock.adjust("1 second")
      yield* succeed(breaker)
      // an interrupted Closed call is not recorded at all (never a failure; no uninterruptible region to see it)
      expect(records).toEqual([
        ["success", 50],
        ["ignored", 0],
        ["failure", 0],
        ["rejected", 0],
        ["success", 0]
      ])
      expect(events.map((e) => e._tag === "CircuitBreakerTransition" ? `${e.from}>${e.to}@${e.at}` : e._tag)).toEqual([
        "Closed>Open@50",
        "CallRejected",
        "Open>HalfOpen@1050",
        "HalfOpen>Closed@1050"
      ])
      expect(events[1]).toMatchObject({ policyName: "observed", policy: "CircuitBreaker", reason: "Open", at: 50 })
    }))
})

// --- options --------------------------------------------------------------------------------

describe("CircuitBreaker options are validated when called", () => {
  const throwsFor = (option: string, f: () => unknown) =>
    expect(f).toThrow(expect.objectContaining({ _tag: "ResilienceConfigError", option }))

  it("consecutive", () => {
    throwsFor("consecutive", () => CircuitBreaker.consecutive(0))
    throwsFor("consecutive", () => CircuitBreaker.consecutive(1.5))
    throwsFor("consecutive", () => CircuitBreaker.consecutive(NaN))
    expect(CircuitBreaker.consecutive(1)).toMatchObject({ _tag: "Consecutive", failures: 1 })
  })

  it("failureRate", () => {
    const window = { calls: 10 }
    const ok = { threshold: 0.5, minimumCalls: 5, window }
    expect(() => CircuitBreaker.failureRate(ok)).not.toThrow()
    expect(() => CircuitBreaker.failureRate({ ...ok, threshold: 1 })).not.toThrow()
    throwsFor("threshold", () => CircuitBreaker.failureRate({ ...ok, threshold: 0 }))
    throwsFor("threshold", () => CircuitBreaker.failureRate({ ...ok, threshold: 1.01 }))
    throwsFor("threshold", () => CircuitBreaker.failureRate({ ...ok, threshold: -0.5 }))
    throwsFor("threshold", () => CircuitBreaker.failureRate({ ...ok, threshold: NaN }))
    throwsFor("minimumCalls", () => CircuitBreaker.failureRate({ ...ok, minimumCalls: 0 }))
    throwsFor("minimumCalls", () => CircuitBreaker.failureRate({ ...ok, minimumCalls: 11 }))
    throwsFor("minimumCalls", () => CircuitBreaker.failureRate({ ...ok, minimumCalls: 2.5 }))
    throwsFor("window.calls", () => CircuitBreaker.failureRate({ ...ok, minimumCalls: 1, window: { calls: 0 } }))
    throwsFor("window", () => CircuitBreaker.failureRate({ ...ok, window: {} as never }))
    throwsFor(
      "window",
      () => CircuitBreaker.failureRate({ ...ok, window: { calls: 5, duration: "1 second" } as never })
    )
    throwsFor("window.duration", () => CircuitBreaker.failureRate({ ...ok, window: { duration: "-5 millis" } }))
    throwsFor("window.duration", () => CircuitBreaker.failureRate({ ...ok, window: { duration: 0 } }))
    throwsFor("window.duration", () => CircuitBreaker.failureRate({ ...ok, window: { duration: -5 } }))
    throwsFor("window.buckets", () => CircuitBreaker.failureRate({ ...ok, window: { duration: 1000, buckets: 0 } }))
    throwsFor("window.buckets", () => CircuitBreaker.failureRate({ ...ok, window: { calls: 10, buckets: 2 } as never }))
    throwsFor("options", () => CircuitBreaker.failureRate(undefined as never))
    // a time window has no call count to bound minimumCalls
    expect(() => CircuitBreaker.failureRate({ ...ok, minimumCalls: 100, window: { duration: "1 minute" } })).not
      .toThrow()
  })

  it("make and layer", () => {
    const rate = CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 5, window: { calls: 10 } })
    throwsFor("options", () => CircuitBreaker.make("fast" as never))
    throwsFor("name", () => CircuitBreaker.make({ name: "" }))
    throwsFor("trip", () => CircuitBreaker.make({ trip: 5 as never }))
    throwsFor("breakDuration", () => CircuitBreaker.make({ breakDuration: -1 }))
    throwsFor("breakDuration", () => CircuitBreaker.make({ breakDuration: "-5 millis" }))
    throwsFor("breakDuration", () => CircuitBreaker.make({ breakDuration: 0 }))
    throwsFor("breakDuration", () => CircuitBreaker.make({ breakDuration: NaN }))
    throwsFor("breakDuration", () => CircuitBreaker.make({ breakDuration: Duration.infinity }))
    throwsFor("halfOpenMaxCalls", () => CircuitBreaker.make({ halfOpenMaxCalls: 0 }))
    throwsFor("halfOpenMaxCalls", () => CircuitBreaker.make({ halfOpenMaxCalls: 1.5 }))
    throwsFor("isFailure", () => CircuitBreaker.make({ isFailure: true as never }))
    throwsFor("store", () => CircuitBreaker.make({ store: {} as never }))
    throwsFor("slowCall", () => CircuitBreaker.make({ slowCall: { duration: "1 second", rate: 0.5 } }))
    throwsFor(
      "slowCall",
      () => CircuitBreaker.make({ trip: CircuitBreaker.consecutive(3), slowCall: { duration: "1 second", rate: 0.5 } })
    )
    throwsFor("slowCall.duration", () => CircuitBreaker.make({ trip: rate, slowCall: { duration: -1, rate: 0.5 } }))
    throwsFor("slowCall.duration", () => CircuitBreaker.make({ trip: rate, slowCall: { duration: 0, rate: 0.5 } }))
    throwsFor("slowCall.rate", () => CircuitBreaker.make({ trip: rate, slowCall: { duration: 100, rate: 0 } }))
    throwsFor("slowCall.rate", () => CircuitBreaker.make({ trip: rate, slowCall: { duration: 100, rate: 1.5 } }))
    throwsFor("slowCall", () => CircuitBreaker.make({ trip: rate, slowCall: "slow" as never }))
    expect(() => CircuitBreaker.make({ trip: rate, slowCall: { duration: 100, rate: 1 } })).not.toThrow()
    class Tag extends Context.Tag("Tag")<Tag, Breaker>() {}
    throwsFor("breakDuration", () => CircuitBreaker.layer(Tag, { breakDuration: "soon" as never }))
  })

  it("the error names the option, the rule and the value", () => {
    try {
      CircuitBreaker.failureRate({ threshold: 1.5, minimumCalls: 1, window: { calls: 1 } })
      expect.unreachable()
    } catch (error) {
      expect(ResilienceError.isResilienceConfigError(error)).toBe(true)
      expect(error).toMatchObject({ option: "threshold", value: 1.5 })
      expect((error as Error).message).toBe(`Invalid option "threshold": must be a number in (0, 1] (got 1.5)`)
    }
  })
})

// --- trip policy counters, against a plain list of the outcomes they hold ----------------------

describe("failureRate counters", () => {
  const fc = FastCheck
  const outcome = fc.record({ failure: fc.boolean(), slow: fc.boolean() })

  it("a count window holds exactly the last `calls` outcomes, across any number of wraps", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(outcome, { maxLength: 300, size: "max" }),
        fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
        (calls, outcomes, resetAt) => {
          const policy = CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 1, window: { calls } })
          const counter = policy.withSlowCalls(0.5).make()
          let held: Array<number> = []
          outcomes.forEach(({ failure, slow }, i) => {
            if (i === resetAt) {
              counter.reset()
              held = []
            }
            held = [...held, (failure ? 1 : 0) | (slow ? 2 : 0)].slice(-calls)
            const failures = held.filter((o) => o & 1).length
            const slowCount = held.filter((o) => o & 2).length
            const opens = failures / held.length >= 0.5 || slowCount / held.length >= 0.5
            expect(counter.record(failure, slow, i)).toBe(opens)
          })
          expect(counter.toJSON()).toEqual({ outcomes: held })
          const restored = policy.withSlowCalls(0.5).make()
          expect(restored.restore(JSON.parse(JSON.stringify(counter.toJSON())))).toBe(true)
          expect(restored.toJSON()).toEqual({ outcomes: held })
        }
      )
    ))

  it("a time window counts the calls of its last buckets, and round-trips through JSON", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.record({ step: fc.integer({ min: 0, max: 250 }), outcome }), { maxLength: 200, size: "max" }),
        (buckets, calls) => {
          const bucketMillis = 100
          const policy = CircuitBreaker.failureRate({
            threshold: 0.5,
            minimumCalls: 1,
            window: { duration: buckets * bucketMillis, buckets }
          })
          const counter = policy.make()
          const seen: Array<{ readonly epoch: number; readonly failure: boolean }> = []
          let now = 1_700_000_000_000
          for (const { outcome: { failure, slow }, step } of calls) {
            now += step
            const epoch = Math.floor(now / bucketMillis)
            seen.push({ epoch, failure })
            const counted = seen.filter((c) => c.epoch > epoch - buckets)
            const failures = counted.filter((c) => c.failure).length
            expect(counter.record(failure, slow, now)).toBe(failures / counted.length >= 0.5)
          }
          const restored = policy.make()
          expect(restored.restore(JSON.parse(JSON.stringify(counter.toJSON())))).toBe(true)
          expect(restored.toJSON()).toEqual(counter.toJSON())
        }
      )
    ))
})

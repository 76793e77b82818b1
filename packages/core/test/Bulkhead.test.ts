import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"
import { provideRecording } from "./utils/observer.js"

/** A call that records when it starts and runs until `gate` opens. */
const gated = (log: Array<string>, id: string, gate: Deferred.Deferred<void>) =>
  Effect.sync(() => log.push(id)).pipe(Effect.zipRight(Deferred.await(gate)), Effect.as(id))

const statsOf = (bulkhead: Bulkhead.Bulkhead) =>
  Effect.map(bulkhead.stats, ({ active, queued }) => ({ active, queued }))

describe("Bulkhead", () => {
  describe("limits", () => {
    it.scoped("runs at most maxConcurrent calls at once and queues the rest", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 2, maxQueue: 10 })
        const log: Array<string> = []
        const gates = yield* Effect.all(Array.from({ length: 5 }, () => Deferred.make<void>()))
        const fibers = yield* Effect.forEach(
          gates,
          (gate, i) => Effect.fork(bulkhead.protect(gated(log, `c${i}`, gate))),
          { concurrency: 1 }
        )
        yield* Effect.yieldNow()
        expect(log).toEqual(["c0", "c1"])
        expect(yield* bulkhead.stats).toEqual({ active: 2, queued: 3, maxConcurrent: 2, maxQueue: 10, limit: 2 })
        yield* Deferred.succeed(gates[0], undefined)
        yield* Fiber.join(fibers[0])
        yield* Effect.yieldNow()
        expect(log).toEqual(["c0", "c1", "c2"])
        expect(yield* statsOf(bulkhead)).toEqual({ active: 2, queued: 2 })
        yield* Effect.forEach(gates, (gate) => Deferred.succeed(gate, undefined))
        expect(yield* Fiber.join(Fiber.all(fibers))).toEqual(["c0", "c1", "c2", "c3", "c4"])
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
      }))

    it.scoped("admits waiters in strict FIFO order", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 100 })
        const started: Array<number> = []
        const fibers = yield* Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) =>
            Effect.fork(
              bulkhead.protect(Effect.sync(() => started.push(i)).pipe(Effect.zipRight(Effect.sleep("10 millis"))))
            ),
          { concurrency: 1 }
        )
        for (let i = 0; i < 50; i++) yield* TestClock.adjust("10 millis")
        yield* Fiber.join(Fiber.all(fibers))
        expect(started).toEqual(Array.from({ length: 50 }, (_, i) => i))
      }))

    it.scoped("a call admitted while others wait does not overtake them (freed permits go to the queue)", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 2 })
        const log: Array<string> = []
        const gate = yield* Deferred.make<void>()
        const first = yield* Effect.fork(bulkhead.protect(gated(log, "first", gate)))
        const waiting = yield* Effect.fork(bulkhead.protect(Effect.sync(() => log.push("waiting"))))
        yield* Effect.yieldNow()
        // release and arrive in the same step: the waiter already holds the handed-over permit
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(first)
        const late = yield* Effect.fork(bulkhead.protect(Effect.sync(() => log.push("late"))))
        yield* Fiber.join(waiting)
        yield* Fiber.join(late)
        expect(log).toEqual(["first", "waiting", "late"])
      }))

    it.scoped("fails with BulkheadRejected(\"Full\") beyond maxQueue, without running the call", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ name: "db", maxConcurrent: 1, maxQueue: 1 })
        yield* Effect.fork(bulkhead.protect(Effect.never))
        yield* Effect.fork(bulkhead.protect(Effect.never))
        yield* Effect.yieldNow()
        let ran = false
        const error = yield* Effect.flip(bulkhead.protect(Effect.sync(() => (ran = true))))
        expect(ran).toBe(false)
        expect(error).toBeInstanceOf(Bulkhead.BulkheadRejected)
        expect(error._tag).toBe("BulkheadRejected")
        expect(error.reason).toBe("Full")
        expect(error.policyName).toBe("db")
        expect(error.name).not.toBe("db")
        expect(error.message).toBe("Bulkhead \"db\" is full")
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 1 })
      }))

    it.scoped("maxQueue defaults to 0: no waiting at all", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1 })
        expect((yield* bulkhead.stats).maxQueue).toBe(0)
        yield* Effect.fork(bulkhead.protect(Effect.never))
        yield* Effect.yieldNow()
        const error = yield* Effect.flip(bulkhead.protect(Effect.void))
        expect(error.reason).toBe("Full")
      }))

    it.scoped("maxQueue: Infinity queues without bound", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: Infinity })
        const gate = yield* Deferred.make<void>()
        const fibers = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          () => Effect.fork(bulkhead.protect(Deferred.await(gate))),
          { concurrency: 1 }
        )
        yield* Effect.yieldNow()
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 999 })
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(Fiber.all(fibers))
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
      }))

    it.scoped("an unnamed bulkhead gets a generated name", () =>
      Effect.gen(function*() {
        const a = yield* Bulkhead.make({ maxConcurrent: 1 })
        const b = yield* Bulkhead.make({ maxConcurrent: 1 })
        expect(a.name).toMatch(/^bulkhead-\d+$/)
        expect(b.name).toMatch(/^bulkhead-\d+$/)
        expect(a.name).not.toBe(b.name)
        yield* Effect.fork(a.protect(Effect.never))
        yield* Effect.yieldNow()
        expect((yield* Effect.flip(a.protect(Effect.void))).policyName).toBe(a.name)
      }))
  })

  describe("queueTimeout", () => {
    it.scoped("fails a waiter with \"QueueTimeout\" once it has waited longer than queueTimeout", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 5, queueTimeout: "100 millis" })
        yield* Effect.fork(bulkhead.protect(Effect.never))
        yield* TestClock.adjust("30 millis")
        let ran = false
        const waiter = yield* Effect.fork(bulkhead.protect(Effect.sync(() => (ran = true))))
        yield* TestClock.adjust("100 millis")
        // exactly queueTimeout is not longer than it
        expect(waiter.unsafePoll()).toBeNull()
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 1 })
        yield* TestClock.adjust("1 millis")
        const error = yield* Effect.flip(Fiber.join(waiter))
        expect(error.reason).toBe("QueueTimeout")
        expect(ran).toBe(false)
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 0 })
      }))

    it.scoped("each waiter times out on its own deadline, and waiters behind keep waiting", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 5, queueTimeout: "100 millis" })
        const gate = yield* Deferred.make<void>()
        yield* Effect.fork(bulkhead.protect(Deferred.await(gate)))
        const w0 = yield* Effect.fork(bulkhead.protect(Effect.succeed("w0")))
        yield* TestClock.adjust("40 millis")
        const w1 = yield* Effect.fork(bulkhead.protect(Effect.succeed("w1")))
        yield* TestClock.adjust("40 millis")
        const w2 = yield* Effect.fork(bulkhead.protect(Effect.succeed("w2")))
        yield* TestClock.adjust("21 millis") // t = 101: past w0's deadline
        expect((yield* Effect.flip(Fiber.join(w0))).reason).toBe("QueueTimeout")
        expect(w1.unsafePoll()).toBeNull()
        yield* TestClock.adjust("39 millis") // t = 140: w1's deadline
        expect(w1.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 millis") // t = 141: past it
        expect((yield* Effect.flip(Fiber.join(w1))).reason).toBe("QueueTimeout")
        yield* Deferred.succeed(gate, undefined) // t = 141: w2 (deadline 180) gets the permit
        expect(yield* Fiber.join(w2)).toBe("w2")
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
      }))

    it.scoped("a waiter admitted in time runs to completion, however long it takes", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 1, queueTimeout: "100 millis" })
        yield* Effect.fork(bulkhead.protect(Effect.sleep("50 millis")))
        const waiter = yield* Effect.fork(bulkhead.protect(Effect.sleep("1 second").pipe(Effect.as("done"))))
        yield* TestClock.adjust("50 millis")
        yield* TestClock.adjust("1 second")
        expect(yield* Fiber.join(waiter)).toBe("done")
      }))

    it.scoped("queueTimeout: 0 fails at once any call that would have to wait", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 0 })
        yield* Effect.fork(bulkhead.protect(Effect.never))
        yield* Effect.yieldNow()
        expect((yield* Effect.flip(bulkhead.protect(Effect.void))).reason).toBe("QueueTimeout")
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 0 })
      }))

    it.scoped("without queueTimeout a waiter waits as long as needed", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 })
        yield* Effect.fork(bulkhead.protect(Effect.sleep("1 days")))
        const waiter = yield* Effect.fork(bulkhead.protect(Effect.succeed("late")))
        yield* TestClock.adjust("1 days")
        expect(yield* Fiber.join(waiter)).toBe("late")
      }))
  })

  describe("close", () => {
    it.scoped("rejects queued and new calls with \"Closed\" and returns once the active ones have finished", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ name: "api", maxConcurrent: 2, maxQueue: 5 })
        const a = yield* Effect.fork(bulkhead.protect(Effect.sleep("100 millis").pipe(Effect.as("a"))))
        const b = yield* Effect.fork(bulkhead.protect(Effect.sleep("300 millis").pipe(Effect.as("b"))))
        const queued = yield* Effect.fork(bulkhead.protect(Effect.succeed("queued")))
        yield* Effect.yieldNow()
        const closing = yield* Effect.fork(bulkhead.close)
        yield* Effect.yieldNow()
        const error = yield* Effect.flip(Fiber.join(queued))
        expect(error.reason).toBe("Closed")
        expect(error.message).toBe("Bulkhead \"api\" is closed")
        expect((yield* Effect.flip(bulkhead.protect(Effect.void))).reason).toBe("Closed")
        yield* TestClock.adjust("100 millis")
        expect(yield* Fiber.join(a)).toBe("a")
        expect(closing.unsafePoll()).toBeNull()
        yield* TestClock.adjust("199 millis")
        expect(closing.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 millis")
        yield* Fiber.join(closing)
        expect(yield* Fiber.join(b)).toBe("b")
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
        // idempotent, and returns at once when nothing is active
        yield* bulkhead.close
      }))

    it.scoped("a failed or interrupted active call also lets close return", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 2 })
        const failing = yield* Effect.fork(bulkhead.protect(Effect.fail("boom").pipe(Effect.delay("10 millis"))))
        const hanging = yield* Effect.fork(bulkhead.protect(Effect.never))
        yield* Effect.yieldNow()
        const closing = yield* Effect.fork(bulkhead.close)
        yield* TestClock.adjust("10 millis")
        expect(yield* Effect.flip(Fiber.join(failing))).toBe("boom")
        expect(closing.unsafePoll()).toBeNull()
        yield* Fiber.interrupt(hanging)
        yield* Fiber.join(closing)
      }))

    it.scoped("interrupting close stops waiting but leaves the bulkhead closed", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1 })
        yield* Effect.fork(bulkhead.protect(Effect.never))
        yield* Effect.yieldNow()
        const closing = yield* Effect.fork(bulkhead.close)
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(closing)
        expect((yield* Effect.flip(bulkhead.protect(Effect.void))).reason).toBe("Closed")
      }))

    it.effect("closing the Scope closes the bulkhead: queued and new calls get \"Closed\"", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const bulkhead = yield* Scope.extend(Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 }), scope)
        const gate = yield* Deferred.make<void>()
        const active = yield* Effect.fork(bulkhead.protect(Deferred.await(gate).pipe(Effect.as("active"))))
        const queued = yield* Effect.fork(bulkhead.protect(Effect.void))
        yield* Effect.yieldNow()
        yield* Scope.close(scope, Exit.void)
        expect((yield* Effect.flip(Fiber.join(queued))).reason).toBe("Closed")
        expect((yield* Effect.flip(bulkhead.protect(Effect.void))).reason).toBe("Closed")
        // the active call is not cut short
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(active)).toBe("active")
      }))
  })

  describe("interruption and failures never leak a permit", () => {
    it.scoped("an interrupted queued caller leaves the queue, never runs, and frees its slot", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 })
        const gate = yield* Deferred.make<void>()
        const active = yield* Effect.fork(bulkhead.protect(Deferred.await(gate)))
        let ran = false
        const queued = yield* Effect.fork(bulkhead.protect(Effect.sync(() => (ran = true))))
        yield* Effect.yieldNow()
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 1 })
        yield* Fiber.interrupt(queued)
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 0 })
        // its slot is free for another caller
        const next = yield* Effect.fork(bulkhead.protect(Effect.succeed("next")))
        yield* Effect.yieldNow()
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 1 })
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(active)
        expect(yield* Fiber.join(next)).toBe("next")
        expect(ran).toBe(false)
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
      }))

    it.scoped("many interrupted waiters cannot starve the queue (cockatiel #112)", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 2, maxQueue: 10 })
        for (let round = 0; round < 20; round++) {
          const waiters = yield* Effect.forEach(
            Array.from({ length: 10 }, (_, i) => i),
            () => Effect.fork(bulkhead.protect(Effect.never)),
            { concurrency: 1 }
          )
          yield* Effect.yieldNow()
          yield* Fiber.interruptAll(waiters)
        }
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
        const results = yield* Effect.all(
          Array.from({ length: 12 }, (_, i) => bulkhead.protect(Effect.succeed(i))),
          { concurrency: "unbounded" }
        )
        expect(results).toHaveLength(12)
      }))

    it.scoped("an interrupted running caller frees its permit for the next waiter", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 })
        const running = yield* Effect.fork(bulkhead.protect(Effect.never))
        const waiter = yield* Effect.fork(bulkhead.protect(Effect.succeed("waiter")))
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(running)
        expect(yield* Fiber.join(waiter)).toBe("waiter")
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
      }))

    it.scoped("a waiter interrupted just as a permit is handed to it passes the permit on", () =>
      Effect.gen(function*() {
        for (const interruptFirst of [true, false]) {
          const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 2 })
          const gate = yield* Deferred.make<void>()
          const victim = yield* Deferred.make<Fiber.RuntimeFiber<unknown, unknown>>()
          const interruptVictim = Effect.flatMap(
            Deferred.await(victim),
            (fiber) => Effect.fiberIdWith((id) => Effect.sync(() => fiber.unsafeInterruptAsFork(id)))
          )
          // the interrupt reaches the victim before (in the body) or after (right after the
          // release) the permit is handed to it, but always before the victim's fiber runs again
          const body = interruptFirst ? Effect.zipRight(Deferred.await(gate), interruptVictim) : Deferred.await(gate)
          const first = yield* Effect.fork(
            interruptFirst ? bulkhead.protect(body) : bulkhead.protect(body).pipe(Effect.zipRight(interruptVictim))
          )
          let victimRan = false
          const second = yield* Effect.fork(bulkhead.protect(Effect.sync(() => (victimRan = true))))
          const third = yield* Effect.fork(bulkhead.protect(Effect.succeed("third")))
          yield* Deferred.succeed(victim, second)
          yield* Effect.yieldNow()
          expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 2 })
          yield* Deferred.succeed(gate, undefined)
          yield* Fiber.join(first)
          expect(Exit.isInterrupted(yield* Fiber.await(second))).toBe(true)
          expect(victimRan).toBe(false)
          yield* Effect.yieldNow()
          expect(third.unsafePoll()).not.toBeNull()
          expect(yield* Fiber.join(third)).toBe("third")
          expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
        }
      }))

    it.scoped("failures and defects free their permits", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 3 })
        const failing = yield* Effect.fork(bulkhead.protect(Effect.fail("boom").pipe(Effect.delay("10 millis"))))
        const dying = yield* Effect.fork(bulkhead.protect(Effect.die("bug").pipe(Effect.delay("10 millis"))))
        const throwing = yield* Effect.fork(bulkhead.protect(Effect.sync(() => {
          throw new Error("thrown")
        })))
        const last = yield* Effect.fork(bulkhead.protect(Effect.succeed("last")))
        yield* TestClock.adjust("10 millis")
        yield* TestClock.adjust("10 millis")
        expect(yield* Effect.flip(Fiber.join(failing))).toBe("boom")
        expect(Exit.isFailure(yield* Fiber.await(dying))).toBe(true)
        expect(Exit.isFailure(yield* Fiber.await(throwing))).toBe(true)
        expect(yield* Fiber.join(last)).toBe("last")
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
      }))

    it.scoped("an uninterruptible caller is not interrupted while it waits", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 })
        yield* Effect.fork(bulkhead.protect(Effect.sleep("10 millis")))
        let ran = false
        const waiter = yield* Effect.fork(Effect.uninterruptible(bulkhead.protect(Effect.sync(() => (ran = true)))))
        yield* Effect.yieldNow()
        const interrupting = yield* Effect.fork(Fiber.interrupt(waiter))
        yield* Effect.yieldNow()
        expect(yield* statsOf(bulkhead)).toEqual({ active: 1, queued: 1 })
        yield* TestClock.adjust("10 millis")
        yield* Fiber.join(interrupting)
        expect(ran).toBe(true)
        expect(yield* statsOf(bulkhead)).toEqual({ active: 0, queued: 0 })
      }))
  })

  describe("protect", () => {
    it.scoped("is dual and the same as bulkhead.protect", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1 })
        expect(yield* Effect.succeed(1).pipe(Bulkhead.protect(bulkhead))).toBe(1)
        expect(yield* Bulkhead.protect(Effect.succeed(2), bulkhead)).toBe(2)
        expect(yield* bulkhead.protect(Effect.succeed(3))).toBe(3)
        expect(yield* Effect.flip(Bulkhead.protect(Effect.fail("own"), bulkhead))).toBe("own")
      }))

    it.effect("layer provides a scoped bulkhead under a tag and closes it with the layer", () =>
      Effect.gen(function*() {
        class Payments extends Context.Tag("test/Payments")<Payments, Bulkhead.Bulkhead>() {}
        const live = Bulkhead.layer(Payments, { name: "payments", maxConcurrent: 3, maxQueue: 1 })
        const { bulkhead, stats } = yield* Effect.provide(
          Effect.gen(function*() {
            const bulkhead = yield* Payments
            const stats = yield* bulkhead.stats
            return { bulkhead, stats }
          }),
          live
        )
        expect(bulkhead.name).toBe("payments")
        expect(stats).toEqual({ active: 0, queued: 0, maxConcurrent: 3, maxQueue: 1, limit: 3 })
        expect((yield* Effect.flip(bulkhead.protect(Effect.void))).reason).toBe("Closed")
        expect(Layer.isLayer(live)).toBe(true)
      }))
  })

  describe("events and metrics", () => {
    it.scoped("reports each rejection with its reason and records outcomes, on an instrument resolved once", () =>
      provideRecording((recorded) =>
        Effect.gen(function*() {
          const bulkhead = yield* Bulkhead.make({ name: "db", maxConcurrent: 1, maxQueue: 1, queueTimeout: "1 second" })
          yield* bulkhead.protect(Effect.void)
          yield* Effect.flip(bulkhead.protect(Effect.fail("boom")))
          const running = yield* Effect.fork(bulkhead.protect(Effect.never))
          yield* TestClock.adjust("5 millis")
          const timingOut = yield* Effect.fork(bulkhead.protect(Effect.void))
          yield* TestClock.adjust("5 millis")
          yield* Effect.flip(bulkhead.protect(Effect.void)) // Full
          yield* TestClock.adjust("1 second")
          yield* Fiber.await(timingOut)
          yield* Fiber.interrupt(running)
          yield* bulkhead.close
          yield* Effect.flip(bulkhead.protect(Effect.void)) // Closed
          expect(recorded.instruments).toEqual([{ kind: "Bulkhead", name: "db" }])
          expect(recorded.events.map((e) => e._tag === "CallRejected" && [e.policy, e.policyName, e.reason, e.at]))
            .toEqual([
              ["Bulkhead", "db", "Full", 10],
              ["Bulkhead", "db", "QueueTimeout", 1006],
              ["Bulkhead", "db", "Closed", 1010]
            ])
          expect(recorded.outcomes.map((o) => o.outcome)).toEqual([
            "success",
            "failure",
            "rejected",
            "rejected",
            "interrupted",
            "rejected"
          ])
        })
      ))

    it.scoped("does nothing observable without an observer", () =>
      Effect.gen(function*() {
        const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1 })
        expect(yield* bulkhead.protect(Effect.succeed("ok"))).toBe("ok")
      }))
  })

  describe("options", () => {
    it("are validated when make and layer are called", () => {
      const tag = Context.GenericTag<Bulkhead.Bulkhead>("test/Bulkhead")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 0 }), "maxConcurrent", "positive integer")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: -1 }), "maxConcurrent")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1.5 }), "maxConcurrent")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: NaN }), "maxConcurrent")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: Infinity }), "maxConcurrent")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: "2" as never }), "maxConcurrent")
      expectConfigError(() => Bulkhead.make({} as never), "maxConcurrent")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, maxQueue: -1 }), "maxQueue", "non-negative integer")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, maxQueue: 0.5 }), "maxQueue")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, maxQueue: NaN }), "maxQueue")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, maxQueue: -Infinity }), "maxQueue")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, queueTimeout: -5 }), "queueTimeout", "non-negative")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, queueTimeout: "-5 millis" }), "queueTimeout")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, queueTimeout: NaN }), "queueTimeout")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, queueTimeout: "soon" as never }), "queueTimeout")
      expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, name: "" }), "name")
      expectConfigError(() => Bulkhead.make(undefined as never), "options")
      expectConfigError(() => Bulkhead.layer(tag, { maxConcurrent: 0 }), "maxConcurrent")
      let thrown: unknown
      try {
        Bulkhead.make({ maxConcurrent: 1, maxQueue: -1 })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(ResilienceConfigError)
      expect(thrown).toMatchObject({ option: "maxQueue", value: -1 })
    })

    it("accepts every valid form", () => {
      expect(() => Bulkhead.make({ maxConcurrent: 1, maxQueue: 0, queueTimeout: 0 })).not.toThrow()
      expect(() => Bulkhead.make({ maxConcurrent: 3, maxQueue: Infinity, queueTimeout: "2 seconds" })).not.toThrow()
      expect(() => Bulkhead.make({ maxConcurrent: 3, queueTimeout: Infinity, name: "x" })).not.toThrow()
    })
  })
})

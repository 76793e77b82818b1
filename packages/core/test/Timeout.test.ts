import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"
import { provideRecording } from "./utils/observer.js"

describe("Timeout.timeout", () => {
  it.effect("returns the result of an effect that completes in time", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.succeed(1).pipe(Effect.delay("999 millis"), Timeout.timeout("1 second")))
      yield* TestClock.adjust("999 millis")
      expect(yield* Fiber.join(fiber)).toBe(1)
      const failed = yield* Effect.fail("own error").pipe(Timeout.timeout("1 second"), Effect.flip)
      expect(failed).toBe("own error")
    }))

  it.effect("fails with TimeoutError exactly at `duration`, in both dual forms", () =>
    Effect.gen(function*() {
      const dataLast = yield* Effect.fork(Effect.never.pipe(Timeout.timeout("1 second")))
      const dataFirst = yield* Effect.fork(Timeout.timeout(Effect.never, { duration: 1000, name: "db" }))
      yield* TestClock.adjust("999 millis")
      expect(dataLast.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const e1 = yield* Effect.flip(Fiber.join(dataLast))
      const e2 = yield* Effect.flip(Fiber.join(dataFirst))
      expect(e1).toBeInstanceOf(Timeout.TimeoutError)
      expect(e1._tag).toBe("TimeoutError")
      expect(Duration.toMillis(e1.duration)).toBe(1000)
      expect(e1.policyName).toBeUndefined()
      expect(e2.policyName).toBe("db")
      expect(e2.message).toBe("Timed out after 1s (db)")
      expect(e2.name).not.toBe("db")
    }))

  it.effect("interrupts the effect and runs its finalizers before returning TimeoutError", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const slow = Effect.never.pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => log.push("finalizer started")).pipe(
            Effect.zipRight(Effect.sleep("5 seconds")),
            Effect.zipRight(Effect.sync(() => log.push("finalizer done")))
          )
        )
      )
      const fiber = yield* Effect.fork(
        slow.pipe(Timeout.timeout("1 second"), Effect.tapError(() => Effect.sync(() => log.push("timeout returned"))))
      )
      yield* TestClock.adjust("1 second")
      expect(log).toEqual(["finalizer started"])
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.await(fiber)
      expect(log).toEqual(["finalizer started", "finalizer done", "timeout returned"])
    }))

  it.effect("interrupting the caller interrupts the effect; interruption is not a timeout", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        let interrupted = false
        const fiber = yield* Effect.fork(
          Effect.never.pipe(
            Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))),
            Timeout.timeout("1 minute")
          )
        )
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(interrupted).toBe(true)
        yield* TestClock.adjust("2 minutes")
        expect(recorded.events).toEqual([])
      })
    ))

  it.effect("an infinite duration turns the timeout off", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Effect.succeed(1).pipe(Effect.delay("1 day"), Timeout.timeout(Duration.infinity))
      )
      yield* TestClock.adjust("1 day")
      expect(yield* Fiber.join(fiber)).toBe(1)
    }))

  it.effect("reports TimedOut with the name and duration", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.never.pipe(Timeout.timeout({ duration: "2 seconds", name: "db" })))
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.await(fiber)
        expect(recorded.events).toHaveLength(1)
        expect(recorded.events[0]).toMatchObject({ _tag: "TimedOut", policyName: "db", at: 2000 })
      })
    ))

  it("rejects bad durations when applied", () => {
    expectConfigError(() => Timeout.timeout(-1), "duration", "positive")
    expectConfigError(() => Timeout.timeout(NaN), "duration")
    expectConfigError(() => Timeout.timeout(0), "duration", "positive")
    expectConfigError(() => Timeout.timeout("-5 millis" as Duration.DurationInput), "duration")
    expectConfigError(() => Timeout.timeout({ duration: -5 }), "duration")
    expectConfigError(() => Timeout.timeout(Effect.void, -5), "duration")
    expectConfigError(() => Timeout.timeout({ duration: 5, name: 3 as never }), "name")
  })
})

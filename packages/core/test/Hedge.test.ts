import * as Hedge from "@effect-resilience/core/Hedge"
import * as RetryBudget from "@effect-resilience/core/RetryBudget"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"
import { provideRecording } from "./utils/observer.js"

interface Attempt {
  readonly index: number
  readonly startedAt: number
  finalized: boolean
  interrupted: boolean
}

/**
 * An operation whose k-th attempt takes `plan[k].after` millis and then succeeds or fails with
 * `fail-k`; every attempt records when it started and whether its finalizer ran.
 */
const scripted = (plan: ReadonlyArray<{ readonly after: number; readonly ok: boolean }>) => {
  const attempts: Array<Attempt> = []
  const operation = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const attempt: Attempt = { index: attempts.length, startedAt: now, finalized: false, interrupted: false }
    attempts.push(attempt)
    const step = plan[attempt.index] ?? { after: 1_000_000, ok: false }
    return Effect.sleep(step.after).pipe(
      Effect.zipRight(step.ok ? Effect.succeed(`ok-${attempt.index}`) : Effect.fail(`fail-${attempt.index}`)),
      Effect.onInterrupt(() => Effect.sync(() => (attempt.interrupted = true))),
      Effect.ensuring(Effect.sync(() => (attempt.finalized = true)))
    )
  })
  return { attempts, operation }
}

describe("Hedge.hedge", () => {
  it.effect("a primary that succeeds before `delay` launches no hedge", () =>
    Effect.gen(function*() {
      const { attempts, operation } = scripted([{ after: 50, ok: true }])
      const fiber = yield* Effect.fork(operation.pipe(Hedge.hedge({ delay: "100 millis" })))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe("ok-0")
      expect(attempts).toHaveLength(1)
    }))

  it.effect("a hedge starts `delay` after the primary; the first success wins and the loser is interrupted first", () =>
    Effect.gen(function*() {
      const { attempts, operation } = scripted([{ after: 500, ok: true }, { after: 100, ok: true }])
      let seenAtReturn: Array<boolean> = []
      const fiber = yield* Effect.fork(
        Hedge.hedge(operation, { delay: "100 millis" }).pipe(
          Effect.tap(() => Effect.sync(() => (seenAtReturn = attempts.map((a) => a.finalized))))
        )
      )
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe("ok-1")
      expect(attempts.map((a) => a.startedAt)).toEqual([0, 100])
      expect(attempts[0].interrupted).toBe(true)
      expect(attempts[1].interrupted).toBe(false)
      // the primary had been interrupted and finalized before the winner's value was returned
      expect(seenAtReturn).toEqual([true, true])
    }))

  it.effect("attempt k starts `delay` after attempt k−1, up to 1 + maxHedges attempts", () =>
    Effect.gen(function*() {
      const { attempts, operation } = scripted([
        { after: 10_000, ok: true },
        { after: 10_000, ok: true },
        { after: 150, ok: true }
      ])
      const fiber = yield* Effect.fork(operation.pipe(Hedge.hedge({ delay: 100, maxHedges: 2 })))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe("ok-2")
      expect(attempts.map((a) => a.startedAt)).toEqual([0, 100, 200])
      expect(attempts.map((a) => a.interrupted)).toEqual([true, true, false])
    }))

  it.effect("when every running attempt has failed, the next starts at once", () =>
    Effect.gen(function*() {
      const { attempts, operation } = scripted([{ after: 10, ok: false }, { after: 10, ok: true }])
      const fiber = yield* Effect.fork(operation.pipe(Hedge.hedge({ delay: "1 second" })))
      yield* TestClock.adjust("20 millis")
      expect(yield* Fiber.join(fiber)).toBe("ok-1")
      expect(attempts.map((a) => a.startedAt)).toEqual([0, 10])
    }))

  it.effect("when all attempts fail, the primary's failure is returned", () =>
    Effect.gen(function*() {
      const { attempts, operation } = scripted([{ after: 300, ok: false }, { after: 10, ok: false }, {
        after: 10,
        ok: false
      }])
      const fiber = yield* Effect.fork(operation.pipe(Hedge.hedge({ delay: 100, maxHedges: 2 })))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(fiber)).toStrictEqual(Exit.fail("fail-0"))
      // attempt 1 failed at 110 while the primary still ran, so attempt 2 waited for its delay
      expect(attempts.map((a) => a.startedAt)).toEqual([0, 100, 200])
    }))

  it.effect("maxHedges: 0 just runs the effect", () =>
    Effect.gen(function*() {
      const { attempts, operation } = scripted([{ after: 300, ok: false }])
      const fiber = yield* Effect.fork(operation.pipe(Hedge.hedge({ delay: 100, maxHedges: 0 })))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(fiber)).toStrictEqual(Exit.fail("fail-0"))
      expect(attempts).toHaveLength(1)
    }))

  it.effect("interrupting the caller interrupts every attempt", () =>
    Effect.gen(function*() {
      const { attempts, operation } = scripted([])
      const fiber = yield* Effect.fork(operation.pipe(Hedge.hedge({ delay: 100, maxHedges: 3 })))
      yield* TestClock.adjust("250 millis")
      expect(attempts).toHaveLength(3)
      yield* Fiber.interrupt(fiber)
      expect(attempts.every((a) => a.interrupted && a.finalized)).toBe(true)
      yield* TestClock.adjust("1 second")
      expect(attempts).toHaveLength(3)
    }))

  it.effect("each hedge withdraws from the budget: no withdrawal, no hedge", () =>
    Effect.gen(function*() {
      const budget = yield* RetryBudget.make({ ratio: 0, minPerSecond: 1, window: "1 second" })
      const first = scripted([{ after: 500, ok: true }, { after: 10, ok: true }])
      const f1 = yield* Effect.fork(first.operation.pipe(Hedge.hedge({ delay: 100, budget })))
      yield* TestClock.adjust("200 millis")
      expect(yield* Fiber.join(f1)).toBe("ok-1")
      // the one retry of the budget is spent: the next call is not hedged
      const second = scripted([{ after: 500, ok: true }])
      const f2 = yield* Effect.fork(second.operation.pipe(Hedge.hedge({ delay: 100, budget })))
      yield* TestClock.adjust("600 millis")
      expect(yield* Fiber.join(f2)).toBe("ok-0")
      expect(second.attempts).toHaveLength(1)
    }).pipe(Effect.scoped))

  it.effect("reports HedgeLaunched events", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        const { operation } = scripted([{ after: 500, ok: true }, { after: 100, ok: true }])
        const fiber = yield* Effect.fork(operation.pipe(Hedge.hedge({ delay: 100, name: "quotes" })))
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        expect(recorded.events).toEqual([
          expect.objectContaining({ _tag: "HedgeLaunched", policyName: "quotes", attempt: 1, at: 100 })
        ])
        expect(recorded.outcomes).toEqual([{ kind: "Hedge", name: "quotes", outcome: "hedged" }])
      })
    ))

  it("rejects bad options when applied", () => {
    expectConfigError(() => Hedge.hedge({ delay: -1 }), "delay")
    expectConfigError(() => Hedge.hedge({ delay: NaN }), "delay")
    expectConfigError(() => Hedge.hedge({ delay: 10, maxHedges: -1 }), "maxHedges", "non-negative integer")
    expectConfigError(() => Hedge.hedge({ delay: 10, maxHedges: 1.5 }), "maxHedges")
    expectConfigError(() => Hedge.hedge({ delay: 10, budget: 3 as never }), "budget")
    expectConfigError(() => Hedge.hedge(Effect.void, { delay: "-5 millis" as never }), "delay")
  })
})

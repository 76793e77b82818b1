import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import * as RetryBudget from "@effect-resilience/core/RetryBudget"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"

const deposit = (budget: RetryBudget.RetryBudget, n: number) => Effect.repeatN(budget.deposit, n - 1)

const withdrawAll = (budget: RetryBudget.RetryBudget) =>
  Effect.gen(function*() {
    let n = 0
    while (yield* budget.tryWithdraw) n++
    return n
  })

describe("RetryBudget", () => {
  it.scoped("allows a retry while retries + 1 ≤ ratio · calls + minPerSecond · windowSeconds", () =>
    Effect.gen(function*() {
      const budget = yield* RetryBudget.make({ ratio: 0.1, minPerSecond: 0, window: "10 seconds" })
      expect(yield* budget.tryWithdraw).toBe(false)
      yield* deposit(budget, 10)
      expect(yield* budget.available).toBe(1)
      expect(yield* budget.tryWithdraw).toBe(true)
      expect(yield* budget.tryWithdraw).toBe(false)
      yield* deposit(budget, 9)
      expect(yield* budget.tryWithdraw).toBe(false)
      yield* budget.deposit
      expect(yield* budget.tryWithdraw).toBe(true)
    }))

  it.scoped("minPerSecond gives a reserve of minPerSecond · windowSeconds retries with no traffic", () =>
    Effect.gen(function*() {
      const budget = yield* RetryBudget.make({ ratio: 0.2, minPerSecond: 3, window: "2 seconds" })
      expect(yield* budget.available).toBe(6)
      expect(yield* withdrawAll(budget)).toBe(6)
      yield* deposit(budget, 5)
      expect(yield* withdrawAll(budget)).toBe(1)
    }))

  it.scoped("deposits and withdrawals leave the window after `window`", () =>
    Effect.gen(function*() {
      const budget = yield* RetryBudget.make({ ratio: 1, minPerSecond: 0, window: "10 seconds" })
      yield* deposit(budget, 5)
      expect(yield* withdrawAll(budget)).toBe(5)
      yield* TestClock.adjust("5 seconds")
      yield* deposit(budget, 2)
      expect(yield* withdrawAll(budget)).toBe(2)
      // the first 5 calls and their 5 retries expire together
      yield* TestClock.adjust("5 seconds")
      expect(yield* budget.available).toBe(0)
      yield* TestClock.adjust("5 seconds")
      yield* deposit(budget, 3)
      expect(yield* budget.available).toBe(3)
    }))

  it.effect("a property: retries over the last 0.9 window never exceed ratio · calls in the last window + reserve", () =>
    Effect.promise(() =>
      FastCheck.assert(
        FastCheck.asyncProperty(
          FastCheck.double({ min: 0, max: 1, noNaN: true }),
          FastCheck.integer({ min: 0, max: 5 }),
          FastCheck.array(
            FastCheck.tuple(FastCheck.constantFrom("deposit", "withdraw"), FastCheck.integer({ min: 0, max: 300 })),
            { maxLength: 120 }
          ),
          (ratio, minPerSecond, ops) =>
            Effect.gen(function*() {
              // window 1 s in ten 100 ms buckets: what counts at t covers (t − 900, t] and lies within (t − 1000, t]
              const budget = yield* RetryBudget.make({ ratio, minPerSecond, window: "1 second" })
              const deposits: Array<number> = []
              const retries: Array<number> = []
              let now = 0
              const within = (times: Array<number>, span: number) => times.filter((x) => x > now - span).length
              for (const [op, advance] of ops) {
                yield* TestClock.adjust(advance)
                now += advance
                if (op === "deposit") {
                  yield* budget.deposit
                  deposits.push(now)
                } else if (yield* budget.tryWithdraw) {
                  retries.push(now)
                  expect(within(retries, 900)).toBeLessThanOrEqual(ratio * within(deposits, 1000) + minPerSecond + 1e-6)
                }
              }
            }).pipe(Effect.scoped, Effect.provide(TestContext.TestContext), Effect.runPromise)
        ),
        { numRuns: 150 }
      )
    ))

  it("rejects bad options at construction", () => {
    const cases: Array<[RetryBudget.RetryBudget.Options, string]> = [
      [{ ratio: -0.1, minPerSecond: 0, window: "1 second" }, "ratio"],
      [{ ratio: 1.5, minPerSecond: 0, window: "1 second" }, "ratio"],
      [{ ratio: NaN, minPerSecond: 0, window: "1 second" }, "ratio"],
      [{ ratio: 0.1, minPerSecond: -1, window: "1 second" }, "minPerSecond"],
      [{ ratio: 0.1, minPerSecond: Infinity, window: "1 second" }, "minPerSecond"],
      [{ ratio: 0.1, minPerSecond: 1, window: 0 }, "window"],
      [{ ratio: 0.1, minPerSecond: 1, window: -5 }, "window"],
      [{ ratio: 0.1, minPerSecond: 1, window: "-5 millis" as never }, "window"],
      [{ ratio: 0.1, minPerSecond: 1, window: "1 second", name: "" }, "name"]
    ]
    for (const [options, option] of cases) {
      expect(() => RetryBudget.make(options)).toThrow(ResilienceConfigError)
      try {
        RetryBudget.make(options)
      } catch (error) {
        expect((error as ResilienceConfigError).option).toBe(option)
      }
    }
  })
})

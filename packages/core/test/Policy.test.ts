import * as Policy from "@effect-resilience/core/Policy"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"

const tracing = (log: Array<string>, name: string): Policy.Policy => (self) =>
  Effect.sync(() => log.push(`${name} in`)).pipe(
    Effect.zipRight(self),
    Effect.ensuring(Effect.sync(() => log.push(`${name} out`)))
  )

describe("Policy.wrap", () => {
  it.effect("the first policy is outermost: wrap(p1, p2, p3)(self) = p1(p2(p3(self)))", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const wrapped = Policy.wrap(tracing(log, "p1"), tracing(log, "p2"), tracing(log, "p3"))
      yield* wrapped(Effect.sync(() => log.push("self")))
      expect(log).toEqual(["p1 in", "p2 in", "p3 in", "self", "p3 out", "p2 out", "p1 out"])
    }))

  it.effect("order matters and is observable: retry around timeout retries each timed-out attempt", () =>
    Effect.gen(function*() {
      let attempts = 0
      const slow = Effect.suspend(() => {
        attempts++
        return Effect.never
      })
      const retryOutside = Policy.wrap(
        Retry.retry({ schedule: Retry.constant("10 millis", { maxRetries: 2 }) }),
        Timeout.timeout("100 millis")
      )
      const f1 = yield* Effect.fork(retryOutside(slow))
      yield* TestClock.adjust("1 second")
      expect(Exit.isFailure(yield* Fiber.await(f1))).toBe(true)
      expect(attempts).toBe(3)

      attempts = 0
      const timeoutOutside = Policy.wrap(
        Timeout.timeout("100 millis"),
        Retry.retry({ schedule: Retry.constant("10 millis", { maxRetries: 2 }) })
      )
      const f2 = yield* Effect.fork(timeoutOutside(slow))
      yield* TestClock.adjust("1 second")
      expect(Exit.isFailure(yield* Fiber.await(f2))).toBe(true)
      expect(attempts).toBe(1)
    }))

  it.effect("wrap() of one policy is that policy, and identity does nothing", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      yield* Policy.wrap(tracing(log, "only"))(Effect.void)
      expect(log).toEqual(["only in", "only out"])
      expect(yield* Policy.wrap(Policy.identity, Policy.identity)(Effect.succeed(3))).toBe(3)
    }))

  it("rejects what is not a policy", () => {
    expectConfigError(() => Policy.wrap(Policy.identity, 3 as never), "policies[1]", "function")
  })
})

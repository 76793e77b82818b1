import * as Fallback from "@effect-resilience/core/Fallback"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { expectConfigError } from "./utils/config.js"
import { provideRecording } from "./utils/observer.js"

class NotFound {
  readonly _tag = "NotFound"
}
class Unavailable {
  readonly _tag = "Unavailable"
}

describe("Fallback.fallback", () => {
  it.effect("replaces a failure with the fallback's result, given the error", () =>
    Effect.gen(function*() {
      const result = yield* Effect.fail("boom").pipe(
        Fallback.fallback({ to: (error) => Effect.succeed(`fallback for ${error}`) })
      )
      expect(result).toBe("fallback for boom")
      expect(yield* Fallback.fallback(Effect.succeed(1), { to: () => Effect.succeed(2) })).toBe(1)
    }))

  it.effect("only the failures `when` accepts fall back; others pass through", () =>
    Effect.gen(function*() {
      const call = (error: NotFound | Unavailable) => Effect.fail(error)
      const policy = Fallback.fallback({
        when: (e: NotFound | Unavailable): e is Unavailable => e._tag === "Unavailable",
        to: () => Effect.succeed("cached")
      })
      expect(yield* call(new Unavailable()).pipe(policy)).toBe("cached")
      const exit = yield* call(new NotFound()).pipe(policy, Effect.exit)
      expect(exit).toStrictEqual(Exit.fail(new NotFound()))
    }))

  it.effect("defects and interruption are not failures", () =>
    Effect.gen(function*() {
      const died = yield* Effect.die("bug").pipe(Fallback.fallback({ to: () => Effect.succeed(1) }), Effect.exit)
      expect(Exit.isFailure(died) && died.cause._tag === "Die").toBe(true)
      const fiber = yield* Effect.fork(Effect.never.pipe(Fallback.fallback({ to: () => Effect.succeed(1) })))
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
    }))

  it.effect("reports FallbackUsed", () =>
    provideRecording((recorded) =>
      Effect.gen(function*() {
        yield* Effect.fail("x").pipe(Fallback.fallback({ to: () => Effect.void, name: "price" }))
        expect(recorded.events).toEqual([expect.objectContaining({ _tag: "FallbackUsed", policyName: "price" })])
      })
    ))

  it("rejects bad options when applied", () => {
    expectConfigError(() => Fallback.fallback({ to: "x" as never }), "to", "function")
    expectConfigError(() => Fallback.fallback({ to: () => Effect.void, when: 1 as never }), "when")
    expectConfigError(() => Fallback.fallback(Effect.void, { to: undefined as never }), "to")
  })
})

/**
 * The shared deadline lists behind Timeout and Hedge: one fiber per (Clock, duration), however
 * many calls are waiting; every deadline fires at its own time; nothing is left behind. And what
 * the child fiber that runs their call passes back to the caller.
 */
import * as Hedge from "@effect-resilience/core/Hedge"
import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as Array from "effect/Array"
import * as Chunk from "effect/Chunk"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import * as TestClock from "effect/TestClock"
import * as timers from "../src/internal/timers.js"

/** the fiber's Clock, as policies read it */
const clock = Effect.clockWith(Effect.succeed)

/** lists with a fiber on this fiber's Clock */
const activeLists = Effect.map(clock, (c) => timers.activeLists(c).length)

/** Scheduler turns until `done` holds (at most 200); the idle check runs on microtasks between them */
const until = (done: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200 && !(yield* done); i++) yield* Effect.yieldNow()
  })

/** Scheduler turns until `expected` lists have a fiber (an emptied list stops after several). */
const settle = (expected: number) => until(Effect.map(activeLists, (n) => n === expected))

const pendingSleeps = Effect.map(TestClock.sleeps(), Chunk.size)

describe("shared deadline lists", () => {
  it.effect("1,000 concurrent timeouts wait on one Clock sleep, and each fires at its own deadline", () =>
    Effect.gen(function*() {
      // 10 batches of 100 calls armed 10 ms apart (batch k at 10k ms, each with 1 s): all pending
      // at once, batch k due at 1,000 + 10k ms
      const batches: Array<ReadonlyArray<Fiber.RuntimeFiber<never, Timeout.TimeoutError>>> = []
      for (let k = 0; k < 10; k++) {
        if (k > 0) yield* TestClock.adjust("10 millis")
        batches.push(
          yield* Effect.forEach(
            Array.range(1, 100),
            () => Effect.fork(Effect.never.pipe(Timeout.timeout("1 second"))),
            { concurrency: "unbounded" }
          )
        )
      }
      yield* settle(1)
      expect(yield* activeLists).toBe(1)
      // one TestClock sleep, however many calls wait
      yield* until(Effect.map(pendingSleeps, (n) => n > 0))
      yield* Effect.repeatN(Effect.yieldNow(), 10)
      expect(yield* pendingSleeps).toBe(1)
      const done = (k: number) => batches[k].every((fiber) => fiber.unsafePoll() !== null)
      const waiting = (k: number) => batches[k].every((fiber) => fiber.unsafePoll() === null)
      yield* TestClock.adjust("909 millis") // t = 999
      expect(Array.range(0, 9).every(waiting)).toBe(true)
      for (let k = 0; k < 10; k++) {
        yield* TestClock.adjust(k === 0 ? "1 millis" : "10 millis") // t = 1,000 + 10k: batch k is due
        yield* until(Effect.sync(() => done(k)))
        expect(done(k)).toBe(true)
        if (k < 9) expect(waiting(k + 1)).toBe(true)
      }
      for (const fiber of batches.flat()) {
        const exit = yield* Fiber.await(fiber)
        expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("TimeoutError")
      }
      // nothing pending: the list's fiber stopped when its last deadline fired
      yield* settle(0)
      expect(yield* activeLists).toBe(0)
    }))

  it.effect("deadlines of different durations keep their own order", () =>
    Effect.gen(function*() {
      const order: Array<string> = []
      const wait = (label: string, duration: Duration.DurationInput) =>
        Effect.fork(Effect.never.pipe(
          Timeout.timeout(duration),
          Effect.catchAll(() => Effect.sync(() => order.push(label)))
        ))
      const fibers = [
        yield* wait("3 s", "3 seconds"),
        yield* wait("1 s", "1 second"),
        yield* wait("2 s", "2 seconds"),
        yield* wait("1 s again", "1 second")
      ]
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("1 second")
        yield* Effect.yieldNow()
      }
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual(["1 s", "1 s again", "2 s", "3 s"])
    }))

  it.effect("a finished call cancels its deadline; the list's fiber stops once nothing is armed", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 100; i++) expect(yield* Effect.succeed(i).pipe(Timeout.timeout("1 minute"))).toBe(i)
      yield* settle(0)
      expect(yield* activeLists).toBe(0)
      // and a hedge that did not need its delay leaves nothing either
      expect(yield* Effect.succeed("primary").pipe(Hedge.hedge({ delay: "1 second" }))).toBe("primary")
      yield* settle(0)
      expect(yield* activeLists).toBe(0)
    }))

  it.effect("an interrupted caller cancels its deadline: the deadline never fires", () =>
    Effect.gen(function*() {
      let fired = 0
      const timer = new timers.Timer(1000)
      const c = yield* clock
      const caller = yield* Effect.fork(
        Effect.suspend(() =>
          timers.armed(timer, c, () =>
            fired++, (entry) =>
            Effect.onInterrupt(Effect.never, () =>
              Effect.sync(() => entry.cancel())))
        )
      )
      yield* TestClock.adjust("500 millis")
      yield* Fiber.interrupt(caller)
      yield* TestClock.adjust("1 second")
      expect(fired).toBe(0)
      yield* settle(0)
      expect(yield* activeLists).toBe(0)
    }))

  it.effect("a deadline armed before the Clock moves fires even if its list's fiber starts late", () =>
    Effect.gen(function*() {
      let fired = 0
      const timer = new timers.Timer(100)
      const c = yield* clock
      // arm, then move the clock past the deadline before the list's fiber has run at all
      const entry = timer.arm(c, () => fired++)
      yield* TestClock.setTime(1000)
      entry.list.running = true
      yield* entry.list.start
      yield* Fiber.await(entry.list.fiber!)
      expect(fired).toBe(1)
      expect(entry.linked).toBe(false)
    }))

  it.effect.prop(
    "model: every armed deadline fires exactly once, at the first Clock step at or after it, unless cancelled",
    {
      steps: FastCheck.array(
        FastCheck.oneof(
          FastCheck.record({
            _tag: FastCheck.constant("arm" as const),
            millis: FastCheck.constantFrom(10, 25, 100)
          }),
          FastCheck.record({ _tag: FastCheck.constant("cancel" as const), index: FastCheck.nat(40) }),
          FastCheck.record({
            _tag: FastCheck.constant("advance" as const),
            millis: FastCheck.integer({ min: 1, max: 60 })
          })
        ),
        { maxLength: 40 }
      )
    },
    ({ steps }) =>
      Effect.gen(function*() {
        const c = yield* clock
        const timerOf = new Map<number, timers.Timer>()
        const armed: Array<{ entry: timers.Entry; at: number; firedAt: number | undefined; cancelled: boolean }> = []
        for (const step of steps) {
          const now = c.unsafeCurrentTimeMillis()
          if (step._tag === "arm") {
            let timer = timerOf.get(step.millis)
            if (timer === undefined) timerOf.set(step.millis, timer = new timers.Timer(step.millis))
            const record = {
              entry: undefined as unknown as timers.Entry,
              at: now + step.millis,
              firedAt: undefined as number | undefined,
              cancelled: false
            }
            yield* timers.armed(timer, c, () => {
              record.firedAt = c.unsafeCurrentTimeMillis()
            }, (entry) =>
              Effect.sync(() => {
                record.entry = entry
              }))
            armed.push(record)
          } else if (step._tag === "cancel") {
            const record = armed[step.index]
            if (record !== undefined && record.firedAt === undefined) {
              record.entry.cancel()
              record.cancelled = true
            }
          } else {
            yield* TestClock.adjust(step.millis)
          }
          // the model: whatever is due by now has fired, at the step that reached its deadline
          const time = c.unsafeCurrentTimeMillis()
          for (const record of armed) {
            if (record.cancelled) continue
            if (record.at <= time) {
              expect(record.firedAt).toBeDefined()
            } else {
              expect(record.firedAt).toBeUndefined()
            }
          }
          for (const record of armed) {
            if (record.firedAt !== undefined) {
              expect(record.cancelled).toBe(false)
              expect(record.firedAt).toBeGreaterThanOrEqual(record.at)
            }
          }
        }
        // cancel what is left: nothing stays behind
        for (const record of armed) if (record.firedAt === undefined) record.entry.cancel()
        yield* settle(0)
        expect(yield* activeLists).toBe(0)
      }),
    { fastCheck: { numRuns: 100 } }
  )
})

describe("shared deadline lists on the live Clock", () => {
  const timeoutsPending = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length

  it.live("leave no pending Node timer once the calls are done, so a process can exit", () =>
    Effect.gen(function*() {
      const before = timeoutsPending()
      for (let i = 0; i < 100; i++) {
        expect(yield* Effect.promise(() => Promise.resolve(i)).pipe(Timeout.timeout("1 minute"))).toBe(i)
      }
      expect(yield* Effect.promise(() => Promise.resolve("primary")).pipe(Hedge.hedge({ delay: "1 minute" }))).toBe(
        "primary"
      )
      let after = timeoutsPending()
      for (let i = 0; i < 200 && after > before; i++) {
        yield* Effect.yieldNow()
        after = timeoutsPending()
      }
      expect(after).toBeLessThanOrEqual(before)
    }))
})

describe("FiberRefs set by a call in a child fiber reach the caller, as with Fiber.join", () => {
  const ref = FiberRef.unsafeMake("initial")
  const policies: ReadonlyArray<
    readonly [string, <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, unknown, R>]
  > = [
    ["Timeout.timeout", Timeout.timeout("1 second")],
    ["Hedge.hedge", Hedge.hedge({ delay: "1 second" })]
  ]

  for (const [name, policy] of policies) {
    it.effect(`${name}: a FiberRef set by the call is seen afterwards; one it did not set is left alone`, () =>
      Effect.gen(function*() {
        // set by the call: inherited
        yield* FiberRef.set(ref, "initial")
        expect(yield* FiberRef.set(ref, "set by the call").pipe(Effect.as(1), policy)).toBe(1)
        expect(yield* FiberRef.get(ref)).toBe("set by the call")
        // set by a fiber the call joined: inherited too
        yield* FiberRef.set(ref, "initial")
        yield* Effect.fork(FiberRef.set(ref, "set by a grandchild")).pipe(Effect.flatMap(Fiber.join), policy)
        expect(yield* FiberRef.get(ref)).toBe("set by a grandchild")
        // not set by the call: the caller's own later value stays
        yield* FiberRef.set(ref, "caller")
        expect(yield* Effect.succeed(2).pipe(policy)).toBe(2)
        expect(yield* FiberRef.get(ref)).toBe("caller")
        // a failed call passes nothing on (Fiber.join inherits only on success)
        yield* FiberRef.set(ref, "caller")
        yield* Effect.flip(FiberRef.set(ref, "set by a failure").pipe(Effect.zipRight(Effect.fail("boom")), policy))
        expect(yield* FiberRef.get(ref)).toBe("caller")
      }))

    it.effect(`${name}: a changed runtime flag is passed on, as Fiber.join does`, () =>
      Effect.gen(function*() {
        // flip a flag the test fiber has (whichever way the test runtime set it)
        const flag = RuntimeFlags.OpSupervision
        const initially = RuntimeFlags.isEnabled(yield* Effect.getRuntimeFlags, flag)
        const flipped = (fiberFlags: RuntimeFlags.RuntimeFlags) =>
          RuntimeFlags.isEnabled(fiberFlags, flag) !== initially
        const flip = Effect.patchRuntimeFlags(
          initially ? RuntimeFlagsPatch.disable(flag) : RuntimeFlagsPatch.enable(flag)
        )
        // each in a fresh fiber, whose flags are read after the call (awaited, not joined: a join
        // would pass its flags on to the test's fiber)
        const inFreshFiber = (effect: Effect.Effect<unknown, unknown>) =>
          Effect.flatMap(
            Effect.fork(Effect.zipRight(effect, Effect.getRuntimeFlags)),
            (fiber) => Effect.flatten(Fiber.await(fiber))
          )
        const joined = yield* inFreshFiber(Effect.flatMap(Effect.fork(flip), Fiber.join))
        const viaPolicy = yield* inFreshFiber(policy(flip))
        const unchanged = yield* inFreshFiber(policy(Effect.void))
        expect(flipped(joined)).toBe(true)
        expect(flipped(viaPolicy)).toBe(true)
        expect(flipped(unchanged)).toBe(false)
      }))
  }
})

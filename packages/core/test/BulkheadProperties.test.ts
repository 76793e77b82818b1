import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"

/**
 * A virtual clock for property tests. `TestClock.adjust` waits for real timers to see every
 * fiber suspended (milliseconds per step), too slow for thousands of random schedules; this
 * clock fires its timers in time order and lets fibers settle with `yieldNow` in between.
 * Time still comes only from the `Clock` service, as the bulkhead requires.
 */
class VirtualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  now = 0
  private seq = 0
  private timers: Array<{ readonly at: number; readonly seq: number; readonly resume: () => void }> = []

  unsafeCurrentTimeMillis(): number {
    return this.now
  }
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(this.now) * BigInt(1_000_000)
  }
  readonly currentTimeMillis = Effect.sync(() => this.now)
  readonly currentTimeNanos = Effect.sync(() => this.unsafeCurrentTimeNanos())

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const timer = { at: this.now + Duration.toMillis(duration), seq: this.seq++, resume: () => resume(Effect.void) }
      this.timers.push(timer)
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      return Effect.sync(() => {
        this.timers = this.timers.filter((t) => t !== timer)
      })
    })
  }

  /** Fires the timers due at the earliest pending instant; false when none is pending. */
  step(): boolean {
    if (this.timers.length === 0) return false
    this.now = Math.max(this.now, this.timers[0].at)
    const due = this.timers.filter((t) => t.at <= this.now)
    this.timers = this.timers.slice(due.length)
    for (const timer of due) timer.resume()
    return true
  }
}

const settle = (rounds: number): Effect.Effect<void> =>
  rounds === 0 ? Effect.void : Effect.zipRight(Effect.yieldNow(), Effect.suspend(() => settle(rounds - 1)))

/** Runs the clock until no timer is pending and `done` holds (or fails, so a leak cannot hang). */
const drive = (clock: VirtualClock, done: () => boolean): Effect.Effect<void> =>
  Effect.gen(function*() {
    let idle = 0
    while (true) {
      yield* settle(8)
      if (clock.step()) {
        idle = 0
        continue
      }
      if (done()) return
      if (++idle > 50) return yield* Effect.dieMessage("no timer pending, yet calls are still waiting")
    }
  })

interface Call {
  readonly arrival: number
  readonly duration: number
  readonly result: "succeed" | "fail" | "die"
  /** interrupt the caller this long after it arrives */
  readonly interruptAfter: number | null
}

interface Scenario {
  readonly maxConcurrent: number
  readonly maxQueue: number
  readonly queueTimeout: number | null
  readonly calls: ReadonlyArray<Call>
  readonly closeAt: number | null
}

// small time ranges make ties (a release, an arrival, an interrupt and a deadline at the same instant) frequent
const scenario = (withClose: boolean): FastCheck.Arbitrary<Scenario> =>
  FastCheck.record({
    maxConcurrent: FastCheck.integer({ min: 1, max: 4 }),
    maxQueue: FastCheck.oneof(FastCheck.integer({ min: 0, max: 6 }), FastCheck.constant(Infinity)),
    queueTimeout: FastCheck.option(FastCheck.integer({ min: 0, max: 30 }), { nil: null }),
    calls: FastCheck.array(
      FastCheck.record({
        arrival: FastCheck.integer({ min: 0, max: 30 }),
        duration: FastCheck.integer({ min: 0, max: 20 }),
        result: FastCheck.constantFrom("succeed" as const, "succeed" as const, "fail" as const, "die" as const),
        interruptAfter: FastCheck.option(FastCheck.integer({ min: 0, max: 40 }), { nil: null, freq: 3 })
      }),
      { minLength: 1, maxLength: 14 }
    ),
    closeAt: withClose ? FastCheck.integer({ min: 0, max: 40 }) : FastCheck.constant(null)
  })

interface Observed {
  readonly entered: Array<number>
  readonly started: Array<number>
  readonly startedAt: Map<number, number>
  readonly exits: Map<number, Exit.Exit<unknown, unknown>>
  readonly endedAt: Map<number, number>
  /** the bulkhead's stats just before each call asked for a permit */
  readonly before: Map<number, { readonly active: number; readonly queued: number; readonly closed: boolean }>
  maxRunning: number
  closedAt: number | null
  closeReturnedAt: number | null
  runningWhenClosed: number | null
}

const simulate = (s: Scenario) =>
  Effect.gen(function*() {
    const clock = new VirtualClock()
    const observed: Observed = {
      entered: [],
      started: [],
      startedAt: new Map(),
      exits: new Map(),
      endedAt: new Map(),
      before: new Map(),
      maxRunning: 0,
      closedAt: null,
      closeReturnedAt: null,
      runningWhenClosed: null
    }
    let running = 0
    let closed = false
    const program = Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({
        maxConcurrent: s.maxConcurrent,
        maxQueue: s.maxQueue,
        ...(s.queueTimeout === null ? {} : { queueTimeout: s.queueTimeout })
      })
      const body = (i: number, call: Call) =>
        Effect.sync(() => {
          running++
          observed.maxRunning = Math.max(observed.maxRunning, running)
          observed.started.push(i)
          observed.startedAt.set(i, clock.now)
        }).pipe(
          Effect.zipRight(Effect.sleep(Duration.millis(call.duration))),
          Effect.zipRight(
            call.result === "succeed" ? Effect.void : call.result === "fail" ? Effect.fail("boom") : Effect.die("bug")
          ),
          Effect.ensuring(Effect.sync(() => {
            running--
          }))
        )
      const fibers = yield* Effect.forEach(s.calls, (call, i) =>
        Effect.sleep(Duration.millis(call.arrival)).pipe(
          Effect.zipRight(Effect.flatMap(bulkhead.stats, (stats) => {
            observed.entered.push(i)
            observed.before.set(i, { active: stats.active, queued: stats.queued, closed })
            return bulkhead.protect(body(i, call))
          })),
          Effect.onExit((exit) =>
            Effect.sync(() => {
              observed.exits.set(i, exit)
              observed.endedAt.set(i, clock.now)
            })
          ),
          Effect.fork
        ))
      const interrupters = yield* Effect.forEach(
        s.calls.flatMap((call, i) => call.interruptAfter === null ? [] : [[call.arrival + call.interruptAfter, i]]),
        ([at, i]) => Effect.fork(Effect.zipRight(Effect.sleep(Duration.millis(at)), Fiber.interrupt(fibers[i])))
      )
      let closing: Fiber.RuntimeFiber<void> | undefined
      if (s.closeAt !== null) {
        closing = yield* Effect.fork(
          Effect.sleep(Duration.millis(s.closeAt)).pipe(
            Effect.zipRight(Effect.sync(() => {
              closed = true
              observed.closedAt = clock.now
            })),
            Effect.zipRight(bulkhead.close),
            Effect.zipRight(Effect.sync(() => {
              observed.closeReturnedAt = clock.now
              observed.runningWhenClosed = running
            }))
          )
        )
      }
      yield* drive(clock, () => fibers.every((f) => f.unsafePoll() !== null) && closing?.unsafePoll() !== null)
      yield* Fiber.interruptAll(interrupters)
      const stats = yield* bulkhead.stats
      // no permit was lost: maxConcurrent calls can still run at once
      let freeSlots = -1
      if (s.closeAt === null) {
        const holders = yield* Effect.forEach(
          Array.from({ length: s.maxConcurrent }),
          () => Effect.fork(bulkhead.protect(Effect.never))
        )
        yield* settle(4)
        freeSlots = (yield* bulkhead.stats).active
        yield* Fiber.interruptAll(holders)
      }
      return { stats, freeSlots }
    })
    const { freeSlots, stats } = yield* program.pipe(Effect.scoped, Effect.withClock(clock))
    return { observed, stats, freeSlots }
  })

const reasonOf = (exit: Exit.Exit<unknown, unknown> | undefined): string | undefined => {
  if (exit === undefined || Exit.isSuccess(exit)) return undefined
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  return failure instanceof Bulkhead.BulkheadRejected ? failure.reason : undefined
}

const checkCommon = (s: Scenario, o: Observed, stats: Bulkhead.Bulkhead.Stats) => {
  // never more than maxConcurrent at any instant
  expect(o.maxRunning).toBeLessThanOrEqual(s.maxConcurrent)
  // FIFO: calls start in the order they asked for a permit
  const rank = new Map(o.entered.map((id, index) => [id, index]))
  const startRanks = o.started.map((id) => rank.get(id)!)
  expect(startRanks).toEqual([...startRanks].sort((a, b) => a - b))
  // after any interleaving everything is released
  expect(stats.active).toBe(0)
  expect(stats.queued).toBe(0)
  for (const id of o.entered) {
    const before = o.before.get(id)!
    const reason = reasonOf(o.exits.get(id))
    const started = o.startedAt.has(id)
    if (reason !== undefined) expect(started).toBe(false)
    if (before.closed) {
      expect(reason).toBe("Closed")
    } else if (before.active < s.maxConcurrent) {
      // a free permit: admitted at once
      expect(o.startedAt.get(id)).toBe(s.calls[id].arrival)
    } else if (before.queued >= s.maxQueue) {
      expect(reason).toBe("Full")
    } else if (reason === "QueueTimeout") {
      // rejected once it has waited longer than queueTimeout (1 ms later); 0 rejects at once
      expect(o.endedAt.get(id)! - s.calls[id].arrival).toBe(s.queueTimeout === 0 ? 0 : s.queueTimeout! + 1)
    } else if (started && s.queueTimeout !== null) {
      expect(o.startedAt.get(id)! - s.calls[id].arrival).toBeLessThanOrEqual(s.queueTimeout)
    }
    if (reason === "Full") expect(before.queued).toBeGreaterThanOrEqual(s.maxQueue)
    if (reason === "QueueTimeout") expect(s.queueTimeout).not.toBeNull()
  }
}

const checkProperty = (
  arbitrary: FastCheck.Arbitrary<Scenario>,
  check: (s: Scenario) => Effect.Effect<void>
): Promise<void> =>
  FastCheck.assert(FastCheck.asyncProperty(arbitrary, (s) => Effect.runPromise(check(s))), { numRuns: 1000 })

describe("Bulkhead properties", () => {
  // plain `it` + fast-check: the scenario runs on its own VirtualClock, so building the test
  // services for each of the 1,000 cases (most of the time of `it.effect.prop`) is not needed
  it("limits, FIFO, rejections and release hold for random arrivals, durations, failures and interruptions", () =>
    checkProperty(scenario(false), (s) =>
      Effect.gen(function*() {
        const { freeSlots, observed, stats } = yield* simulate(s)
        checkCommon(s, observed, stats)
        expect(freeSlots).toBe(s.maxConcurrent)
        // a call that was neither rejected nor interrupted ran
        for (const id of observed.entered) {
          const exit = observed.exits.get(id)!
          if (reasonOf(exit) === undefined && !Exit.isInterrupted(exit)) expect(observed.startedAt.has(id)).toBe(true)
        }
      })))

  it("close rejects queued and later calls, and returns once no call is active", () =>
    checkProperty(scenario(true), (s) =>
      Effect.gen(function*() {
        const { observed, stats } = yield* simulate(s)
        checkCommon(s, observed, stats)
        expect(observed.closeReturnedAt).not.toBeNull()
        expect(observed.runningWhenClosed).toBe(0)
        for (const id of observed.entered) {
          const reason = reasonOf(observed.exits.get(id))
          // every call that ran had ended by the time close returned
          if (observed.startedAt.has(id)) {
            expect(observed.endedAt.get(id)!).toBeLessThanOrEqual(observed.closeReturnedAt!)
          }
          // a call still queued at close was rejected with "Closed" then, never run
          if (reason === "Closed" && !observed.before.get(id)!.closed) {
            expect(observed.endedAt.get(id)).toBe(observed.closedAt)
          }
        }
      })))
})

describe("Bulkhead at scale", () => {
  it.scoped("20,000 queued callers all complete: a release hands its permit to the next waiter in O(1)", () =>
    Effect.gen(function*() {
      const waiting = 20_000
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 100, maxQueue: waiting, queueTimeout: "1 hour" })
      const gate = yield* Deferred.make<void>()
      let completed = 0
      const order: Array<number> = []
      const fibers = yield* Effect.forEach(
        Array.from({ length: 100 + waiting }, (_, i) => i),
        (i) =>
          Effect.fork(
            bulkhead.protect(
              i < 100 ? Deferred.await(gate) : Effect.sync(() => order.push(i)).pipe(Effect.zipRight(Effect.yieldNow()))
            ).pipe(Effect.tap(() => {
              completed++
            }))
          ),
        { concurrency: 1 }
      )
      yield* Effect.yieldNow()
      expect(yield* bulkhead.stats).toEqual({
        active: 100,
        queued: waiting,
        maxConcurrent: 100,
        maxQueue: waiting,
        limit: 100
      })
      yield* TestClock.adjust("59 minutes") // the queue-timeout timer is armed but not due
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(fibers, Fiber.join, { discard: true })
      expect(completed).toBe(100 + waiting)
      expect(order).toEqual(Array.from({ length: waiting }, (_, i) => 100 + i))
      expect(yield* bulkhead.stats).toEqual({ active: 0, queued: 0, maxConcurrent: 100, maxQueue: waiting, limit: 100 })
    }))

  it.scoped("20,000 waiters time out together on one timer", () =>
    Effect.gen(function*() {
      const waiting = 20_000
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 1, maxQueue: waiting, queueTimeout: "1 second" })
      yield* Effect.fork(bulkhead.protect(Effect.never))
      const fibers = yield* Effect.forEach(
        Array.from({ length: waiting }),
        () => Effect.fork(Effect.flip(bulkhead.protect(Effect.void))),
        { concurrency: 1 }
      )
      yield* Effect.yieldNow()
      expect((yield* bulkhead.stats).queued).toBe(waiting)
      yield* TestClock.adjust("1001 millis")
      const reasons = yield* Effect.forEach(fibers, (fiber) => Effect.map(Fiber.join(fiber), (e) => e.reason))
      expect(reasons.every((reason) => reason === "QueueTimeout")).toBe(true)
      expect(yield* bulkhead.stats).toEqual({ active: 1, queued: 0, maxConcurrent: 1, maxQueue: waiting, limit: 1 })
    }))
})

import * as Chaos from "@effect-resilience/core/Chaos"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Policy from "@effect-resilience/core/Policy"
import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"
import { metricValue } from "./utils/metrics.js"
import { seeded } from "./utils/schedule.js"

class Injected {
  readonly _tag = "Injected"
  constructor(readonly at: number) {}
}

const Clock = Effect.clockWith((clock) => clock.currentTimeMillis)

const injected = (injection: Chaos.Injection) => new Injected(injection.at)

/** Runs `n` calls of `Effect.succeed(i)` through `policy`; true where the strategy fired. */
const firings = <E>(
  policy: (self: Effect.Effect<number>) => Effect.Effect<number, E>,
  n: number
): Effect.Effect<Array<boolean>> =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    (i) =>
      Effect.map(Effect.either(policy(Effect.succeed(i))), (result) => !(Either.isRight(result) && result.right === i))
  )

const withConfig = (entries: Record<string, string>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.withConfigProvider(effect, ConfigProvider.fromMap(new Map(Object.entries(entries))))

const count = (flags: ReadonlyArray<boolean>) => flags.filter(Boolean).length

describe("Chaos: switched off unless switched on", () => {
  it.effect("is off without `enabled` and without its Config key, even at rate 1", () =>
    Effect.gen(function*() {
      expect(count(yield* firings(Chaos.fault({ rate: 1, error: injected }), 100))).toBe(0)
      expect(count(yield* firings(Chaos.outcome({ name: "x", rate: 1, value: () => -1 }), 100))).toBe(0)
    }))

  it.effect("`enabled: true` fires at `rate`; rate 0 never and rate 1 always; `enabled: false` wins over Config", () =>
    Effect.gen(function*() {
      expect(count(yield* firings(Chaos.fault({ rate: 1, error: injected, enabled: true }), 50))).toBe(50)
      expect(count(yield* firings(Chaos.fault({ rate: 0, error: injected, enabled: true }), 50))).toBe(0)
      const off = Chaos.fault({ rate: 1, error: injected, enabled: false })
      expect(count(yield* firings(off, 50).pipe(withConfig({ RESILIENCE_CHAOS_FAULT_ENABLED: "true" })))).toBe(0)
    }))

  it.effect("reads RESILIENCE_CHAOS_<NAME>_ENABLED per call from the current ConfigProvider", () =>
    Effect.gen(function*() {
      const named = Chaos.fault({ name: "inventory-api", rate: 1, error: injected })
      const on = withConfig({ RESILIENCE_CHAOS_INVENTORY_API_ENABLED: "true" })
      const off = withConfig({ RESILIENCE_CHAOS_INVENTORY_API_ENABLED: "false" })
      expect(count(yield* firings(named, 10).pipe(on))).toBe(10)
      expect(count(yield* firings(named, 10).pipe(off))).toBe(0)
      expect(count(yield* firings(named, 10).pipe(on))).toBe(10)
      // an unnamed strategy uses its kind
      const unnamed = Chaos.latency({ rate: 1, delay: 0 })
      const fired: Array<ResilienceEvent> = []
      yield* Effect.void.pipe(unnamed, withConfig({ RESILIENCE_CHAOS_LATENCY_ENABLED: "true" }), collectInto(fired))
      expect(fired.map((e) => e._tag === "ChaosInjected" && e.policyName)).toEqual(["latency"])
    }))

  it.effect("a value that is not a boolean keeps it off and is logged as a warning once per strategy", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        logs.push(`${logLevel.label}: ${String(message)}`)
      })
      const strategy = Chaos.fault({ name: "pay", rate: 1, error: injected })
      const fired = yield* firings(strategy, 20).pipe(
        withConfig({ RESILIENCE_CHAOS_PAY_ENABLED: "sometimes" }),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      expect(count(fired)).toBe(0)
      expect(logs.length).toBe(1)
      expect(logs[0]).toContain("WARN")
      expect(logs[0]).toContain("RESILIENCE_CHAOS_PAY_ENABLED")
    }))

  it.effect("an `Effect<boolean>` is read on every call, so a flag service can switch it at run time", () =>
    Effect.gen(function*() {
      const flag = yield* Ref.make(false)
      const strategy = Chaos.fault({ rate: 1, error: injected, enabled: Ref.get(flag) })
      expect(count(yield* firings(strategy, 5))).toBe(0)
      yield* Ref.set(flag, true)
      expect(count(yield* firings(strategy, 5))).toBe(5)
      yield* Ref.set(flag, false)
      expect(count(yield* firings(strategy, 5))).toBe(0)
    }))
})

/** Collects the events published while `effect` runs under a fresh registry. */
const collectInto = (events: Array<ResilienceEvent>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (event) => Effect.sync(() => events.push(event))))
    for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
    const result = yield* effect
    for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
    return result
  })).pipe(Effect.provide(Resilience.layer()))

describe("Chaos strategies", () => {
  it.effect("fault fails with `error(injection)` instead of running the call", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust(1234)
      let ran = 0
      const error = yield* Effect.sync(() => ran++).pipe(
        Chaos.fault({ name: "f", rate: 1, enabled: true, error: (i) => i }),
        Effect.flip
      )
      expect(error).toEqual({ policyName: "f", kind: "fault", at: 1234 })
      expect(ran).toBe(0)
    }))

  it.effect("latency sleeps on the Clock before the call, fixed or drawn per call, and is interruptible", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Clock.pipe(Chaos.latency({ rate: 1, enabled: true, delay: "2 seconds" }))
      )
      yield* TestClock.adjust("1999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBe(2000)

      const drawn = yield* Effect.fork(
        Clock.pipe(Chaos.latency({ rate: 1, enabled: true, delay: Effect.succeed(Duration.millis(300)) }))
      )
      yield* TestClock.adjust(300)
      expect(yield* Fiber.join(drawn)).toBe(2300)

      let ran = false
      const interrupted = yield* Effect.fork(
        Effect.sync(() => {
          ran = true
        }).pipe(Chaos.latency({ rate: 1, enabled: true, delay: "1 minute" }))
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(interrupted)
      yield* TestClock.adjust("2 minutes")
      expect(ran).toBe(false)
    }))

  it.effect("outcome returns `value(injection)` instead of running the call", () =>
    Effect.gen(function*() {
      let ran = 0
      const value = yield* Effect.sync(() => ++ran).pipe(
        Chaos.outcome({ rate: 1, enabled: true, value: (i) => `${i.kind} at ${i.at}` })
      )
      expect(value).toBe("outcome at 0")
      expect(ran).toBe(0)
    }))

  it.effect("behavior runs its effect before the call; its failure or interruption is the call's", () =>
    Effect.gen(function*() {
      const order: Array<string> = []
      yield* Effect.sync(() => order.push("call")).pipe(
        Chaos.behavior({ rate: 1, enabled: true, effect: Effect.sync(() => order.push("behavior")) })
      )
      expect(order).toEqual(["behavior", "call"])
      const failed = yield* Effect.void.pipe(
        Chaos.behavior({ rate: 1, enabled: true, effect: Effect.fail("connection dropped" as const) }),
        Effect.flip
      )
      expect(failed).toBe("connection dropped")
      const exit = yield* Effect.exit(
        Effect.void.pipe(Chaos.behavior({ rate: 1, enabled: true, effect: Effect.interrupt }))
      )
      expect(exit._tag === "Failure" && exit.cause._tag).toBe("Interrupt")
    }))

  it.effect("reports ChaosInjected events and resilience_chaos_injections_total by kind", () =>
    Effect.gen(function*() {
      const events: Array<ResilienceEvent> = []
      yield* Effect.gen(function*() {
        yield* Effect.either(Effect.void.pipe(Chaos.fault({ name: "m", rate: 1, enabled: true, error: injected })))
        yield* Effect.void.pipe(Chaos.latency({ name: "m", rate: 1, enabled: true, delay: 0 }))
        yield* Effect.void.pipe(Chaos.latency({ name: "m", rate: 1, enabled: true, delay: 0 }))
        expect(yield* metricValue("resilience_chaos_injections_total", { name: "m", kind: "fault" })).toBe(1)
        expect(yield* metricValue("resilience_chaos_injections_total", { name: "m", kind: "latency" })).toBe(2)
      }).pipe(collectInto(events))
      expect(events.map((e) => e._tag === "ChaosInjected" && e.kind)).toEqual(["fault", "latency", "latency"])
      expect(events[0]).toMatchObject({ policyName: "m", at: 0 })
    }))

  it("rejects bad options at construction, naming the option", () => {
    expectConfigError(() => Chaos.fault({ rate: 1.5, error: injected }), "rate", "[0, 1]")
    expectConfigError(() => Chaos.fault({ rate: NaN, error: injected }), "rate")
    expectConfigError(() => Chaos.fault({ rate: 0.5, error: "boom" as never }), "error", "function")
    expectConfigError(() => Chaos.fault({ rate: 0.5, error: injected, enabled: "yes" as never }), "enabled")
    expectConfigError(() => Chaos.fault({ rate: 0.5, error: injected, name: "" }), "name")
    expectConfigError(() => Chaos.latency({ rate: 0.5, delay: -5 }), "delay")
    expectConfigError(() => Chaos.latency({ rate: 0.5, delay: "soon" as never }), "delay")
    expectConfigError(() => Chaos.outcome({ rate: 0.5, value: 3 as never }), "value")
    expectConfigError(() => Chaos.behavior({ rate: 0.5, effect: (() => {}) as never }), "effect")
    expectConfigError(() => Chaos.fault(undefined as never), "options")
  })
})

describe("Chaos is reproducible under a seed", () => {
  const workload = (seed: number) =>
    seeded(
      seed,
      firings(
        Policy.wrap(
          Chaos.fault({ rate: 0.2, error: injected, enabled: true }),
          Chaos.outcome({ rate: 0.1, value: () => -1, enabled: true }) as Policy.Policy
        ),
        1000
      )
    )

  it.effect("the same seed injects the same faults at the same calls; another seed does not", () =>
    Effect.gen(function*() {
      const first = yield* workload(42)
      const second = yield* workload(42)
      expect(second).toEqual(first)
      expect(count(first)).toBeGreaterThan(200)
      expect(yield* workload(43)).not.toEqual(first)
    }))

  it.effect.prop(
    "over 10,000 calls the injection count is within binomial bounds of rate",
    [FastCheck.double({ min: 0, max: 1, noNaN: true }), FastCheck.integer()],
    ([rate, seed]) =>
      Effect.gen(function*() {
        const n = 10_000
        const fired = count(yield* seeded(seed, firings(Chaos.fault({ rate, error: injected, enabled: true }), n)))
        // six standard deviations: a false alarm about once in a billion runs
        const slack = 6 * Math.sqrt(n * rate * (1 - rate)) + 1
        expect(Math.abs(fired - n * rate)).toBeLessThanOrEqual(slack)
      }),
    { fastCheck: { numRuns: 25 } }
  )
})

describe("Chaos composes with the policies it rehearses", () => {
  it.scoped("inside Policy.wrap(retry, breaker, timeout): retries recover, timeouts fire, the breaker opens", () =>
    seeded(
      5,
      Effect.gen(function*() {
        const breaker = yield* CircuitBreaker.make({ trip: CircuitBreaker.consecutive(3), breakDuration: "1 minute" })
        const faultRate = yield* Ref.make(0.3)
        const events: Array<ResilienceEvent> = []
        const outage = Chaos.fault({
          name: "outage",
          rate: 1,
          enabled: Effect.map(Ref.get(faultRate), (r) => r === 1),
          error: injected
        })
        const protect = Policy.wrap(
          Retry.retry({ schedule: Retry.constant("10 millis", { maxRetries: 4 }), name: "r" }),
          breaker.protect,
          Timeout.timeout({ duration: "100 millis", name: "t" }),
          Chaos.fault({ name: "fault", rate: 0.3, enabled: true, error: injected }),
          Chaos.latency({ name: "slow", rate: 0.2, enabled: true, delay: "1 second" }),
          outage
        )
        yield* Effect.gen(function*() {
          // with faults and latency at a bearable rate, every call ends well
          const calm = yield* Effect.fork(
            Effect.forEach(Array.from({ length: 20 }), () => protect(Effect.succeed("ok")))
          )
          yield* TestClock.adjust("1 minute")
          expect(yield* Fiber.join(calm)).toEqual(Array(20).fill("ok"))
          expect(yield* breaker.state).toBe("Closed")
          // every call failing: the breaker opens and the retry's last attempts are rejected
          yield* Ref.set(faultRate, 1)
          const storm = yield* Effect.fork(Effect.flip(protect(Effect.succeed("ok"))))
          yield* TestClock.adjust("1 second")
          expect((yield* Fiber.join(storm))._tag).toBe("CircuitBreakerOpen")
          expect(yield* breaker.state).toBe("Open")
        }).pipe(collectInto(events))
        const tags = new Set(events.map((e) => e._tag))
        expect(tags.has("RetryScheduled")).toBe(true)
        expect(tags.has("TimedOut")).toBe(true)
        expect(events.some((e) => e._tag === "ChaosInjected" && e.kind === "latency")).toBe(true)
        expect(events.some((e) => e._tag === "ChaosInjected" && e.policyName === "fault")).toBe(true)
      })
    ))

  it.effect("retries recover injected faults", () =>
    seeded(
      7,
      Effect.gen(function*() {
        const protect = Policy.wrap(
          Retry.retry({ schedule: Retry.constant("10 millis", { maxRetries: 10 }) }),
          Chaos.fault({ rate: 0.5, error: injected, enabled: true })
        )
        const fiber = yield* Effect.fork(
          Effect.forEach(Array.from({ length: 50 }), () => protect(Effect.succeed("ok")))
        )
        yield* TestClock.adjust("10 seconds")
        expect(yield* Fiber.join(fiber)).toEqual(Array(50).fill("ok"))
      })
    ))

  it.scoped("the breaker opens under a high fault rate, and the fault strategy then never runs", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ trip: CircuitBreaker.consecutive(5), breakDuration: "1 minute" })
      let calls = 0
      const faulty = Chaos.fault({ rate: 1, error: injected, enabled: true })
      const protect = Policy.wrap(breaker.protect, faulty)
      const results = yield* Effect.forEach(
        Array.from({ length: 8 }),
        () => Effect.flip(protect(Effect.sync(() => ++calls)))
      )
      expect(results.map((e) => e._tag)).toEqual([
        ...Array(5).fill("Injected"),
        ...Array(3).fill("CircuitBreakerOpen")
      ])
      expect(yield* breaker.state).toBe("Open")
      expect(calls).toBe(0)
    }))

  it.effect("the timeout fires on injected latency; a retry outside tries again", () =>
    seeded(
      3,
      Effect.gen(function*() {
        const attempts: Array<number> = []
        const protect = Policy.wrap(
          Retry.retry({ schedule: Retry.constant(0, { maxRetries: 5 }) }),
          Timeout.timeout("1 second"),
          Chaos.latency({ rate: 0.5, delay: "10 seconds", enabled: true })
        )
        const fiber = yield* Effect.fork(
          protect(Effect.flatMap(Clock, (now) => Effect.sync(() => attempts.push(now))))
        )
        yield* TestClock.adjust("1 minute")
        yield* Fiber.join(fiber)
        // every attempt that ran did so without injected latency; the delayed ones timed out at 1 s
        expect(attempts.length).toBe(1)
        expect(attempts[0] % 1000).toBe(0)
      })
    ))
})

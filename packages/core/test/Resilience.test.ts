import { ResilienceLive } from "@effect-resilience/core"
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Fallback from "@effect-resilience/core/Fallback"
import * as Hedge from "@effect-resilience/core/Hedge"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { ResilienceEvent as ResilienceEventCtor } from "@effect-resilience/core/ResilienceEvent"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { EventHub } from "../src/internal/live.js"
import { type Observer, ObserverTag } from "../src/internal/observer.js"
import { expectConfigError } from "./utils/config.js"
import { metricState, metricValue } from "./utils/metrics.js"

const withConfig = (entries: Record<string, string>, pathDelim = ".") =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries)), { pathDelim }))

const configured = (entries: Record<string, string>, options?: Resilience.Resilience.Options, pathDelim?: string) =>
  Resilience.layerConfig(options).pipe(Layer.provide(withConfig(entries, pathDelim)))

/** Subscribes to the event stream and returns the array it fills. */
const collectEvents = Effect.gen(function*() {
  const events: Array<ResilienceEvent> = []
  yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (event) => Effect.sync(() => events.push(event))))
  // let the subscription start before anything is published
  for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
  return events
})

const settle = Effect.repeatN(Effect.yieldNow(), 10)

describe("Resilience registry", () => {
  it.scoped("returns one instance per name, created on first use, shared across fibers", () =>
    Effect.gen(function*() {
      const breakers = yield* Effect.all(
        Array.from({ length: 50 }, () => Resilience.circuitBreaker("payments")),
        { concurrency: "unbounded" }
      )
      expect(new Set(breakers).size).toBe(1)
      expect(breakers[0].name).toBe("payments")
      expect(yield* Resilience.circuitBreaker("search")).not.toBe(breakers[0])
      const bulkheads = yield* Effect.all([Resilience.bulkhead("db"), Resilience.bulkhead("db")], {
        concurrency: 2
      })
      expect(bulkheads[0]).toBe(bulkheads[1])
      expect(yield* Resilience.rateLimiter("api")).toBe(yield* Resilience.rateLimiter("api"))
      expect(yield* Resilience.retryBudget("shared")).toBe(yield* Resilience.retryBudget("shared"))
    }).pipe(Effect.provide(Resilience.layer())))

  it.scoped("options come from code: defaults per kind, then per instance", () =>
    Effect.gen(function*() {
      const db = yield* Resilience.bulkhead("db")
      const other = yield* Resilience.bulkhead("other")
      expect((yield* db.stats).maxConcurrent).toBe(3)
      expect((yield* other.stats).maxConcurrent).toBe(7)
      expect((yield* other.stats).maxQueue).toBe(2)
      const limiter = yield* Resilience.rateLimiter("api")
      expect(limiter.limit).toBe(50)
      const budget = yield* Resilience.retryBudget("b")
      expect(budget.ratio).toBe(0.2)
    }).pipe(
      Effect.provide(
        Resilience.layer({
          defaults: { bulkhead: { maxConcurrent: 7, maxQueue: 2 } },
          instances: { bulkhead: { db: { maxConcurrent: 3 } } }
        })
      )
    ))

  it.scoped("withCircuitBreaker / withBulkhead / withRateLimiter protect with the named instance", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 2; i++) {
        yield* Effect.fail("boom").pipe(Resilience.withCircuitBreaker("payments"), Effect.ignore)
      }
      const rejected = yield* Effect.succeed(1).pipe(Resilience.withCircuitBreaker("payments"), Effect.flip)
      expect(rejected._tag).toBe("CircuitBreakerOpen")
      expect(yield* Effect.succeed(2).pipe(Resilience.withBulkhead("db"))).toBe(2)
      expect(yield* Effect.succeed(3).pipe(Resilience.withRateLimiter("api"))).toBe(3)
    }).pipe(
      Effect.provide(
        Resilience.layer({ instances: { circuitBreaker: { payments: { trip: CircuitBreaker.consecutive(2) } } } })
      )
    ))
})

describe("Resilience configuration from Config", () => {
  it.scoped("keys RESILIENCE_<KIND>_<NAME>_<OPTION> build the options; Config overrides code", () =>
    Effect.gen(function*() {
      const breaker = yield* Resilience.circuitBreaker("payments-api")
      for (let i = 0; i < 2; i++) yield* Effect.fail("x").pipe(breaker.protect, Effect.ignore)
      const open = yield* Effect.void.pipe(breaker.protect, Effect.flip)
      expect(open._tag === "CircuitBreakerOpen" && Duration.toMillis(open.retryAfter)).toBe(10_000)
      const bulkhead = yield* Resilience.bulkhead("db")
      expect(yield* bulkhead.stats).toMatchObject({ maxConcurrent: 4, maxQueue: 8 })
      const limiter = yield* Resilience.rateLimiter("api")
      expect(limiter.limit).toBe(3)
      expect(limiter.algorithm).toBe("fixed-window")
      expect(Duration.toMillis(limiter.interval)).toBe(2000)
      const budget = yield* Resilience.retryBudget("retries")
      expect(budget.ratio).toBe(0.5)
      expect(budget.minPerSecond).toBe(2)
      expect(Duration.toMillis(budget.window)).toBe(30_000)
    }).pipe(
      Effect.provide(configured(
        {
          RESILIENCE_CIRCUITBREAKER_PAYMENTS_API_CONSECUTIVE_FAILURES: "2",
          RESILIENCE_CIRCUITBREAKER_PAYMENTS_API_BREAK_DURATION: "10 seconds",
          RESILIENCE_BULKHEAD_DB_MAX_CONCURRENT: "4",
          RESILIENCE_BULKHEAD_DB_MAX_QUEUE: "8",
          RESILIENCE_RATELIMITER_API_LIMIT: "3",
          RESILIENCE_RATELIMITER_API_INTERVAL: "2000",
          RESILIENCE_RATELIMITER_API_ALGORITHM: "fixed-window",
          RESILIENCE_RETRYBUDGET_RETRIES_RATIO: "0.5",
          RESILIENCE_RETRYBUDGET_RETRIES_MIN_PER_SECOND: "2",
          RESILIENCE_RETRYBUDGET_RETRIES_WINDOW: "30 seconds"
        },
        // code says 5 failures and a 1 s break for payments-api; Config wins
        {
          instances: {
            circuitBreaker: { "payments-api": { trip: CircuitBreaker.consecutive(5), breakDuration: "1 second" } }
          }
        }
      ))
    ))

  it.scoped("works with an env-style provider (path delimiter `_`) and a failure-rate trip", () =>
    Effect.gen(function*() {
      const breaker = yield* Resilience.circuitBreaker("search")
      // 2 calls, 1 failure: rate 0.5 ≥ 0.5 with minimumCalls 2
      yield* Effect.void.pipe(breaker.protect)
      yield* Effect.fail("x").pipe(breaker.protect, Effect.ignore)
      expect(yield* breaker.state).toBe("Open")
    }).pipe(Effect.provide(configured(
      {
        RESILIENCE_CIRCUITBREAKER_SEARCH_FAILURE_RATE_THRESHOLD: "0.5",
        RESILIENCE_CIRCUITBREAKER_SEARCH_FAILURE_RATE_MINIMUM_CALLS: "2",
        RESILIENCE_CIRCUITBREAKER_SEARCH_FAILURE_RATE_WINDOW_CALLS: "4"
      },
      undefined,
      "_"
    ))))

  const failure = (entries: Record<string, string>, options?: Resilience.Resilience.Options) =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(configured(entries, options))))
      expect(Exit.isFailure(exit)).toBe(true)
      return Exit.isFailure(exit) ? String(exit.cause) : ""
    })

  it.effect("a bad value fails the layer with an error naming the key and the rule", () =>
    Effect.gen(function*() {
      const notANumber = yield* failure({ RESILIENCE_RATELIMITER_API_LIMIT: "lots" })
      expect(notANumber).toContain("RESILIENCE_RATELIMITER_API_LIMIT")
      expect(notANumber).toContain("Expected a number")
      const zero = yield* failure({ RESILIENCE_BULKHEAD_DB_MAX_CONCURRENT: "0" })
      expect(zero).toContain("RESILIENCE_BULKHEAD_DB_MAX_CONCURRENT")
      expect(zero).toContain("maxConcurrent")
      const threshold = yield* failure({ RESILIENCE_CIRCUITBREAKER_X_FAILURE_RATE_THRESHOLD: "1.5" })
      expect(threshold).toContain("RESILIENCE_CIRCUITBREAKER_X_FAILURE_RATE_THRESHOLD")
      const duration = yield* failure({ RESILIENCE_RETRYBUDGET_B_WINDOW: "-5 seconds" })
      expect(duration).toContain("RESILIENCE_RETRYBUDGET_B_WINDOW")
      const typo = yield* failure({ RESILIENCE_BULKHEAD_DB_MAX_CONCURENT: "3" })
      expect(typo).toContain("RESILIENCE_BULKHEAD_DB_MAX_CONCURENT")
      expect(typo).toContain("MAX_CONCURRENT")
      const hex = yield* failure({ RESILIENCE_BULKHEAD_DB_MAX_QUEUE: "0x10" })
      expect(hex).toContain("RESILIENCE_BULKHEAD_DB_MAX_QUEUE")
      const algorithm = yield* failure({ RESILIENCE_RATELIMITER_API_ALGORITHM: "leaky" })
      expect(algorithm).toContain("RESILIENCE_RATELIMITER_API_ALGORITHM")
    }))

  it.effect("window sizes above their maxima fail the layer when it is built, not at first use", () =>
    Effect.gen(function*() {
      const calls = yield* failure({ RESILIENCE_CIRCUITBREAKER_X_FAILURE_RATE_WINDOW_CALLS: "9007199254740991" })
      expect(calls).toContain("RESILIENCE_CIRCUITBREAKER_X_FAILURE_RATE_WINDOW_CALLS")
      expect(calls).toContain("[1, 100000]")
      const buckets = yield* failure({
        RESILIENCE_CIRCUITBREAKER_X_FAILURE_RATE_WINDOW_DURATION: "1 minute",
        RESILIENCE_CIRCUITBREAKER_X_FAILURE_RATE_WINDOW_BUCKETS: "5000000"
      })
      expect(buckets).toContain("RESILIENCE_CIRCUITBREAKER_X_FAILURE_RATE_WINDOW_BUCKETS")
      expect(buckets).toContain("[1, 1000]")
    }))

  it.scoped("keys of other kinds are left alone, and names in keys are normalized", () =>
    Effect.gen(function*() {
      const breaker = yield* Resilience.circuitBreaker("Payments")
      yield* breaker.trip
      const open = yield* Effect.void.pipe(breaker.protect, Effect.flip)
      expect(open._tag === "CircuitBreakerOpen" && Duration.toMillis(open.retryAfter)).toBe(10_000)
    }).pipe(Effect.provide(configured({
      RESILIENCE_LOG_LEVEL: "debug",
      RESILIENCE_CIRCUITBREAKER_payments_BREAK_DURATION: "10 seconds"
    }))))

  it("two names in code `instances` that share Config keys are thrown when the layer is made", () => {
    expectConfigError(
      () => Resilience.layer({ instances: { bulkhead: { "payments-api": {}, PAYMENTS_API: {} } } }),
      "name",
      "\"payments-api\" already uses them"
    )
  })

  it.scoped("a second name that normalizes to an existing instance's Config keys dies naming both", () =>
    Effect.gen(function*() {
      const first = yield* Resilience.bulkhead("payments-api")
      expect(yield* Resilience.bulkhead("payments-api")).toBe(first)
      const exit = yield* Effect.exit(Resilience.bulkhead("PAYMENTS_API"))
      const defect = Exit.isFailure(exit) ? Cause.dieOption(exit.cause) : Option.none()
      expect(Option.isSome(defect) && defect.value).toBeInstanceOf(ResilienceConfigError)
      const error = (defect as Option.Some<ResilienceConfigError>).value
      expect(error.option).toBe("name")
      expect(error.value).toBe("PAYMENTS_API")
      expect(error.message).toContain("\"payments-api\"")
      expect(error.message).toContain("RESILIENCE_BULKHEAD_PAYMENTS_API_*")
      // other kinds have keys of their own, so the same name is fine there
      yield* Resilience.circuitBreaker("PAYMENTS_API")
      // a name from code owns its keys from the start, before first use
      const late = yield* Effect.exit(Resilience.rateLimiter("Search.Api"))
      expect(Exit.isFailure(late)).toBe(true)
      yield* Resilience.rateLimiter("search-api")
    }).pipe(Effect.provide(Resilience.layer({ instances: { rateLimiter: { "search-api": { limit: 3 } } } }))))

  it("bad options from code are thrown when the layer is made", () => {
    expectConfigError(() => Resilience.layer({ events: { capacity: 0 } }), "events.capacity")
    expectConfigError(() => Resilience.layer({ instances: { bulkhead: 3 as never } }), "instances.bulkhead")
    expectConfigError(
      () => Resilience.layer({ instances: { bulkhead: { db: { maxConcurrent: -1 } } } }),
      "maxConcurrent"
    )
    expectConfigError(() => Resilience.layerConfig({ defaults: { retryBudget: { ratio: 2 } } }), "ratio")
  })
})

describe("ResilienceLive events", () => {
  it.scoped("every policy publishes its events to subscribers", () =>
    Effect.gen(function*() {
      const events = yield* collectEvents
      // retry scheduled, gave up
      const retrying = yield* Effect.fork(
        Effect.fail("e").pipe(
          Retry.retry({ schedule: Retry.constant(10, { maxRetries: 1 }), name: "r" }),
          Effect.ignore
        )
      )
      yield* TestClock.adjust(10)
      yield* Fiber.join(retrying)
      // budget exhausted
      const budget = yield* Resilience.retryBudget("tight")
      yield* Effect.fail("e").pipe(Retry.retry({ schedule: Retry.constant(0), budget, name: "rb" }), Effect.ignore)
      // breaker transition and rejection
      const breaker = yield* Resilience.circuitBreaker("cb")
      yield* breaker.trip
      yield* Effect.void.pipe(breaker.protect, Effect.ignore)
      // bulkhead rejection
      const bulkhead = yield* Resilience.bulkhead("bh")
      yield* bulkhead.close
      yield* Effect.void.pipe(bulkhead.protect, Effect.ignore)
      // limiter waited and rejected
      const limiter = yield* Resilience.rateLimiter("rl")
      yield* limiter.acquire()
      const waiting = yield* Effect.fork(limiter.acquire())
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(waiting)
      yield* Effect.void.pipe(RateLimiter.protect(yield* Resilience.rateLimiter("rl-fail")), Effect.ignore)
      yield* Effect.void.pipe(RateLimiter.protect(yield* Resilience.rateLimiter("rl-fail")), Effect.ignore)
      // timeout, hedge, fallback
      const timing = yield* Effect.fork(Effect.never.pipe(Timeout.timeout({ duration: 5, name: "t" }), Effect.ignore))
      yield* TestClock.adjust(5)
      yield* Fiber.join(timing)
      const hedging = yield* Effect.fork(Effect.sleep(100).pipe(Hedge.hedge({ delay: 10, name: "h" })))
      yield* TestClock.adjust(100)
      yield* Fiber.join(hedging)
      yield* Effect.fail("x").pipe(Fallback.fallback({ to: () => Effect.void, name: "f" }))
      yield* settle
      const tags = new Set(events.map((e) => e._tag))
      expect([...tags].sort()).toEqual([
        "BudgetExhausted",
        "CallRejected",
        "CircuitBreakerTransition",
        "FallbackUsed",
        "HedgeLaunched",
        "LimiterWaited",
        "RetryGaveUp",
        "RetryScheduled",
        "TimedOut"
      ])
      const rejected = events.filter((e) => e._tag === "CallRejected").map((e) => e._tag === "CallRejected" && e.policy)
      expect(new Set(rejected)).toEqual(new Set(["CircuitBreaker", "Bulkhead", "RateLimiter"]))
      expect(events.find((e) => e._tag === "CircuitBreakerTransition")).toMatchObject({
        policyName: "cb",
        from: "Closed",
        to: "Open"
      })
    }).pipe(
      Effect.provide(
        Resilience.layer({
          instances: {
            retryBudget: { tight: { ratio: 0, minPerSecond: 0 } },
            rateLimiter: {
              rl: { limit: 1, interval: "1 second" },
              "rl-fail": { limit: 1, interval: "1 second", onExceeded: "fail" }
            }
          }
        })
      )
    ))

  it.scoped("a subscriber sees only what happens after it subscribed", () =>
    Effect.gen(function*() {
      const breaker = yield* Resilience.circuitBreaker("late")
      yield* breaker.trip
      const events = yield* collectEvents
      yield* breaker.reset
      yield* settle
      expect(events.map((e) => e._tag === "CircuitBreakerTransition" && e.to)).toEqual(["Closed"])
    }).pipe(Effect.provide(Resilience.layer())))
})

/** The registry's event hub, reached through the observer it puts in the context. */
const eventHub = Effect.map(
  Effect.serviceOption(ObserverTag),
  (observer) => (Option.getOrThrow(observer) as Observer & { readonly events: EventHub }).events
)

describe("ResilienceLive events without subscribers", () => {
  it.scoped("nothing is published while no one subscribes, and publishing stops again when the last one leaves", () =>
    Effect.gen(function*() {
      const hub = yield* eventHub
      const breaker = yield* Resilience.circuitBreaker("quiet")
      const flip = Effect.zipRight(breaker.trip, breaker.reset)
      yield* Effect.repeatN(flip, 99)
      // what other packages publish goes the same way
      yield* Resilience.publish(ResilienceEventCtor.StoreRecovered({ policyName: "redis:x", store: "redis", at: 0 }))
      expect(hub.subscribers).toBe(0)
      expect(hub.published).toBe(0)

      const seen: Array<ResilienceEvent> = []
      const subscription = yield* Effect.forkScoped(
        Stream.runForEach(Resilience.events, (event) => Effect.sync(() => seen.push(event)))
      )
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(hub.subscribers).toBe(1)
      yield* flip
      yield* Resilience.publish(ResilienceEventCtor.StoreRecovered({ policyName: "redis:x", store: "redis", at: 0 }))
      yield* settle
      expect(hub.published).toBe(3)
      // the 200 transitions before the subscription were never published, so none arrives late
      expect(seen.map((e) => e._tag === "CircuitBreakerTransition" ? e.to : e._tag)).toEqual([
        "Open",
        "Closed",
        "StoreRecovered"
      ])

      yield* Fiber.interrupt(subscription)
      expect(hub.subscribers).toBe(0)
      yield* Effect.repeatN(flip, 9)
      expect(hub.published).toBe(3)
      expect(seen.length).toBe(3)
    }).pipe(Effect.provide(Resilience.layer())))
})

describe("ResilienceLive metrics", () => {
  it.scoped("records calls by outcome, breaker state and transitions, bulkhead levels, limiter decisions", () =>
    Effect.gen(function*() {
      const breaker = yield* Resilience.circuitBreaker("m-cb")
      yield* Effect.void.pipe(breaker.protect)
      yield* Effect.void.pipe(breaker.protect)
      yield* Effect.fail("x").pipe(breaker.protect, Effect.ignore)
      yield* Effect.fail("x").pipe(breaker.protect, Effect.ignore)
      yield* Effect.void.pipe(breaker.protect, Effect.ignore)
      const calls = (outcome: string) =>
        metricValue("resilience_calls_total", { name: "m-cb", policy: "CircuitBreaker", outcome })
      expect(yield* calls("success")).toBe(2)
      expect(yield* calls("failure")).toBe(2)
      expect(yield* calls("rejected")).toBe(1)
      expect(yield* metricValue("resilience_circuit_breaker_state", { name: "m-cb" })).toBe(1)
      expect(
        yield* metricValue("resilience_circuit_breaker_transitions_total", { name: "m-cb", from: "Closed", to: "Open" })
      ).toBe(1)
      const histogram = yield* metricState("resilience_call_duration_seconds", { name: "m-cb" })
      expect((histogram as unknown as { readonly count: number }).count).toBe(4)

      const bulkhead = yield* Resilience.bulkhead("m-bh")
      const running = yield* Effect.fork(Effect.never.pipe(bulkhead.protect))
      yield* settle
      expect(yield* metricValue("resilience_bulkhead_active", { name: "m-bh" })).toBe(1)
      yield* Fiber.interrupt(running)
      expect(yield* metricValue("resilience_bulkhead_active", { name: "m-bh" })).toBe(0)
      yield* Effect.void.pipe(bulkhead.protect)
      yield* Effect.void.pipe(bulkhead.protect)
      expect(yield* metricValue("resilience_calls_total", { name: "m-bh", outcome: "success" })).toBe(2)
      expect(yield* metricValue("resilience_calls_total", { name: "m-bh", outcome: "interrupted" })).toBe(1)

      const limiter = yield* Resilience.rateLimiter("m-rl")
      yield* Effect.void.pipe(limiter.protect)
      yield* Effect.void.pipe(limiter.protect, Effect.ignore)
      expect(yield* metricValue("resilience_rate_limiter_decisions_total", { name: "m-rl", outcome: "allowed" })).toBe(
        1
      )
      expect(yield* metricValue("resilience_rate_limiter_decisions_total", { name: "m-rl", outcome: "rejected" })).toBe(
        1
      )

      const retrying = yield* Effect.fork(
        Effect.fail("e").pipe(Retry.retry({ schedule: Retry.constant(1, { maxRetries: 3 }), name: "m-retry" }))
      )
      yield* TestClock.adjust(10)
      yield* Fiber.await(retrying)
      expect(yield* metricValue("resilience_retry_attempts_total", { name: "m-retry" })).toBe(3)
      expect(yield* metricValue("resilience_calls_total", { name: "m-retry", outcome: "failure" })).toBe(1)
    }).pipe(
      Effect.provide(
        Resilience.layer({
          instances: {
            circuitBreaker: { "m-cb": { trip: CircuitBreaker.consecutive(2) } },
            rateLimiter: { "m-rl": { limit: 1, interval: "1 minute", onExceeded: "fail" } }
          }
        })
      )
    ))

  it.scoped("counters are incremental and handles are tagged per instance", () =>
    Effect.gen(function*() {
      const b1 = yield* Resilience.bulkhead("tag-a")
      const b2 = yield* Resilience.bulkhead("tag-b")
      yield* Effect.void.pipe(b1.protect)
      yield* Effect.void.pipe(b2.protect)
      yield* Effect.void.pipe(b2.protect)
      expect(yield* metricValue("resilience_calls_total", { name: "tag-a", outcome: "success" })).toBe(1)
      expect(yield* metricValue("resilience_calls_total", { name: "tag-b", outcome: "success" })).toBe(2)
      const state = yield* metricState("resilience_calls_total", { name: "tag-b" })
      expect(state).toBeDefined()
    }).pipe(Effect.provide(Resilience.layer())))

  it.scoped("nothing is recorded without the layer, and metrics can be turned off", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ name: "no-layer", maxConcurrent: 1 })
      yield* Effect.void.pipe(bulkhead.protect)
      expect(yield* metricValue("resilience_calls_total", { name: "no-layer" })).toBe(0)
      yield* Effect.flatMap(Resilience.bulkhead("quiet"), (quiet) => Effect.void.pipe(quiet.protect)).pipe(
        Effect.provide(Resilience.layer({ metrics: false }))
      )
      expect(yield* metricValue("resilience_calls_total", { name: "quiet" })).toBe(0)
    }))

  it.scoped("policy decisions show on the current span", () =>
    Effect.gen(function*() {
      const span = yield* Effect.gen(function*() {
        const current = yield* Effect.currentSpan
        const retrying = yield* Effect.fork(
          Effect.fail("e").pipe(Retry.retry({ schedule: Retry.constant(1, { maxRetries: 1 }), name: "traced" }))
        )
        yield* TestClock.adjust(5)
        yield* Fiber.await(retrying)
        const breaker = yield* Resilience.circuitBreaker("traced-cb")
        yield* breaker.trip
        yield* Effect.void.pipe(breaker.protect, Effect.ignore)
        return current
      }).pipe(Effect.withSpan("checkout"))
      const native = span as unknown as {
        readonly events: ReadonlyArray<readonly [string, bigint, Record<string, unknown>]>
        readonly attributes: ReadonlyMap<string, unknown>
      }
      const names = native.events.map(([name]) => name)
      expect(names).toContain("resilience.RetryScheduled")
      expect(names).toContain("resilience.RetryGaveUp")
      expect(names).toContain("resilience.CircuitBreakerTransition")
      expect(native.events.find(([name]) => name === "resilience.RetryScheduled")?.[2]).toMatchObject({
        "resilience.policyName": "traced",
        "resilience.attempt": 1
      })
      expect(native.attributes.get("resilience.circuit_breaker.state")).toBe("Open")
      expect(native.attributes.get("resilience.rejected")).toBe("CircuitBreaker:Open")
    }).pipe(Effect.provide(Resilience.layer())))

  it.scoped("a breaker restored open reports its state gauge from the start", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({
        name: "restored-open",
        initialState: { state: "Open", openedAt: 0, breakMillis: 60_000, halfOpenSuccesses: 0, counts: { failures: 0 } }
      })
      expect(yield* breaker.state).toBe("Open")
      expect(yield* metricValue("resilience_circuit_breaker_state", { name: "restored-open" })).toBe(1)
    }).pipe(Effect.provide(Resilience.layer())))

  it.scoped("unnamed combinators report under their kind's name, however often they are applied", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 20; i++) {
        yield* Timeout.timeout(Effect.succeed(i), "1 second")
        yield* Retry.retry(Effect.succeed(i), { schedule: Retry.constant(10) })
      }
      expect(yield* metricValue("resilience_calls_total", { name: "timeout", outcome: "success" }))
        .toBeGreaterThanOrEqual(
          20
        )
      const names = yield* Effect.map(
        Metric.snapshot,
        (pairs) =>
          new Set(
            pairs.filter((p) => p.metricKey.name === "resilience_calls_total").flatMap((p) =>
              p.metricKey.tags.filter((t) => t.key === "name").map((t) => t.value)
            )
          )
      )
      expect([...names].filter((n) => /^(timeout|retry)-\d+$/.test(n))).toEqual([])
    }).pipe(Effect.provide(Resilience.layer())))

  it.scoped("ResilienceLive is a ready-made layer", () =>
    Effect.gen(function*() {
      const breaker = yield* Resilience.circuitBreaker("live")
      expect(yield* breaker.state).toBe("Closed")
    }).pipe(Effect.provide(ResilienceLive)))
})

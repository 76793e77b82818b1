/**
 * For every constructor and combinator, any JSON-like value (and the numbers, tuples and strings
 * that look like durations) in any one option either builds an instance that runs a call, or
 * throws a `ResilienceConfigError` naming that option: never another exception, never a failure
 * later, never a hang.
 */
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as Chaos from "@effect-resilience/core/Chaos"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Deadline from "@effect-resilience/core/Deadline"
import * as Fallback from "@effect-resilience/core/Fallback"
import * as Hedge from "@effect-resilience/core/Hedge"
import * as Policy from "@effect-resilience/core/Policy"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Reconnect from "@effect-resilience/core/Reconnect"
import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import * as Retry from "@effect-resilience/core/Retry"
import * as RetryBudget from "@effect-resilience/core/RetryBudget"
import * as Timeout from "@effect-resilience/core/Timeout"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Schedule from "effect/Schedule"
import * as TestContext from "effect/TestContext"
import { expectConfigError } from "./utils/config.js"

type Options = Record<string, unknown>

interface Target {
  readonly name: string
  /** valid options; each fuzzed option replaces one of them (a dotted path reaches into objects) */
  readonly base: Options
  readonly fuzz: ReadonlyArray<string>
  /** builds the instance from the options (this is where a config error is thrown) and runs one call */
  readonly run: (options: Options) => Effect.Effect<unknown, unknown, never>
}

const ok = Effect.succeed(1)

class BreakerTag extends Context.Tag("test/Breaker")<BreakerTag, CircuitBreaker.CircuitBreaker>() {}

/** Runs a call through a policy and checks it returned the call's value. */
const through = (policy: (self: Effect.Effect<number>) => Effect.Effect<number, unknown>) =>
  Effect.flatMap(policy(ok), (value) => value === 1 ? Effect.void : Effect.die(`unexpected value ${value}`))

/** The first delays of a schedule: finite and non-negative. */
const stepsOf = (schedule: Schedule.Schedule<Duration.Duration, unknown>) =>
  Effect.flatMap(Schedule.run(schedule, 0, ["a", "b", "c"]), (delays) => {
    for (const delay of delays) {
      if (!Duration.isFinite(delay) || Duration.toMillis(delay) < 0) return Effect.die(`bad delay ${delay}`)
    }
    return Effect.void
  })

const targets: ReadonlyArray<Target> = [
  {
    name: "CircuitBreaker.make",
    base: { name: "cb", breakDuration: "1 second", halfOpenMaxCalls: 1 },
    fuzz: ["name", "trip", "breakDuration", "halfOpenMaxCalls", "isFailure", "slowCall", "store", "initialState"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(CircuitBreaker.make(o as CircuitBreaker.CircuitBreaker.Options), (b) => through(b.protect))
      )
  },
  {
    name: "CircuitBreaker.make with a failure-rate trip and slow calls",
    base: {
      trip: CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 1, window: { calls: 10 } }),
      slowCall: { duration: "1 second", rate: 0.5 }
    },
    fuzz: ["slowCall.duration", "slowCall.rate"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(CircuitBreaker.make(o as CircuitBreaker.CircuitBreaker.Options), (b) => through(b.protect))
      )
  },
  {
    name: "CircuitBreaker.consecutive",
    base: { failures: 3 },
    fuzz: ["failures"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          CircuitBreaker.make({ trip: CircuitBreaker.consecutive(o.failures as number) }),
          (b) => through(b.protect)
        )
      )
  },
  {
    name: "CircuitBreaker.failureRate (count window)",
    base: { threshold: 0.5, minimumCalls: 1, window: { calls: 10 } },
    fuzz: ["threshold", "minimumCalls", "window", "window.calls"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          CircuitBreaker.make({ trip: CircuitBreaker.failureRate(o as unknown as CircuitBreaker.FailureRateOptions) }),
          (b) => through(b.protect)
        )
      )
  },
  {
    name: "CircuitBreaker.failureRate (time window)",
    base: { threshold: 0.5, minimumCalls: 1, window: { duration: "10 seconds", buckets: 10 } },
    fuzz: ["window.duration", "window.buckets"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          CircuitBreaker.make({ trip: CircuitBreaker.failureRate(o as unknown as CircuitBreaker.FailureRateOptions) }),
          (b) => through(b.protect)
        )
      )
  },
  {
    name: "CircuitBreaker.memoryStore",
    base: { probeLease: "10 seconds" },
    fuzz: ["probeLease"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          CircuitBreaker.make({ store: CircuitBreaker.memoryStore(o as CircuitBreaker.MemoryStoreOptions) }),
          (b) => through(b.protect)
        )
      )
  },
  {
    name: "CircuitBreaker.layer",
    base: { breakDuration: "1 second" },
    fuzz: ["breakDuration", "halfOpenMaxCalls"],
    run: (o) =>
      through((self) =>
        Effect.flatMap(BreakerTag, (b) => b.protect(self)).pipe(
          Effect.provide(CircuitBreaker.layer(BreakerTag, o as CircuitBreaker.CircuitBreaker.Options))
        )
      )
  },
  {
    name: "CircuitBreaker.keyed",
    base: { name: "per-host", maxKeys: 10, idleTimeout: "1 minute", breakDuration: "1 second" },
    fuzz: ["name", "maxKeys", "idleTimeout", "breakDuration", "halfOpenMaxCalls"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          CircuitBreaker.keyed(o as CircuitBreaker.KeyedCircuitBreaker.Options),
          (keyed) => through(keyed.protect("a.example"))
        )
      )
  },
  {
    name: "Bulkhead.keyed",
    base: { maxConcurrent: 2, maxQueue: 1, maxKeys: 10, idleTimeout: "1 minute" },
    fuzz: ["maxConcurrent", "maxQueue", "maxKeys", "idleTimeout"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          Bulkhead.keyed(o as unknown as Bulkhead.KeyedBulkhead.Options),
          (keyed) => through(keyed.protect("tenant"))
        )
      )
  },
  {
    name: "Resilience.circuitBreaker(name, options)",
    base: { breakDuration: "1 second", halfOpenMaxCalls: 1 },
    fuzz: ["breakDuration", "halfOpenMaxCalls", "trip"],
    run: (o) =>
      through((self) =>
        Effect.flatMap(
          Resilience.circuitBreaker("payments", o as CircuitBreaker.CircuitBreaker.Options),
          (b) => b.protect(self)
        ).pipe(Effect.provide(Resilience.layer()))
      )
  },
  {
    name: "Bulkhead.make",
    base: { name: "bh", maxConcurrent: 2, maxQueue: 1, queueTimeout: "1 second" },
    fuzz: ["name", "maxConcurrent", "maxQueue", "queueTimeout"],
    run: (o) =>
      Effect.scoped(Effect.flatMap(Bulkhead.make(o as unknown as Bulkhead.Bulkhead.Options), (b) => through(b.protect)))
  },
  {
    name: "RateLimiter.make",
    base: { name: "rl", limit: 5, interval: "1 second" },
    fuzz: ["name", "algorithm", "limit", "interval", "burst", "onExceeded", "maxWait", "store"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          RateLimiter.make(o as unknown as RateLimiter.RateLimiter.Options),
          (limiter) =>
            Effect.flatMap(limiter.tryAcquire(), (admitted) => admitted ? Effect.void : Effect.die("refused"))
        )
      )
  },
  {
    name: "RateLimiter.keyed",
    base: { limit: 5, interval: "1 second", maxKeys: 10, idleTimeout: "1 minute" },
    fuzz: ["maxKeys", "idleTimeout", "limit", "interval"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          RateLimiter.keyed(o as unknown as RateLimiter.KeyedRateLimiter.Options),
          (limiter) =>
            Effect.flatMap(limiter.tryAcquire("k"), (admitted) => admitted ? Effect.void : Effect.die("refused"))
        )
      )
  },
  {
    name: "RetryBudget.make",
    base: { ratio: 0.2, minPerSecond: 10, window: "10 seconds" },
    fuzz: ["name", "ratio", "minPerSecond", "window"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(RetryBudget.make(o as unknown as RetryBudget.RetryBudget.Options), (budget) => budget.deposit)
      )
  },
  {
    name: "Retry.constant",
    base: { delay: "100 millis", options: { maxRetries: 3, jitter: "full" } },
    fuzz: ["delay", "options", "options.maxRetries", "options.jitter"],
    run: (o) => stepsOf(Retry.constant(o.delay as Duration.DurationInput, o.options as Retry.ConstantOptions))
  },
  {
    name: "Retry.linear",
    base: { base: "100 millis", increment: "50 millis", max: "1 second", maxRetries: 3, jitter: "equal" },
    fuzz: ["base", "increment", "max", "maxRetries", "jitter"],
    run: (o) => stepsOf(Retry.linear(o as unknown as Retry.LinearOptions))
  },
  {
    name: "Retry.exponential",
    base: { base: "100 millis", factor: 2, max: "1 second", maxRetries: 3, jitter: "full" },
    fuzz: ["base", "factor", "max", "maxRetries", "jitter"],
    run: (o) => stepsOf(Retry.exponential(o as unknown as Retry.ExponentialOptions))
  },
  {
    name: "Retry.decorrelatedJitter",
    base: { base: "100 millis", max: "1 second", maxRetries: 3 },
    fuzz: ["base", "max", "maxRetries"],
    run: (o) => stepsOf(Retry.decorrelatedJitter(o as unknown as Retry.DecorrelatedJitterOptions))
  },
  {
    name: "Retry.honorRetryAfter",
    base: { schedule: Retry.constant(10) },
    fuzz: ["schedule"],
    run: (o) => stepsOf(Retry.honorRetryAfter(o.schedule as Schedule.Schedule<Duration.Duration, unknown>))
  },
  {
    name: "Retry.retry",
    base: { schedule: Retry.constant(10, { maxRetries: 2 }), name: "r", minAttempt: "10 millis" },
    fuzz: ["schedule", "while", "budget", "name", "minAttempt"],
    run: (o) => through(Retry.retry(o as unknown as Retry.RetryOptions<unknown>))
  },
  {
    name: "Timeout.timeout (options object)",
    base: { duration: "1 second", name: "t" },
    fuzz: ["duration", "name"],
    run: (o) => through(Timeout.timeout(o as { readonly duration: Duration.DurationInput }))
  },
  {
    name: "Timeout.timeout (a duration)",
    base: { duration: "1 second" },
    fuzz: ["duration"],
    run: (o) => through(Timeout.timeout(o.duration as Duration.DurationInput))
  },
  {
    name: "Bulkhead.adaptive (aimd)",
    base: {
      name: "ab",
      algorithm: "aimd",
      initialLimit: 2,
      minLimit: 1,
      maxLimit: 4,
      maxQueue: 1,
      timeout: "1 second"
    },
    fuzz: [
      "name",
      "algorithm",
      "initialLimit",
      "minLimit",
      "maxLimit",
      "maxQueue",
      "queueTimeout",
      "timeout",
      "backoffRatio",
      "isFailure"
    ],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(Bulkhead.adaptive(o as unknown as Bulkhead.Bulkhead.AdaptiveOptions), (b) => through(b.protect))
      )
  },
  {
    name: "Bulkhead.adaptive (gradient2)",
    base: { algorithm: "gradient2", initialLimit: 2, minLimit: 1, maxLimit: 4 },
    fuzz: ["rttTolerance", "smoothing", "longWindow"],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(Bulkhead.adaptive(o as unknown as Bulkhead.Bulkhead.AdaptiveOptions), (b) => through(b.protect))
      )
  },
  {
    name: "Deadline.within (options object)",
    base: { duration: "1 second", name: "d" },
    fuzz: ["duration", "name"],
    run: (o) => through(Deadline.within(o as unknown as Deadline.DeadlineOptions))
  },
  {
    name: "Deadline.within (a duration)",
    base: { duration: "1 second" },
    fuzz: ["duration"],
    run: (o) => through(Deadline.within(o.duration as Duration.DurationInput))
  },
  {
    name: "Hedge.hedge",
    base: { delay: "100 millis", maxHedges: 1, name: "h" },
    fuzz: ["delay", "maxHedges", "budget", "name"],
    run: (o) => through(Hedge.hedge(o as unknown as Hedge.HedgeOptions))
  },
  {
    name: "Fallback.fallback",
    base: { to: () => Effect.succeed(1), name: "f" },
    fuzz: ["to", "when", "name"],
    run: (o) =>
      through(
        Fallback.fallback(o as { readonly to: (error: unknown) => Effect.Effect<number>; readonly name?: string })
      )
  },
  {
    name: "Chaos.fault",
    base: { name: "c", rate: 0.5, enabled: true, error: () => "injected" },
    fuzz: ["name", "rate", "enabled", "error"],
    run: (o) => Effect.either(Chaos.fault(o as unknown as Chaos.FaultOptions<string>)(ok))
  },
  {
    name: "Chaos.latency",
    base: { rate: 0.5, enabled: true, delay: 0 },
    fuzz: ["rate", "delay"],
    run: (o) => Effect.fork(Chaos.latency(o as unknown as Chaos.LatencyOptions)(ok))
  },
  {
    name: "Chaos.outcome",
    base: { rate: 0.5, enabled: true, value: () => 1 },
    fuzz: ["value", "enabled"],
    run: (o) => through(Chaos.outcome(o as unknown as Chaos.OutcomeOptions<number>))
  },
  {
    name: "Chaos.behavior",
    base: { rate: 0.5, enabled: true, effect: Effect.void },
    fuzz: ["effect"],
    run: (o) => through(Chaos.behavior(o as unknown as Chaos.BehaviorOptions<void, never, never>))
  },
  {
    name: "Reconnect.make",
    base: { name: "conn", acquire: Effect.succeed("connection"), maxAttempts: 3, maxWait: "1 second" },
    fuzz: [
      "name",
      "acquire",
      "isConnectionError",
      "schedule",
      "maxAttempts",
      "retryOnReconnect",
      "maxWait",
      "connectTimeout"
    ],
    run: (o) =>
      Effect.scoped(
        Effect.flatMap(
          Reconnect.make(o as unknown as Reconnect.Reconnect.Options<string, never, never>),
          (reconnect) => reconnect.state
        )
      )
  },
  {
    name: "Policy.wrap",
    base: { first: Policy.identity, second: Policy.identity },
    fuzz: ["first", "second"],
    run: (o) =>
      through(
        Policy.wrap(o.first as Policy.Policy, o.second as Policy.Policy) as unknown as (
          self: Effect.Effect<number>
        ) => Effect.Effect<number>
      )
  },
  {
    name: "Resilience registry names",
    base: { name: "payments" },
    fuzz: ["name"],
    run: (o) =>
      through((self) =>
        Effect.flatMap(Resilience.bulkhead(o.name as string), (b) => b.protect(self)).pipe(
          Effect.provide(Resilience.layer())
        )
      )
  },
  {
    name: "Resilience.layer",
    base: { metrics: true, events: { capacity: 16 }, spans: true },
    fuzz: ["metrics", "events", "events.capacity", "spans", "defaults.bulkhead", "instances.bulkhead"],
    run: (o) =>
      through((self) =>
        Effect.flatMap(Resilience.bulkhead("bh"), (b) => b.protect(self)).pipe(
          Effect.provide(Resilience.layer(o as Resilience.Resilience.Options))
        )
      )
  }
]

/** The argument names some targets use for positional parameters, as their errors name them. */
const ERROR_NAMES: Record<string, ReadonlyArray<string>> = {
  "CircuitBreaker.consecutive/failures": ["consecutive"],
  "Retry.constant/options": ["options", "maxRetries", "jitter"],
  "Retry.constant/options.maxRetries": ["maxRetries"],
  "Retry.constant/options.jitter": ["jitter"],
  "Timeout.timeout (a duration)/duration": ["duration"],
  "Deadline.within (a duration)/duration": ["duration"],
  "Bulkhead.adaptive (aimd)/minLimit": ["minLimit", "maxLimit", "initialLimit"],
  "Bulkhead.adaptive (aimd)/maxLimit": ["maxLimit", "initialLimit"],
  "Policy.wrap/first": ["policies[0]"],
  "Policy.wrap/second": ["policies[1]"],
  "Resilience.layer/defaults.bulkhead": ["defaults.bulkhead", "maxConcurrent", "maxQueue", "queueTimeout", "name"],
  "Resilience.layer/instances.bulkhead": ["instances.bulkhead", "maxConcurrent", "maxQueue", "queueTimeout", "name"]
}

const set = (base: Options, path: string, value: unknown): Options => {
  const [head, ...rest] = path.split(".")
  if (rest.length === 0) return { ...base, [head]: value }
  const inner = base[head]
  return {
    ...base,
    [head]: set(typeof inner === "object" && inner !== null ? inner as Options : {}, rest.join("."), value)
  }
}

const UNITS = ["nanos", "micros", "millis", "seconds", "minutes", "hours", "days", "weeks"]

/** JSON-like values, plus the shapes that reach `Duration.decode`: numbers, tuples and duration strings. */
const anyValue: FastCheck.Arbitrary<unknown> = FastCheck.oneof(
  FastCheck.jsonValue(),
  FastCheck.double(),
  FastCheck.integer({ min: -10, max: 1_000_000 }),
  FastCheck.constantFrom(NaN, Infinity, -Infinity, -0, 1e300, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, 2 ** 32),
  FastCheck.tuple(FastCheck.double(), FastCheck.double()),
  FastCheck.tuple(FastCheck.constantFrom(1e300, 1e10, 0, -1, Infinity, NaN), FastCheck.constantFrom(0, 1e300, -1, 5)),
  FastCheck.tuple(FastCheck.double({ min: -10, max: 1e6, noNaN: true }), FastCheck.constantFrom(...UNITS)).map(
    ([n, unit]) => `${n} ${unit}`
  ),
  FastCheck.constantFrom("1 second", "0 millis", "fixed-window", "sliding-window", "token-bucket", "wait", "fail"),
  FastCheck.bigInt(),
  FastCheck.constant(undefined)
)

/** Runs one case: the outcome is "built", or the option a `ResilienceConfigError` named; anything else is a bug. */
const runCase = (target: Target, path: string, value: unknown): string => {
  const options = set(target.base, path, value)
  let exit: Exit.Exit<unknown, unknown>
  try {
    exit = Effect.runSyncExit(target.run(options).pipe(Effect.provide(TestContext.TestContext)))
  } catch (error) {
    if (error instanceof ResilienceConfigError) return error.option
    throw new Error(`${target.name} threw ${String(error)} for ${path} = ${String(value)}`)
  }
  if (Exit.isSuccess(exit)) return "built"
  const defect = Cause.dieOption(exit.cause)
  if (defect._tag === "Some" && defect.value instanceof ResilienceConfigError) return defect.value.option
  throw new Error(`${target.name} with ${path} = ${String(value)} ended with ${Cause.pretty(exit.cause)}`)
}

describe("every option: a working instance or a ResilienceConfigError naming it", () => {
  for (const target of targets) {
    it(target.name, () => {
      for (const path of target.fuzz) {
        const expected = ERROR_NAMES[`${target.name}/${path}`] ?? [path]
        FastCheck.assert(
          FastCheck.property(anyValue, (value) => {
            const outcome = runCase(target, path, value)
            if (outcome === "built") return true
            // an option given as an object may be reported by the part of it that is wrong
            return expected.some((name) => outcome === name || outcome.startsWith(`${name}.`)) ||
              (path.includes(".") && outcome === path.split(".")[0])
          }),
          { numRuns: 150 }
        )
      }
    })
  }

  it("a duration tuple too large for nanoseconds is a ResilienceConfigError, not Duration.decode's RangeError", () => {
    const huge = [1e300, 0] as unknown as Duration.DurationInput
    expectConfigError(() => Timeout.timeout(huge), "duration")
    expectConfigError(() => Hedge.hedge({ delay: huge }), "delay")
    expectConfigError(() => Retry.exponential({ base: huge }), "base")
    expectConfigError(() => Retry.linear({ base: 1, max: huge }), "max")
    expectConfigError(() => RateLimiter.make({ limit: 1, interval: huge }), "interval")
    expectConfigError(() => Bulkhead.make({ maxConcurrent: 1, queueTimeout: huge }), "queueTimeout")
    expectConfigError(() => CircuitBreaker.make({ breakDuration: huge }), "breakDuration")
    expectConfigError(() => RetryBudget.make({ ratio: 0.1, minPerSecond: 1, window: huge }), "window")
    expectConfigError(
      () =>
        CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 1, window: { duration: [Number.MAX_VALUE, 0] } }),
      "window.duration"
    )
    // an infinite part is an infinite duration: allowed where infinity is
    expect(() => Timeout.timeout([Infinity, 0] as unknown as Duration.DurationInput)).not.toThrow()
  })

  it("sizes that allocate memory have documented maxima", () => {
    const window = (w: CircuitBreaker.FailureRateOptions["window"]) =>
      CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 1, window: w })
    expect(() => window({ calls: 100_000 })).not.toThrow()
    expectConfigError(() => window({ calls: 100_001 }), "window.calls", "[1, 100000]")
    expectConfigError(() => window({ calls: Number.MAX_SAFE_INTEGER }), "window.calls")
    expect(() => window({ duration: "1 minute", buckets: 1_000 })).not.toThrow()
    expectConfigError(() => window({ duration: "1 minute", buckets: 1_001 }), "window.buckets", "[1, 1000]")
    expect(() => Resilience.layer({ events: { capacity: 1_000_000 } })).not.toThrow()
    expectConfigError(() => Resilience.layer({ events: { capacity: 1_000_001 } }), "events.capacity", "[1, 1000000]")
    expectConfigError(() => Resilience.layer({ events: null as never }), "events")
    expectConfigError(() => Resilience.layer({ metrics: "yes" as never }), "metrics", "boolean")
  })

  it("the base options of every target build a working instance", () => {
    for (const target of targets) expect(runCase(target, "__unused", undefined)).toBe("built")
  })
})

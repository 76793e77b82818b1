/**
 * Model-based test: random configurations and random command sequences (calls that succeed,
 * fail, are ignored, die, run slowly or hang until finished or interrupted; clock advances;
 * trip, isolate, reset, state reads) run against the breaker on a TestClock and against a
 * tiny reference model written independently of the implementation. After every command the
 * observable results must agree, and at the end so must the transitions published on `changes`.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import { effectfulStore } from "./utils/circuitBreaker.js"

const fc = FastCheck

// --- configurations ---------------------------------------------------------------------------

type TripConfig =
  | { readonly _tag: "Consecutive"; readonly n: number }
  | { readonly _tag: "Calls"; readonly threshold: number; readonly minimumCalls: number; readonly calls: number }
  | {
    readonly _tag: "Time"
    readonly threshold: number
    readonly minimumCalls: number
    readonly buckets: number
    readonly bucketMillis: number
  }

interface Config {
  readonly trip: TripConfig
  /** slow-call rate, only with failureRate; slow means longer than SLOW_MILLIS */
  readonly slowRate: number | undefined
  /** one delay: a constant break; several: a Schedule.fromDelays */
  readonly breaks: ReadonlyArray<number>
  readonly halfOpenMaxCalls: number
  /** through a store with only the Effect API (the breaker's generic path) */
  readonly effectful: boolean
}

const SLOW_MILLIS = 100

const threshold = fc.constantFrom(0.25, 0.5, 0.75, 1)

const tripConfig: FastCheck.Arbitrary<TripConfig> = fc.oneof(
  fc.record({ _tag: fc.constant("Consecutive" as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.integer({ min: 1, max: 6 }).chain((calls) =>
    fc.record({
      _tag: fc.constant("Calls" as const),
      threshold,
      minimumCalls: fc.integer({ min: 1, max: calls }),
      calls: fc.constant(calls)
    })
  ),
  fc.record({
    _tag: fc.constant("Time" as const),
    threshold,
    minimumCalls: fc.integer({ min: 1, max: 4 }),
    buckets: fc.integer({ min: 1, max: 4 }),
    bucketMillis: fc.constantFrom(100, 250, 500)
  })
)

const config: FastCheck.Arbitrary<Config> = tripConfig.chain((trip) =>
  fc.record({
    trip: fc.constant(trip),
    slowRate: trip._tag === "Consecutive" ? fc.constant(undefined) : fc.option(threshold, { nil: undefined }),
    breaks: fc.array(fc.constantFrom(100, 300, 500, 1000), { minLength: 1, maxLength: 3 }),
    halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
    effectful: fc.boolean()
  })
)

const toOptions = (config: Config): CircuitBreaker.CircuitBreaker.Options => {
  const { trip } = config
  const policy = trip._tag === "Consecutive"
    ? CircuitBreaker.consecutive(trip.n)
    : trip._tag === "Calls"
    ? CircuitBreaker.failureRate({
      threshold: trip.threshold,
      minimumCalls: trip.minimumCalls,
      window: { calls: trip.calls }
    })
    : CircuitBreaker.failureRate({
      threshold: trip.threshold,
      minimumCalls: trip.minimumCalls,
      window: { duration: trip.buckets * trip.bucketMillis, buckets: trip.buckets }
    })
  const [first, ...rest] = config.breaks
  return {
    trip: policy,
    breakDuration: rest.length === 0 ? first : Schedule.fromDelays(first, ...rest),
    halfOpenMaxCalls: config.halfOpenMaxCalls,
    isFailure: (error) => error !== "ignored",
    ...(config.effectful ? { store: effectfulStore } : {}),
    ...(config.slowRate === undefined ? {} : { slowCall: { duration: SLOW_MILLIS, rate: config.slowRate } })
  }
}

// --- commands ---------------------------------------------------------------------------------

type Ending = "success" | "failure" | "ignored" | "defect"

type Command =
  | { readonly _tag: "Call"; readonly ending: Ending }
  | { readonly _tag: "Slow"; readonly ending: Ending; readonly millis: number }
  | { readonly _tag: "Start" }
  | { readonly _tag: "Finish"; readonly index: number; readonly ending: Ending | "interrupt" }
  | { readonly _tag: "Advance"; readonly millis: number }
  | { readonly _tag: "Trip" }
  | { readonly _tag: "Isolate" }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "State" }

const ending = fc.constantFrom<Ending>("success", "success", "failure", "failure", "ignored", "defect")

const command: FastCheck.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ _tag: fc.constant("Call" as const), ending }), weight: 6 },
  {
    arbitrary: fc.record({
      _tag: fc.constant("Slow" as const),
      ending,
      millis: fc.constantFrom(50, SLOW_MILLIS, 150, 400)
    }),
    weight: 2
  },
  { arbitrary: fc.constant({ _tag: "Start" as const }), weight: 3 },
  {
    arbitrary: fc.record({
      _tag: fc.constant("Finish" as const),
      index: fc.nat(5),
      ending: fc.constantFrom<Ending | "interrupt">("success", "failure", "ignored", "defect", "interrupt")
    }),
    weight: 4
  },
  {
    arbitrary: fc.record({ _tag: fc.constant("Advance" as const), millis: fc.integer({ min: 0, max: 1200 }) }),
    weight: 4
  },
  { arbitrary: fc.constant({ _tag: "Trip" as const }), weight: 1 },
  { arbitrary: fc.constant({ _tag: "Isolate" as const }), weight: 1 },
  { arbitrary: fc.constant({ _tag: "Reset" as const }), weight: 1 },
  { arbitrary: fc.constant({ _tag: "State" as const }), weight: 2 }
)

// --- the reference model --------------------------------------------------------------------

type State = CircuitBreaker.State

interface Ticket {
  readonly generation: number
  readonly lease: number | undefined
  readonly start: number
}

type Admission =
  | { readonly admitted: true; readonly ticket: Ticket }
  | { readonly admitted: false; readonly state: State; readonly retryAfter: number }

interface Outcome {
  readonly failure: boolean
  readonly slow: boolean
  readonly at: number
}

class Model {
  now = 0
  state: State = "Closed"
  generation = 0
  openedAt = 0
  breakMillis = 0
  successes = 0
  leases = new Set<number>()
  nextLease = 1
  opensSinceClose = 0
  outcomes: Array<Outcome> = []
  consecutive = 0
  transitions: Array<string> = []

  constructor(readonly config: Config) {}

  move(to: State, at: number) {
    this.transitions.push(`${this.state}>${to}@${at}`)
    this.state = to
    this.newGeneration()
    if (to === "Closed") this.opensSinceClose = 0
  }

  newGeneration() {
    this.generation++
    this.successes = 0
    this.leases.clear()
    this.outcomes = []
    this.consecutive = 0
  }

  observe() {
    if (this.state === "Open" && this.now >= this.openedAt + this.breakMillis) {
      this.move("HalfOpen", this.openedAt + this.breakMillis)
    }
  }

  open() {
    const { breaks } = this.config
    const millis = breaks[Math.min(this.opensSinceClose, breaks.length - 1)]
    this.opensSinceClose++
    if (this.state === "Open") this.newGeneration()
    else this.move("Open", this.now)
    this.openedAt = this.now
    this.breakMillis = millis
  }

  shouldOpen(): boolean {
    const { slowRate, trip } = this.config
    if (trip._tag === "Consecutive") return this.consecutive >= trip.n
    let counted = this.outcomes
    if (trip._tag === "Calls") {
      counted = counted.slice(-trip.calls)
    } else {
      const epoch = Math.floor(this.now / trip.bucketMillis)
      counted = counted.filter((o) => Math.floor(o.at / trip.bucketMillis) > epoch - trip.buckets)
    }
    const total = counted.length
    if (total < trip.minimumCalls) return false
    const failures = counted.filter((o) => o.failure).length
    const slow = counted.filter((o) => o.slow).length
    return failures / total >= trip.threshold || (slowRate !== undefined && slow / total >= slowRate)
  }

  admit(): Admission {
    this.observe()
    switch (this.state) {
      case "Closed":
        return { admitted: true, ticket: { generation: this.generation, lease: undefined, start: this.now } }
      case "Open":
        return { admitted: false, state: "Open", retryAfter: this.openedAt + this.breakMillis - this.now }
      case "Isolated":
        return { admitted: false, state: "Isolated", retryAfter: 0 }
      case "HalfOpen": {
        if (this.leases.size >= this.config.halfOpenMaxCalls) {
          return { admitted: false, state: "HalfOpen", retryAfter: 0 }
        }
        const lease = this.nextLease++
        this.leases.add(lease)
        return { admitted: true, ticket: { generation: this.generation, lease, start: this.now } }
      }
    }
  }

  record(ticket: Ticket, ending: Ending | "interrupt") {
    this.observe()
    if (ticket.generation !== this.generation) return
    const counted = ending === "success" || ending === "failure" || ending === "defect"
    const failure = ending === "failure" || ending === "defect"
    const slow = counted && this.config.slowRate !== undefined && this.now - ticket.start > SLOW_MILLIS
    if (this.state === "Closed") {
      if (!counted) return
      this.outcomes.push({ failure, slow, at: this.now })
      this.consecutive = failure ? this.consecutive + 1 : 0
      if (this.shouldOpen()) this.open()
      return
    }
    if (this.state !== "HalfOpen" || ticket.lease === undefined || !this.leases.delete(ticket.lease)) return
    if (!counted) return
    if (failure) return this.open()
    this.successes++
    if (this.successes >= this.config.halfOpenMaxCalls) this.move("Closed", this.now)
  }

  trip() {
    this.observe()
    if (this.state !== "Isolated") this.open()
  }

  isolate() {
    this.observe()
    if (this.state !== "Isolated") this.move("Isolated", this.now)
  }

  reset() {
    this.observe()
    if (this.state === "Closed") this.newGeneration()
    else this.move("Closed", this.now)
  }

  readState(): State {
    this.observe()
    return this.state
  }
}

// --- running a scenario ------------------------------------------------------------------------

const body = (ending: Ending): Effect.Effect<string, string> =>
  ending === "success"
    ? Effect.succeed("ok")
    : ending === "failure"
    ? Effect.fail("boom")
    : ending === "ignored"
    ? Effect.fail("ignored")
    : Effect.die("defect")

type Observed = { readonly admitted: true } | {
  readonly admitted: false
  readonly state: State
  readonly retryAfter: number
}

/** What a caller sees of a protected call: admitted (whatever its outcome) or the rejection. */
const observed = <A, E, R>(effect: Effect.Effect<A, E | CircuitBreaker.CircuitBreakerOpen, R>) =>
  effect.pipe(
    Effect.sandbox,
    Effect.either,
    Effect.map((result): Observed => {
      if (Either.isRight(result) || result.left._tag !== "Fail") return { admitted: true }
      const error = result.left.error
      if (!(error instanceof CircuitBreaker.CircuitBreakerOpen)) return { admitted: true }
      return { admitted: false, state: error.state, retryAfter: Duration.toMillis(error.retryAfter) }
    })
  )

const expected = (admission: Admission): Observed =>
  admission.admitted ? { admitted: true } : {
    admitted: false,
    state: admission.state,
    retryAfter: admission.retryAfter
  }

interface Pending {
  readonly ticket: Ticket
  readonly gate: Deferred.Deferred<string, string>
  readonly fiber: Fiber.RuntimeFiber<unknown>
}

const yields = Effect.repeatN(Effect.yieldNow(), 4)

const scenario = (config: Config, commands: ReadonlyArray<Command>) =>
  Effect.gen(function*() {
    const model = new Model(config)
    const breaker = yield* CircuitBreaker.make(toOptions(config))
    const published: Array<string> = []
    yield* breaker.changes.pipe(
      Stream.runForEach((t) => Effect.sync(() => published.push(`${t.from}>${t.to}@${t.at}`))),
      Effect.forkScoped
    )
    yield* yields
    const pending: Array<Pending> = []

    for (const [step, command] of commands.entries()) {
      const where = `step ${step}: ${JSON.stringify(command)}`
      switch (command._tag) {
        case "Call": {
          const admission = model.admit()
          const result = yield* observed(breaker.protect(body(command.ending)))
          if (admission.admitted) model.record(admission.ticket, command.ending)
          expect(result, where).toEqual(expected(admission))
          break
        }
        case "Slow": {
          const admission = model.admit()
          const fiber = yield* observed(
            breaker.protect(Effect.zipRight(Effect.sleep(command.millis), body(command.ending)))
          ).pipe(Effect.fork)
          yield* yields
          yield* TestClock.adjust(command.millis)
          model.now += command.millis
          const result = yield* Fiber.join(fiber)
          if (admission.admitted) model.record(admission.ticket, command.ending)
          expect(result, where).toEqual(expected(admission))
          break
        }
        case "Start": {
          const admission = model.admit()
          const gate = yield* Deferred.make<string, string>()
          const signal = yield* Deferred.make<Observed>()
          const fiber = yield* observed(
            breaker.protect(Effect.zipRight(Deferred.succeed(signal, { admitted: true }), Deferred.await(gate)))
          ).pipe(
            Effect.tap((result) => Deferred.succeed(signal, result)),
            Effect.fork
          )
          expect(yield* Deferred.await(signal), where).toEqual(expected(admission))
          if (admission.admitted) pending.push({ ticket: admission.ticket, gate, fiber })
          break
        }
        case "Finish": {
          if (pending.length === 0) break
          const [call] = pending.splice(command.index % pending.length, 1)
          switch (command.ending) {
            case "success":
              yield* Deferred.succeed(call.gate, "ok")
              break
            case "failure":
              yield* Deferred.fail(call.gate, "boom")
              break
            case "ignored":
              yield* Deferred.fail(call.gate, "ignored")
              break
            case "defect":
              yield* Deferred.die(call.gate, "defect")
              break
            case "interrupt":
              yield* Fiber.interrupt(call.fiber)
              break
          }
          yield* Fiber.await(call.fiber)
          model.record(call.ticket, command.ending)
          break
        }
        case "Advance":
          yield* TestClock.adjust(command.millis)
          model.now += command.millis
          break
        case "Trip":
          yield* breaker.trip
          model.trip()
          break
        case "Isolate":
          yield* breaker.isolate
          model.isolate()
          break
        case "Reset":
          yield* breaker.reset
          model.reset()
          break
        case "State":
          expect(yield* breaker.state, where).toBe(model.readState())
          break
      }
    }
    expect(yield* breaker.state).toBe(model.readState())
    yield* Effect.forEach(pending, (call) => Fiber.interrupt(call.fiber))
    yield* yields
    expect(published).toEqual(model.transitions)
  }).pipe(Effect.scoped, Effect.provide(TestContext.TestContext))

describe("CircuitBreaker model", () => {
  it("agrees with the reference model on 1,000 generated scenarios", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        config,
        fc.array(command, { minLength: 1, maxLength: 40 }),
        (config, commands) => Effect.runPromise(scenario(config, commands))
      ),
      { numRuns: 1000 }
    )
  })

  it.effect("the model itself: a known story", () =>
    scenario(
      {
        trip: { _tag: "Consecutive", n: 2 },
        slowRate: undefined,
        breaks: [100, 300],
        halfOpenMaxCalls: 1,
        effectful: false
      },
      [
        { _tag: "Call", ending: "failure" },
        { _tag: "Call", ending: "failure" },
        { _tag: "Call", ending: "success" },
        { _tag: "Advance", millis: 100 },
        { _tag: "Call", ending: "failure" },
        { _tag: "Advance", millis: 300 },
        { _tag: "Start" },
        { _tag: "Call", ending: "success" },
        { _tag: "Finish", index: 0, ending: "interrupt" },
        { _tag: "Call", ending: "success" },
        { _tag: "State" }
      ]
    ))
})

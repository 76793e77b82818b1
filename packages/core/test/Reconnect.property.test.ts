/**
 * Property test: random options and random interleavings of operations (succeeding, failing
 * with a connection error or another error, dying, interrupted while waiting or running),
 * server outages, clock moves, `invalidate` and `reconnect`, on a TestClock, then the scope
 * closing. Whatever happens:
 *
 * - at most one connection is open at any time (an attempt in progress counts as open);
 * - every opened connection, attempts that failed or were cut included, is closed exactly once;
 * - `acquire` is never called while a connection is healthy (open and not known broken);
 * - `Connected { generation }` always names the one open connection;
 * - an operation runs at most once per call, twice with `retryOnReconnect`;
 * - after the scope has closed nothing runs and the state is `Closed`.
 */
import * as Reconnect from "@effect-resilience/core/Reconnect"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"

const fc = FastCheck

class ConnectError extends Data.TaggedError("ConnectError")<{}> {}
class Broken extends Data.TaggedError("Broken")<{ readonly id: number }> {}

type Outcome = "ok" | "connError" | "otherError" | "die"

type Command =
  | {
    readonly _tag: "Call"
    readonly outcome: Outcome
    readonly millis: number
    readonly interruptAfter: number | null
  }
  | { readonly _tag: "Advance"; readonly millis: number }
  | { readonly _tag: "Server"; readonly up: boolean }
  | { readonly _tag: "Invalidate" }
  | { readonly _tag: "Reconnect" }

interface Options {
  readonly seed: number
  /** null: the default schedule (exponential, full jitter, from the seeded Random) */
  readonly spacedMillis: number | null
  readonly maxAttempts: number | null
  readonly connectMillis: number
  readonly connectTimeout: number | null
  readonly retryOnReconnect: boolean
  readonly maxWait: number | null
}

const options: FastCheck.Arbitrary<Options> = fc.record({
  seed: fc.integer(),
  spacedMillis: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null, freq: 4 }),
  maxAttempts: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
  connectMillis: fc.constantFrom(0, 0, 5, 20),
  connectTimeout: fc.option(fc.integer({ min: 1, max: 25 }), { nil: null }),
  retryOnReconnect: fc.boolean(),
  maxWait: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null })
})

const command: FastCheck.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      _tag: fc.constant("Call" as const),
      outcome: fc.constantFrom<Outcome>("ok", "ok", "connError", "otherError", "die"),
      millis: fc.constantFrom(0, 0, 3, 10, 40),
      interruptAfter: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null, freq: 3 })
    })
  },
  {
    weight: 4,
    arbitrary: fc.record({ _tag: fc.constant("Advance" as const), millis: fc.integer({ min: 1, max: 50 }) })
  },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Server" as const), up: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Invalidate" as const) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Reconnect" as const) }) }
)

interface Connection {
  readonly id: number
  closes: number
  /** acquire returned it */
  connected: boolean
  /** an operation failed on it with a connection error, or it was invalidated */
  broken: boolean
}

const settle = Effect.repeatN(Effect.yieldNow(), 10)

const scenario = (o: Options, commands: ReadonlyArray<Command>) =>
  Effect.gen(function*() {
    const connections: Array<Connection> = []
    const violations: Array<string> = []
    let open = 0
    let up = true
    const acquire = Effect.gen(function*() {
      for (const c of connections) {
        if (c.closes === 0) violations.push(`acquire while connection ${c.id} is open`)
        if (c.connected && !c.broken) violations.push(`acquire while connection ${c.id} is healthy`)
      }
      const connection: Connection = { id: connections.length + 1, closes: 0, connected: false, broken: false }
      connections.push(connection)
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          if (++open > 1) violations.push(`${open} connections open`)
        }),
        () =>
          Effect.sync(() => {
            connection.closes++
            open--
          })
      )
      if (o.connectMillis > 0) yield* Effect.sleep(Duration.millis(o.connectMillis))
      if (!up) return yield* new ConnectError()
      connection.connected = true
      return connection
    })

    const scope = yield* Scope.make()
    const db = yield* Reconnect.make({
      acquire,
      isConnectionError: (error) => error instanceof Broken,
      retryOnReconnect: o.retryOnReconnect,
      ...(o.spacedMillis === null ? {} : { schedule: Schedule.spaced(Duration.millis(o.spacedMillis)) }),
      ...(o.maxAttempts === null ? {} : { maxAttempts: o.maxAttempts }),
      ...(o.connectTimeout === null ? {} : { connectTimeout: Duration.millis(o.connectTimeout) }),
      ...(o.maxWait === null ? {} : { maxWait: Duration.millis(o.maxWait) })
    }).pipe(Scope.extend(scope))

    /** `Connected { generation }` names the one open connection */
    const checkState = Effect.map(db.state, (state) => {
      if (state._tag !== "Connected") return
      const current = connections.filter((c) => c.connected)[state.generation - 1]
      if (current === undefined || current.closes !== 0 || open !== 1) {
        violations.push(`Connected { generation: ${state.generation} } without its connection open`)
      }
    })

    const runs: Array<number> = []
    const calls: Array<{ readonly outcome: Outcome; readonly fiber: Fiber.RuntimeFiber<string, unknown> }> = []
    const others: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
    for (const cmd of commands) {
      switch (cmd._tag) {
        case "Call": {
          const index = runs.push(0) - 1
          const operation = (connection: Connection) =>
            Effect.sleep(Duration.millis(cmd.millis)).pipe(
              Effect.zipRight(Effect.suspend((): Effect.Effect<string, string | Broken> => {
                runs[index]++
                switch (cmd.outcome) {
                  case "ok":
                    return Effect.succeed("ok")
                  case "otherError":
                    return Effect.fail("bad request")
                  case "connError":
                    connection.broken = true
                    return Effect.fail(new Broken({ id: connection.id }))
                  case "die":
                    connection.broken = true
                    return Effect.die(new Broken({ id: connection.id }))
                }
              }))
            )
          const fiber = yield* Effect.fork(db.use(operation))
          calls.push({ outcome: cmd.outcome, fiber })
          if (cmd.interruptAfter !== null) {
            others.push(yield* Effect.fork(Effect.zipRight(Effect.sleep(cmd.interruptAfter), Fiber.interrupt(fiber))))
          }
          break
        }
        case "Advance":
          yield* TestClock.adjust(Duration.millis(cmd.millis))
          break
        case "Server":
          up = cmd.up
          break
        case "Invalidate":
          // read the state and invalidate in one step, so the connection marked is the one dropped
          yield* Effect.sync(() => {
            const state = Effect.runSync(db.state)
            if (state._tag === "Connected") connections.filter((c) => c.connected)[state.generation - 1].broken = true
            Effect.runSync(db.invalidate)
          })
          break
        case "Reconnect":
          yield* db.reconnect
          break
      }
      yield* settle
      yield* checkState
    }

    yield* Scope.close(scope, Exit.void)
    expect(yield* db.state).toEqual(Reconnect.ConnectionState.Closed())
    const attempts = connections.length
    yield* TestClock.adjust("1 minute")
    yield* settle
    // nothing runs after the scope has closed
    expect(connections.length).toBe(attempts)
    for (const { fiber, outcome } of calls) {
      const exit = yield* Fiber.await(fiber)
      if (Exit.isSuccess(exit)) {
        expect(outcome).toBe("ok")
      } else if (!Exit.isInterrupted(exit)) {
        const error = Cause.squash(exit.cause)
        if (error instanceof Reconnect.ConnectionUnavailable) {
          if (error.reason === "Reconnecting") expect(o.maxWait).not.toBeNull()
          // neither schedule ends by itself
          if (error.reason === "Failed") expect(o.maxAttempts).not.toBeNull()
        } else if (error === "bad request") {
          expect(outcome).toBe("otherError")
        } else {
          expect(error).toBeInstanceOf(Broken)
          expect(["connError", "die"]).toContain(outcome)
        }
      }
    }
    yield* Fiber.interruptAll(others)
    expect(violations).toEqual([])
    expect(open).toBe(0)
    expect(connections.filter((c) => c.closes !== 1)).toEqual([])
    for (const n of runs) expect(n).toBeLessThanOrEqual(o.retryOnReconnect ? 2 : 1)
  }).pipe(Effect.withRandom(Random.make(o.seed)), Effect.provide(TestContext.TestContext))

describe("Reconnect properties", () => {
  it("one connection at a time, each closed once, no reconnection of a healthy one, on 300 random histories", {
    timeout: 120_000
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        options,
        fc.array(command, { minLength: 1, maxLength: 40 }),
        (o, commands) => Effect.runPromise(scenario(o, commands))
      ),
      { numRuns: 300 }
    )
  })
})

import * as Reconnect from "@effect-resilience/core/Reconnect"
import * as Resilience from "@effect-resilience/core/Resilience"
import * as ResilienceError from "@effect-resilience/core/ResilienceError"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as Retry from "@effect-resilience/core/Retry"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "./utils/config.js"
import { metricValue } from "./utils/metrics.js"
import { seeded } from "./utils/schedule.js"

const { Closed, Connected, Connecting, Failed, Reconnecting } = Reconnect.ConnectionState

class ConnectError extends Data.TaggedError("ConnectError")<{ readonly attempt: number }> {}
class Broken extends Data.TaggedError("Broken")<{ readonly id: number }> {}

interface Conn {
  readonly id: number
  readonly openedAt: number
  closes: number
}

/**
 * A scripted dependency: `acquire` records the Clock time of every attempt, takes
 * `connectMillis` on the Clock, fails while `up` is false, and otherwise opens a connection
 * whose finalizer counts its closes.
 */
const fakeServer = (options: { readonly up?: boolean; readonly connectMillis?: number } = {}) => {
  const server = {
    up: options.up ?? true,
    connectMillis: options.connectMillis ?? 0,
    attempts: [] as Array<number>,
    connections: [] as Array<Conn>,
    open: 0,
    maxOpen: 0,
    acquire: Effect.void as unknown as Effect.Effect<Conn, ConnectError, Scope.Scope>
  }
  server.acquire = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    server.attempts.push(now)
    const attempt = server.attempts.length
    if (server.connectMillis > 0) yield* Effect.sleep(server.connectMillis)
    if (!server.up) return yield* new ConnectError({ attempt })
    return yield* Effect.acquireRelease(
      Effect.sync(() => {
        const conn: Conn = { id: server.connections.length + 1, openedAt: now, closes: 0 }
        server.connections.push(conn)
        server.open++
        server.maxOpen = Math.max(server.maxOpen, server.open)
        return conn
      }),
      (conn) =>
        Effect.sync(() => {
          conn.closes++
          server.open--
        })
    )
  })
  return server
}

const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** Collects every state published on `changes` from now on. */
const collect = (reconnect: Reconnect.Reconnect<unknown, unknown>) =>
  Effect.gen(function*() {
    const states: Array<Reconnect.ConnectionState> = []
    yield* Effect.forkScoped(Stream.runForEach(reconnect.changes, (s) => Effect.sync(() => states.push(s))))
    yield* settle
    return states
  })

const breakWith = (error: unknown) => () => Effect.fail(error)

describe("Reconnect", () => {
  describe("connecting", () => {
    it.scoped("make returns at once in Connecting { attempt: 1 } and connects in the background", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const db = yield* Reconnect.make({ name: "db", acquire: server.acquire })
        expect(db.name).toBe("db")
        expect(yield* db.state).toEqual(Connecting({ attempt: 1 }))
        expect(server.attempts).toEqual([])
        yield* settle
        expect(server.attempts).toEqual([0])
        expect(yield* db.state).toEqual(Connected({ generation: 1, since: 0 }))
        expect((yield* db.get).id).toBe(1)
        expect(yield* db.use((conn) => Effect.succeed(conn.id * 10))).toBe(10)
        expect(server.attempts).toEqual([0])
      }))

    it.scoped("waits the schedule's delays between failed attempts, restarts it after a success, and retries a break at once", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({ acquire: server.acquire, schedule: Retry.linear({ base: "100 millis" }) })
        yield* settle
        expect(server.attempts).toEqual([0])
        yield* TestClock.adjust(99)
        expect(server.attempts).toEqual([0])
        yield* TestClock.adjust(1)
        yield* settle
        expect(server.attempts).toEqual([0, 100])
        yield* TestClock.adjust(200)
        yield* settle
        expect(server.attempts).toEqual([0, 100, 300])
        expect(yield* db.state).toEqual(Connecting({ attempt: 3 }))
        server.up = true
        yield* TestClock.adjust(300)
        yield* settle
        expect(server.attempts).toEqual([0, 100, 300, 600])
        expect(yield* db.state).toEqual(Connected({ generation: 1, since: 600 }))

        yield* TestClock.adjust(400)
        server.up = false
        const broken = new Broken({ id: 1 })
        expect(yield* Effect.flip(db.use(breakWith(broken)))).toBe(broken)
        yield* settle
        // the first attempt after a break runs at once; the schedule starts again from its first delay
        expect(server.attempts.slice(4)).toEqual([1000])
        yield* TestClock.adjust(100)
        yield* settle
        expect(server.attempts.slice(4)).toEqual([1000, 1100])
        yield* TestClock.adjust(200)
        yield* settle
        expect(server.attempts.slice(4)).toEqual([1000, 1100, 1300])
        server.up = true
        yield* TestClock.adjust(300)
        yield* settle
        expect(yield* db.state).toEqual(Connected({ generation: 2, since: 1600 }))
      }))

    it.scoped("the default schedule is exponential from 100 ms with full jitter, capped at 5 seconds", () =>
      seeded(
        42,
        Effect.gen(function*() {
          const server = fakeServer({ up: false })
          yield* Reconnect.make({ acquire: server.acquire })
          yield* settle
          for (let i = 0; i < 16; i++) {
            yield* TestClock.adjust(5000)
            yield* settle
          }
          const gaps = server.attempts.slice(1).map((t, i) => t - server.attempts[i])
          expect(gaps.length).toBeGreaterThanOrEqual(15)
          gaps.forEach((gap, i) => {
            expect(gap).toBeGreaterThanOrEqual(0)
            expect(gap).toBeLessThanOrEqual(Math.min(5000, 100 * 2 ** i))
          })
          // jittered: not every delay is the capped one
          expect(gaps.slice(0, 6).some((gap, i) => gap < 100 * 2 ** i)).toBe(true)
        })
      ))

    it.scoped("publishes every change of state on changes, with the attempt and the error", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({ acquire: server.acquire, schedule: Schedule.spaced("10 millis") })
        const states = yield* collect(db)
        yield* TestClock.adjust(10)
        yield* settle
        server.up = true
        yield* TestClock.adjust(10)
        yield* settle
        server.up = false
        const broken = new Broken({ id: 1 })
        yield* Effect.flip(db.use(breakWith(broken)))
        yield* settle
        server.up = true
        yield* TestClock.adjust(10)
        yield* settle
        expect(states).toEqual([
          Connecting({ attempt: 2 }),
          Connecting({ attempt: 3 }),
          Connected({ generation: 1, since: 20 }),
          Reconnecting({ attempt: 1, error: broken }),
          Reconnecting({ attempt: 1, error: new ConnectError({ attempt: 4 }) }),
          Reconnecting({ attempt: 2, error: new ConnectError({ attempt: 4 }) }),
          Connected({ generation: 2, since: 30 })
        ])
      }))
  })

  describe("single flight", () => {
    it.scoped("1,000 callers failing on the same broken connection start one reconnection", () =>
      Effect.gen(function*() {
        const server = fakeServer({ connectMillis: 50 })
        const db = yield* Reconnect.make({ acquire: server.acquire })
        yield* TestClock.adjust(50)
        expect(yield* db.state).toEqual(Connected({ generation: 1, since: 50 }))
        const gate = yield* Deferred.make<void>()
        const callers = yield* Effect.forEach(
          Array.from({ length: 1000 }),
          () =>
            Effect.fork(
              db.use((conn) => Effect.zipRight(Deferred.await(gate), Effect.fail(new Broken({ id: conn.id }))))
            )
        )
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        const errors = yield* Effect.forEach(callers, (fiber) => Effect.flip(Fiber.join(fiber)))
        // every caller ran on the first connection and saw its own error
        expect(errors.every((e) => e._tag === "Broken" && e.id === 1)).toBe(true)
        yield* settle
        expect(server.attempts).toEqual([0, 50])
        // 1,000 callers arriving while it reconnects wait for the one new connection
        const waiters = yield* Effect.forEach(Array.from({ length: 1000 }), () => Effect.fork(db.get))
        yield* settle
        expect(waiters.every((fiber) => fiber.unsafePoll() === null)).toBe(true)
        yield* TestClock.adjust(50)
        const connections = yield* Effect.forEach(waiters, Fiber.join)
        expect(new Set(connections.map((c) => c.id))).toEqual(new Set([2]))
        expect(server.attempts).toEqual([0, 50])
        expect(server.connections.map((c) => c.closes)).toEqual([1, 0])
        expect(server.maxOpen).toBe(1)
      }))

    it.scoped("a failure from an already replaced connection starts nothing", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const db = yield* Reconnect.make({ acquire: server.acquire })
        yield* settle
        const gate = yield* Deferred.make<void>()
        const late = yield* Effect.fork(db.use((conn) => Effect.zipRight(Deferred.await(gate), Effect.fail(conn.id))))
        yield* settle
        yield* Effect.flip(db.use(breakWith("io")))
        yield* settle
        expect(yield* db.state).toEqual(Connected({ generation: 2, since: 0 }))
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Effect.flip(Fiber.join(late))).toBe(1)
        yield* settle
        expect(yield* db.state).toEqual(Connected({ generation: 2, since: 0 }))
        expect(server.attempts).toHaveLength(2)
      }))
  })

  describe("operations", () => {
    it.scoped("failures that are not connection errors pass through and leave the connection alone", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const seen: Array<unknown> = []
        const db = yield* Reconnect.make({
          acquire: server.acquire,
          isConnectionError: (error) => {
            seen.push(error)
            return error instanceof Broken
          }
        })
        expect(yield* Effect.flip(db.use(breakWith("bad request")))).toBe("bad request")
        expect(yield* db.state).toEqual(Connected({ generation: 1, since: 0 }))
        // a defect is shown to isConnectionError too
        const defect = new Broken({ id: 9 })
        const exit = yield* Effect.exit(db.use(() => Effect.die(defect)))
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBe(defect)
        expect(seen).toEqual(["bad request", defect])
        yield* settle
        expect(yield* db.state).toEqual(Connected({ generation: 2, since: 0 }))
        expect(server.connections[0].closes).toBe(1)
      }))

    it.scoped("by default every failure and every defect is a connection error", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const db = yield* Reconnect.make({ acquire: server.acquire })
        yield* Effect.flip(db.use(breakWith("anything")))
        yield* settle
        yield* Effect.exit(db.use(() => Effect.die("bug")))
        yield* settle
        expect(server.attempts).toHaveLength(3)
        expect(yield* db.state).toEqual(Connected({ generation: 3, since: 0 }))
      }))

    it.scoped("a predicate that throws counts as a connection error", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const db = yield* Reconnect.make({
          acquire: server.acquire,
          isConnectionError: () => {
            throw new Error("cannot tell")
          }
        })
        yield* Effect.flip(db.use(breakWith("x")))
        yield* settle
        expect(yield* db.state).toEqual(Connected({ generation: 2, since: 0 }))
      }))

    it.scoped("retryOnReconnect runs the operation once more, on the new connection", () =>
      Effect.gen(function*() {
        const server = fakeServer({ connectMillis: 10 })
        const db = yield* Reconnect.make({ acquire: server.acquire, retryOnReconnect: true })
        yield* TestClock.adjust(10)
        const ran: Array<number> = []
        const fiber = yield* Effect.fork(db.use((conn) => {
          ran.push(conn.id)
          return conn.id === 1 ? Effect.fail(new Broken({ id: 1 })) : Effect.succeed(`ok on ${conn.id}`)
        }))
        yield* TestClock.adjust(10)
        expect(yield* Fiber.join(fiber)).toBe("ok on 2")
        expect(ran).toEqual([1, 2])
      }))

    it.scoped("retryOnReconnect runs it at most once more, and only for a connection error", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const db = yield* Reconnect.make({
          acquire: server.acquire,
          retryOnReconnect: true,
          isConnectionError: (e) => e instanceof Broken
        })
        const ran: Array<number> = []
        const error = yield* Effect.flip(db.use((conn) => {
          ran.push(conn.id)
          return Effect.fail(new Broken({ id: conn.id }))
        }))
        expect(error).toEqual(new Broken({ id: 2 }))
        expect(ran).toEqual([1, 2])
        yield* settle
        // the second failure broke the second connection too
        expect(yield* db.state).toEqual(Connected({ generation: 3, since: 0 }))
        ran.length = 0
        expect(
          yield* Effect.flip(
            db.use((conn) => Effect.sync(() => ran.push(conn.id)).pipe(Effect.zipRight(Effect.fail("bad request"))))
          )
        )
          .toBe("bad request")
        expect(ran).toEqual([3])
      }))

    it.scoped("retryOnReconnect: an operation that failed on an already replaced connection runs on the current one", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const db = yield* Reconnect.make({ acquire: server.acquire, retryOnReconnect: true })
        yield* settle
        const gate = yield* Deferred.make<void>()
        const ran: Array<number> = []
        const late = yield* Effect.fork(db.use((conn) => {
          ran.push(conn.id)
          return conn.id === 1 ? Effect.zipRight(Deferred.await(gate), Effect.fail("io")) : Effect.succeed(conn.id)
        }))
        yield* settle
        yield* db.invalidate
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(late)).toBe(2)
        expect(ran).toEqual([1, 2])
        expect(server.attempts).toHaveLength(2)
      }))

    it.scoped("without retryOnReconnect the original error comes back at once, while reconnecting goes on", () =>
      Effect.gen(function*() {
        const server = fakeServer({ connectMillis: 100 })
        const db = yield* Reconnect.make({ acquire: server.acquire })
        yield* TestClock.adjust(100)
        let runs = 0
        const error = yield* Effect.flip(db.use(() => {
          runs++
          return Effect.fail("INCR failed")
        }))
        expect(error).toBe("INCR failed")
        expect(runs).toBe(1)
        expect(yield* Clock.currentTimeMillis).toBe(100)
        expect((yield* db.state)._tag).toBe("Reconnecting")
      }))
  })

  describe("giving up", () => {
    it.scoped("maxAttempts consecutive failures move to Failed; waiters and later calls get \"Failed\"", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({
          name: "cache",
          acquire: server.acquire,
          maxAttempts: 3,
          schedule: Schedule.spaced("100 millis")
        })
        const waiting = yield* Effect.fork(db.get)
        yield* settle
        yield* TestClock.adjust(200)
        yield* settle
        expect(server.attempts).toEqual([0, 100, 200])
        const last = new ConnectError({ attempt: 3 })
        expect(yield* db.state).toEqual(Failed({ attempts: 3, error: last }))
        const error = yield* Effect.flip(Fiber.join(waiting))
        expect(error).toBeInstanceOf(Reconnect.ConnectionUnavailable)
        expect(error).toMatchObject({
          _tag: "ConnectionUnavailable",
          policyName: "cache",
          reason: "Failed",
          cause: last
        })
        expect(error.message).toBe("Connection \"cache\" failed: gave up reconnecting")
        expect(ResilienceError.isResilienceError(error)).toBe(true)
        expect(ResilienceError.isPermanentRejection(error)).toBe(true)
        expect(error.name).toBe("ConnectionUnavailable")
        // at once, without waiting
        let ran = false
        const now = yield* Effect.flip(db.use(() => Effect.sync(() => (ran = true))))
        expect(now.reason).toBe("Failed")
        expect(ran).toBe(false)
        yield* TestClock.adjust("1 hour")
        expect(server.attempts).toHaveLength(3)
      }))

    it.scoped("a finite schedule that ends gives up right after the last failed attempt", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({
          acquire: server.acquire,
          schedule: Retry.constant("10 millis", { maxRetries: 2 })
        })
        const states = yield* collect(db)
        yield* TestClock.adjust(20)
        yield* settle
        expect(server.attempts).toEqual([0, 10, 20])
        expect(states).toEqual([
          Connecting({ attempt: 2 }),
          Connecting({ attempt: 3 }),
          Failed({ attempts: 3, error: new ConnectError({ attempt: 3 }) })
        ])
      }))

    it.scoped("reconnect from Failed starts again at once with a fresh schedule; elsewhere it does nothing", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const db = yield* Reconnect.make({
          acquire: server.acquire,
          maxAttempts: 2,
          schedule: Retry.linear({ base: "100 millis" })
        })
        yield* settle
        yield* db.reconnect
        yield* settle
        expect(server.attempts).toEqual([0])
        server.up = false
        yield* Effect.flip(db.use(breakWith("io")))
        yield* TestClock.adjust(100)
        yield* settle
        expect(server.attempts).toEqual([0, 0, 100])
        expect((yield* db.state)._tag).toBe("Failed")
        yield* TestClock.adjust(1000)
        const states = yield* collect(db)
        yield* db.reconnect
        yield* settle
        expect(server.attempts).toEqual([0, 0, 100, 1100])
        yield* TestClock.adjust(100)
        yield* settle
        // the schedule restarted: 100 ms again, not 200
        expect(server.attempts).toEqual([0, 0, 100, 1100, 1200])
        server.up = true
        yield* db.reconnect
        yield* settle
        const error = new ConnectError({ attempt: 3 })
        const error5 = new ConnectError({ attempt: 5 })
        expect(states).toEqual([
          Reconnecting({ attempt: 1, error }),
          Reconnecting({ attempt: 1, error: new ConnectError({ attempt: 4 }) }),
          Reconnecting({ attempt: 2, error: new ConnectError({ attempt: 4 }) }),
          Failed({ attempts: 2, error: error5 }),
          Reconnecting({ attempt: 1, error: error5 }),
          Connected({ generation: 2, since: 1200 })
        ])
      }))

    it.scoped("a Reconnect that never connected goes from Failed back to Connecting", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({ acquire: server.acquire, maxAttempts: 1 })
        yield* settle
        expect(yield* db.state).toEqual(Failed({ attempts: 1, error: new ConnectError({ attempt: 1 }) }))
        expect((yield* Effect.flip(db.get)).reason).toBe("Failed")
        server.up = true
        const states = yield* collect(db)
        yield* db.reconnect
        yield* settle
        expect(states).toEqual([Connecting({ attempt: 1 }), Connected({ generation: 1, since: 0 })])
      }))
  })

  describe("waiting", () => {
    it.scoped("maxWait bounds a wait for a connection: ConnectionUnavailable(\"Reconnecting\") with the last error", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({
          name: "db",
          acquire: server.acquire,
          maxWait: "250 millis",
          schedule: Schedule.spaced("100 millis")
        })
        const fiber = yield* Effect.fork(db.use(() => Effect.succeed("never")))
        yield* TestClock.adjust(249)
        expect(fiber.unsafePoll()).toBeNull()
        yield* TestClock.adjust(1)
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error).toMatchObject({ reason: "Reconnecting", cause: new ConnectError({ attempt: 3 }) })
        expect(error.message).toBe("Connection \"db\" is unavailable: still reconnecting")
        expect(ResilienceError.isPermanentRejection(error)).toBe(false)
        // the attempts go on
        server.up = true
        yield* TestClock.adjust(100)
        expect((yield* db.get).id).toBe(1)
      }))

    it.scoped("maxWait bounds every wait of a call, the one before a retryOnReconnect run too", () =>
      Effect.gen(function*() {
        const server = fakeServer({ connectMillis: 300 })
        const db = yield* Reconnect.make({ acquire: server.acquire, maxWait: "400 millis", retryOnReconnect: true })
        let runs = 0
        const fiber = yield* Effect.fork(db.use(() => Effect.suspend(() => (runs++, Effect.fail("io")))))
        yield* TestClock.adjust(300)
        // each of the two waits took 300 ms: 600 in all, more than maxWait, yet no wait exceeded it
        yield* TestClock.adjust(300)
        expect(yield* Effect.flip(Fiber.join(fiber))).toBe("io")
        expect(runs).toBe(2)
        yield* TestClock.adjust(300)
        expect(yield* db.state).toEqual(Connected({ generation: 3, since: 900 }))
        server.connectMillis = 1000
        const slow = yield* Effect.fork(db.use(() => Effect.fail("io")))
        yield* TestClock.adjust(399)
        expect(slow.unsafePoll()).toBeNull()
        yield* TestClock.adjust(1)
        expect(yield* Effect.flip(Fiber.join(slow))).toMatchObject({
          _tag: "ConnectionUnavailable",
          reason: "Reconnecting"
        })
      }))

    it.scoped("without maxWait a caller waits as long as it takes", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({ acquire: server.acquire, schedule: Schedule.spaced("1 minute") })
        const fiber = yield* Effect.fork(db.get)
        yield* TestClock.adjust("1 hour")
        expect(fiber.unsafePoll()).toBeNull()
        server.up = true
        yield* TestClock.adjust("1 minute")
        expect((yield* Fiber.join(fiber)).id).toBe(1)
      }))

    it.scoped("connectTimeout interrupts a slow attempt, closes its scope and counts it as failed", () =>
      Effect.gen(function*() {
        const opened: Array<number> = []
        const closed: Array<number> = []
        let attempt = 0
        const acquire = Effect.gen(function*() {
          const n = ++attempt
          yield* Effect.acquireRelease(Effect.sync(() => opened.push(n)), () => Effect.sync(() => closed.push(n)))
          if (n === 1) yield* Effect.never
          return n
        })
        const db = yield* Reconnect.make({
          name: "slow",
          acquire,
          connectTimeout: "1 second",
          schedule: Schedule.spaced("10 millis")
        })
        yield* settle
        expect(opened).toEqual([1])
        yield* TestClock.adjust(999)
        expect(closed).toEqual([])
        yield* TestClock.adjust(1)
        yield* settle
        expect(closed).toEqual([1])
        const state = yield* db.state
        expect(state).toEqual(Connecting({ attempt: 1 }))
        yield* TestClock.adjust(10)
        expect(yield* db.get).toBe(2)
        expect(opened).toEqual([1, 2])
      }))
  })

  describe("invalidate", () => {
    it.scoped("drops the current connection, closes its scope and reconnects; nothing unless Connected", () =>
      Effect.gen(function*() {
        const server = fakeServer({ connectMillis: 10 })
        const db = yield* Reconnect.make({ acquire: server.acquire, schedule: Schedule.spaced("10 millis") })
        yield* db.invalidate // Connecting: nothing
        yield* TestClock.adjust(10)
        expect(server.attempts).toEqual([0])
        yield* db.invalidate
        expect(yield* db.state).toEqual(Reconnecting({ attempt: 1, error: undefined }))
        yield* db.invalidate // already reconnecting: nothing
        yield* settle
        expect(server.connections[0].closes).toBe(1)
        yield* TestClock.adjust(10)
        expect(yield* db.state).toEqual(Connected({ generation: 2, since: 20 }))
        expect(server.attempts).toEqual([0, 10])
        expect(server.maxOpen).toBe(1)
      }))
  })

  describe("closing", () => {
    it.effect("closes the current connection once, fails waiters and later calls with \"Closed\", and ends changes", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const scope = yield* Scope.make()
        const db = yield* Reconnect.make({ name: "db", acquire: server.acquire }).pipe(Scope.extend(scope))
        yield* settle
        const changes = yield* Effect.fork(Stream.runCollect(db.changes))
        yield* settle
        yield* Scope.close(scope, Exit.void)
        expect(server.connections.map((c) => c.closes)).toEqual([1])
        expect(yield* db.state).toEqual(Closed())
        expect(Array.from(yield* Fiber.join(changes))).toEqual([Closed()])
        const error = yield* Effect.flip(db.get)
        expect(error).toMatchObject({ reason: "Closed", policyName: "db" })
        expect(error.message).toBe("Connection \"db\" is closed")
        expect(ResilienceError.isPermanentRejection(error)).toBe(true)
        expect(Array.from(yield* Stream.runCollect(db.changes))).toEqual([])
        yield* db.invalidate
        yield* db.reconnect
        yield* TestClock.adjust("1 hour")
        expect(server.attempts).toHaveLength(1)
      }))

    it.effect("closing while reconnecting interrupts the attempt, closes its scope, and leaves nothing running", () =>
      Effect.gen(function*() {
        const opened: Array<number> = []
        const closed: Array<number> = []
        let attempts = 0
        const acquire = Effect.gen(function*() {
          const n = ++attempts
          yield* Effect.acquireRelease(Effect.sync(() => opened.push(n)), () => Effect.sync(() => closed.push(n)))
          yield* Effect.sleep("1 second")
          return yield* Effect.fail("refused")
        })
        const scope = yield* Scope.make()
        const db = yield* Reconnect.make({ acquire, schedule: Schedule.spaced("100 millis") }).pipe(Scope.extend(scope))
        yield* TestClock.adjust(1100)
        yield* settle
        expect(opened).toEqual([1, 2])
        expect(closed).toEqual([1])
        const waiter = yield* Effect.fork(db.get)
        yield* settle
        yield* Scope.close(scope, Exit.void)
        expect(closed).toEqual([1, 2])
        expect((yield* Effect.flip(Fiber.join(waiter))).reason).toBe("Closed")
        yield* TestClock.adjust("1 hour")
        expect(opened).toEqual([1, 2])
        expect(yield* db.state).toEqual(Closed())
      }))

    it.effect("the scope of a connection dropped but not yet replaced is closed too", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const scope = yield* Scope.make()
        const db = yield* Reconnect.make({ acquire: server.acquire }).pipe(Scope.extend(scope))
        yield* settle
        server.connectMillis = 1000
        yield* db.invalidate
        yield* Scope.close(scope, Exit.void)
        expect(server.connections.map((c) => c.closes)).toEqual([1])
        expect(server.open).toBe(0)
      }))
  })

  describe("interruption", () => {
    it.scoped("interrupting a caller never breaks the connection and never counts as an attempt", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const db = yield* Reconnect.make({ acquire: server.acquire })
        yield* settle
        const running = yield* Effect.fork(db.use(() => Effect.never))
        yield* settle
        yield* Fiber.interrupt(running)
        yield* settle
        expect(yield* db.state).toEqual(Connected({ generation: 1, since: 0 }))
        // an operation that interrupts itself is no verdict either
        yield* Effect.exit(db.use(() => Effect.interrupt))
        yield* settle
        expect(server.attempts).toEqual([0])
        expect(server.connections[0].closes).toBe(0)
      }))

    it.scoped("interrupting a waiting caller leaves the reconnection and the other waiters alone", () =>
      Effect.gen(function*() {
        const server = fakeServer({ connectMillis: 100 })
        const db = yield* Reconnect.make({ acquire: server.acquire })
        const first = yield* Effect.fork(db.get)
        const second = yield* Effect.fork(db.get)
        yield* TestClock.adjust(50)
        yield* Fiber.interrupt(first)
        yield* TestClock.adjust(50)
        expect((yield* Fiber.join(second)).id).toBe(1)
        expect(server.attempts).toEqual([0])
        expect(yield* db.state).toEqual(Connected({ generation: 1, since: 100 }))
      }))
  })

  describe("composition", () => {
    it.scoped("Retry.retry outside use retries \"Reconnecting\" but not \"Failed\"", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({
          acquire: server.acquire,
          maxWait: "50 millis",
          maxAttempts: 4,
          schedule: Schedule.spaced("100 millis")
        })
        let calls = 0
        const call = Effect.suspend(() => {
          calls++
          return db.use(() => Effect.succeed("ok"))
        }).pipe(Retry.retry({ schedule: Retry.constant("10 millis", { maxRetries: 20 }) }))
        const fiber = yield* Effect.fork(call)
        yield* TestClock.adjust(300)
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error.reason).toBe("Failed")
        // every wait of 50 ms ended "Reconnecting" and was retried; "Failed" at 300 ms was not
        expect(calls).toBeGreaterThan(4)
        const before = calls
        yield* Effect.flip(call)
        expect(calls).toBe(before + 1)
      }))
  })

  describe("observability", () => {
    it.scoped("publishes ConnectionStateChanged events and the connection metrics under ResilienceLive", () =>
      Effect.gen(function*() {
        const events: Array<ResilienceEvent> = []
        yield* Effect.forkScoped(Stream.runForEach(Resilience.events, (e) => Effect.sync(() => events.push(e))))
        yield* settle
        const server = fakeServer({ up: false })
        const db = yield* Reconnect.make({
          name: "m-reconnect",
          acquire: server.acquire,
          schedule: Schedule.spaced("10 millis"),
          connectTimeout: "5 millis"
        })
        const gauge = metricValue("resilience_connection_state", { name: "m-reconnect" })
        const attempts = (outcome: string) =>
          metricValue("resilience_reconnect_attempts_total", { name: "m-reconnect", outcome })
        expect(yield* gauge).toBe(1)
        yield* settle
        server.up = true
        server.connectMillis = 10
        yield* TestClock.adjust(10) // attempt 2 starts
        yield* TestClock.adjust(5) // and times out
        server.connectMillis = 0
        yield* TestClock.adjust(10)
        yield* settle
        expect(yield* gauge).toBe(0)
        expect(yield* attempts("failure")).toBe(1)
        expect(yield* attempts("timeout")).toBe(1)
        expect(yield* attempts("success")).toBe(1)
        server.up = false
        yield* Effect.flip(db.use(breakWith("io")))
        yield* settle
        expect(yield* gauge).toBe(1)
        const changed = events.filter((e) => e._tag === "ConnectionStateChanged")
        expect(changed.map((e) => [e.from._tag, e.to._tag, e.at])).toEqual([
          ["Connecting", "Connecting", 10],
          ["Connecting", "Connecting", 25],
          ["Connecting", "Connected", 25],
          ["Connected", "Reconnecting", 25],
          ["Reconnecting", "Reconnecting", 25]
        ])
        expect(changed[3]).toMatchObject({ policyName: "m-reconnect", to: Reconnecting({ attempt: 1, error: "io" }) })
        const metric = yield* attempts("failure")
        expect(metric).toBe(2)
      }).pipe(Effect.provide(Resilience.layer())))

    it.effect("the state gauge reads 2 once Failed and 3 once Closed", () =>
      Effect.gen(function*() {
        const server = fakeServer({ up: false })
        const scope = yield* Scope.make()
        yield* Reconnect.make({ name: "m-gauge", acquire: server.acquire, maxAttempts: 1 }).pipe(Scope.extend(scope))
        const gauge = metricValue("resilience_connection_state", { name: "m-gauge" })
        expect(yield* gauge).toBe(1)
        yield* settle
        expect(yield* gauge).toBe(2)
        expect(yield* metricValue("resilience_reconnect_attempts_total", { name: "m-gauge", outcome: "failure" }))
          .toBe(1)
        yield* Scope.close(scope, Exit.void)
        expect(yield* gauge).toBe(3)
      }).pipe(Effect.provide(Resilience.layer())))

    it.scoped("unnamed instances get generated names; without ResilienceLive nothing is recorded", () =>
      Effect.gen(function*() {
        const a = yield* Reconnect.make({ acquire: Effect.succeed(1) })
        const b = yield* Reconnect.make({ acquire: Effect.succeed(2) })
        expect(a.name).toMatch(/^reconnect-\d+$/)
        expect(b.name).toMatch(/^reconnect-\d+$/)
        expect(a.name).not.toBe(b.name)
        yield* settle
        expect(yield* metricValue("resilience_reconnect_attempts_total", { name: a.name, outcome: "success" })).toBe(0)
      }))
  })

  describe("layer", () => {
    class Db extends Context.Tag("Db")<Db, Reconnect.Reconnect<Conn, ConnectError>>() {}

    it.effect("provides a Reconnect under a tag and closes its connection with the layer", () =>
      Effect.gen(function*() {
        const server = fakeServer()
        const id = yield* Effect.flatMap(Db, (db) => db.use((conn) => Effect.succeed(conn.id))).pipe(
          Effect.provide(Reconnect.layer(Db, { name: "db", acquire: server.acquire }))
        )
        expect(id).toBe(1)
        expect(server.connections.map((c) => c.closes)).toEqual([1])
      }))
  })

  describe("options", () => {
    it("are validated when make and layer are called", () => {
      const acquire = Effect.succeed(1)
      expectConfigError(() => Reconnect.make({ acquire: 1 as never }), "acquire", "must be an Effect")
      expectConfigError(() => Reconnect.make(undefined as never), "options")
      expectConfigError(() => Reconnect.make({ acquire, maxAttempts: 0 }), "maxAttempts", "positive integer")
      expectConfigError(() => Reconnect.make({ acquire, maxAttempts: 1.5 }), "maxAttempts")
      expectConfigError(() => Reconnect.make({ acquire, maxAttempts: NaN }), "maxAttempts")
      expectConfigError(() => Reconnect.make({ acquire, maxWait: 0 }), "maxWait", "positive")
      expectConfigError(() => Reconnect.make({ acquire, maxWait: -5 }), "maxWait")
      expectConfigError(() => Reconnect.make({ acquire, maxWait: "-5 millis" }), "maxWait")
      expectConfigError(() => Reconnect.make({ acquire, maxWait: NaN }), "maxWait")
      expectConfigError(() => Reconnect.make({ acquire, connectTimeout: "0 seconds" }), "connectTimeout", "positive")
      expectConfigError(() => Reconnect.make({ acquire, connectTimeout: "soon" as never }), "connectTimeout")
      expectConfigError(() => Reconnect.make({ acquire, schedule: "100 millis" as never }), "schedule")
      expectConfigError(() => Reconnect.make({ acquire, isConnectionError: true as never }), "isConnectionError")
      expectConfigError(() => Reconnect.make({ acquire, retryOnReconnect: "yes" as never }), "retryOnReconnect")
      expectConfigError(() => Reconnect.make({ acquire, name: "" }), "name")
      const tag = Context.GenericTag<"Db", Reconnect.Reconnect<number, never>>("Db")
      expectConfigError(() => Reconnect.layer(tag, { acquire, maxAttempts: -1 }), "maxAttempts")
      // an infinite wait means no limit
      expect(() => Reconnect.make({ acquire, maxWait: Infinity, connectTimeout: Infinity })).not.toThrow()
    })
  })
})

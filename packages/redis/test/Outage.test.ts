/**
 * Redis outages, for real: the server is killed mid-test and restarted. Decisions go on by
 * `onUnavailable`, no caller waits much longer than `commandTimeout`, no Redis error reaches a
 * caller, Redis is tried again at most once per back-off period, and decisions return to Redis
 * once it answers again.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as ResilienceMetrics from "@effect-resilience/core/ResilienceMetrics"
import * as RedisClient from "@effect-resilience/redis/RedisClient"
import * as RedisStore from "@effect-resilience/redis/RedisStore"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { type Clients, connect, names } from "./utils/clients.js"
import { external, type RedisServer, startServer } from "./utils/server.js"

let server: RedisServer
let clients: Clients

beforeAll(async () => {
  server = await startServer()
  clients = await connect(server.url)
})

afterAll(async () => {
  await clients?.close()
  await server?.stop()
})

const COMMAND_TIMEOUT = 250
/** scheduling slack on a loaded machine */
const SLACK = 250

const errorCount = (reason: "timeout" | "error") =>
  Effect.map(
    Metric.value(ResilienceMetrics.storeErrors.pipe(Metric.tagged("store", "redis"), Metric.tagged("reason", reason))),
    (state) => state.count
  )
const allErrors = Effect.zipWith(errorCount("timeout"), errorCount("error"), (a, b) => a + b)

/** Runs `effect` and returns how long it took, in real millis. */
const timed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.timed(effect), ([duration, value]) => [Duration.toMillis(duration), value] as const)

/** Until `client` answers: it may still be reconnecting after an earlier test's restart. */
const untilConnected = (client: RedisClient.RedisClient) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100; i++) {
      const exit = yield* Effect.exit(client.send(["PING"]))
      if (Exit.isSuccess(exit)) return
      yield* Effect.sleep("50 millis")
    }
    throw new Error("the client did not reconnect")
  })

const restartAndWait = (client: RedisClient.RedisClient) =>
  Effect.zipRight(Effect.promise(() => server.restart()), untilConnected(client))

describe.skipIf(external !== undefined).each(names.map((name, index) => [name, index] as const))(
  "a Redis outage (%s)",
  (name, index) => {
    const client = () => clients.get(name)

    const makeStore = (options: RedisStore.Options) =>
      RedisStore.make({
        prefix: `outage${index}-${options.onUnavailable}:`,
        commandTimeout: `${COMMAND_TIMEOUT} millis`,
        ...options
      }).pipe(
        Effect.provideService(RedisClient.RedisClient, client())
      )

    it.live("is survived: local, fail-open and fail-closed decide at once; events, metrics; back to Redis after", () =>
      Effect.gen(function*() {
        const registry = yield* Resilience.Resilience
        const events = yield* Effect.fork(
          Stream.runCollect(
            registry.events.pipe(
              Stream.filter((e) =>
                (e._tag === "StoreUnavailable" || e._tag === "StoreRecovered") &&
                e.policyName === `redis:outage${index}-local:`
              ),
              Stream.take(2)
            )
          )
        )
        yield* Effect.sleep("20 millis")
        yield* untilConnected(client())

        const local = yield* makeStore({ onUnavailable: "local", localShare: 2 })
        const open = yield* makeStore({ onUnavailable: "fail-open" })
        const closed = yield* makeStore({ onUnavailable: "fail-closed" })
        const options = { limit: 10, interval: "1 minute", onExceeded: "fail" } as const
        const onLocal = yield* RateLimiter.make({ ...options, name: "local", store: local.rateLimiter })
        const onOpen = yield* RateLimiter.make({ ...options, name: "open", limit: 1, store: open.rateLimiter })
        const onClosed = yield* RateLimiter.make({ ...options, name: "closed", store: closed.rateLimiter })
        const breakers = {
          local: yield* CircuitBreaker.make({
            name: "b",
            trip: CircuitBreaker.consecutive(1),
            store: local.circuitBreaker
          }),
          open: yield* CircuitBreaker.make({ name: "b", store: open.circuitBreaker }),
          closed: yield* CircuitBreaker.make({ name: "b", store: closed.circuitBreaker })
        }
        // on Redis while it answers
        expect(yield* breakers.closed.protect(Effect.succeed(1))).toBe(1)
        expect(yield* onLocal.tryAcquire(3)).toBe(true)
        expect(yield* onOpen.tryAcquire()).toBe(true)
        expect(yield* onOpen.tryAcquire()).toBe(false)
        expect(yield* onClosed.tryAcquire()).toBe(true)

        yield* Effect.promise(() => server.kill())
        const errorsBefore = yield* allErrors

        // "local": this process's share (10 / 2) in memory
        let admitted = 0
        for (let i = 0; i < 8; i++) {
          const [took, ok] = yield* timed(onLocal.tryAcquire())
          expect(took).toBeLessThan(COMMAND_TIMEOUT + SLACK)
          if (ok) admitted++
        }
        expect(admitted).toBe(5)
        // "fail-open" admits
        const [tookOpen, openOk] = yield* timed(onOpen.tryAcquire())
        expect(openOk).toBe(true)
        expect(tookOpen).toBeLessThan(COMMAND_TIMEOUT + SLACK)
        // "fail-closed" rejects, retryAfter the time until Redis is tried again
        const [tookClosed, exit] = yield* timed(Effect.exit(onClosed.acquire()))
        expect(tookClosed).toBeLessThan(COMMAND_TIMEOUT + SLACK)
        const error = Option.getOrThrow(
          Cause.failureOption((exit as Exit.Failure<void, RateLimiter.RateLimited>).cause)
        )
        expect(error._tag).toBe("RateLimited")
        expect(Duration.toMillis(error.retryAfter)).toBeGreaterThan(0)
        expect(Duration.toMillis(error.retryAfter)).toBeLessThanOrEqual(10 * COMMAND_TIMEOUT)

        // breakers: "local" decides in memory (its outcomes recorded there), "fail-open" admits and
        // reads Closed, "fail-closed" rejects as Open
        yield* Effect.exit(breakers.local.protect(Effect.fail("boom")))
        expect(yield* breakers.local.state).toBe("Open")
        expect(yield* breakers.open.protect(Effect.succeed(2))).toBe(2)
        expect(yield* breakers.open.state).toBe("Closed")
        const [tookBreaker, rejected] = yield* timed(Effect.exit(breakers.closed.protect(Effect.succeed(3))))
        expect(tookBreaker).toBeLessThan(COMMAND_TIMEOUT + SLACK)
        expect(Exit.isFailure(rejected) && Option.getOrThrow(Cause.failureOption(rejected.cause))).toMatchObject({
          _tag: "CircuitBreakerOpen",
          state: "Open"
        })
        expect(yield* breakers.closed.state).toBe("Open")

        // many calls within one back-off period: Redis is tried at most once per store
        for (let i = 0; i < 50; i++) yield* onLocal.tryAcquire()
        const failed = (yield* allErrors) - errorsBefore
        expect(failed).toBeGreaterThanOrEqual(3)
        expect(failed).toBeLessThanOrEqual(6)

        yield* restartAndWait(client())
        yield* Effect.sleep(Duration.millis(10 * COMMAND_TIMEOUT + 50))
        // back on Redis (a fresh server: the state before the crash is gone)
        expect(yield* onLocal.tryAcquire(10)).toBe(true)
        expect(yield* client().send(["EXISTS", `outage${index}-local:limiter:token-bucket:local:`])).toBe(1)
        expect(yield* breakers.closed.protect(Effect.succeed(4))).toBe(4)
        expect(yield* client().send(["EXISTS", `outage${index}-fail-closed:breaker:{b}`])).toBe(1)

        const seen = Chunk.toReadonlyArray(yield* Fiber.join(events)) as ReadonlyArray<ResilienceEvent>
        expect(seen.map((e) => e._tag)).toEqual(["StoreUnavailable", "StoreRecovered"])
        expect(seen[0]).toMatchObject({ store: "redis" })
      }).pipe(Effect.scoped, Effect.provide(Resilience.layer())))

    /** A limiter on a store with a short `commandTimeout` that rejects while Redis is unavailable. */
    const failClosedLimiter = (prefix: string) =>
      Effect.gen(function*() {
        const store = yield* RedisStore.make({ prefix, commandTimeout: "100 millis", onUnavailable: "fail-closed" })
          .pipe(Effect.provideService(RedisClient.RedisClient, client()))
        return yield* RateLimiter.make({
          name: "limiter",
          limit: 100,
          interval: "1 minute",
          onExceeded: "fail",
          store: store.rateLimiter
        })
      })

    it.live("a command slower than commandTimeout is abandoned; Redis is tried again after the back-off", () =>
      Effect.gen(function*() {
        yield* untilConnected(client())
        const limiter = yield* failClosedLimiter(`slow${index}:`)
        expect(yield* limiter.tryAcquire()).toBe(true)
        const timeoutsBefore = yield* errorCount("timeout")
        // the server answers nobody for 600 ms: a slow server, not a dead one
        yield* client().send(["CLIENT", "PAUSE", "600", "ALL"])
        const [took, admitted] = yield* timed(limiter.tryAcquire())
        expect(admitted).toBe(false)
        expect(took).toBeGreaterThanOrEqual(95)
        expect(took).toBeLessThan(100 + SLACK)
        expect((yield* errorCount("timeout")) - timeoutsBefore).toBe(1)
        // within the back-off (10 × 100 ms) nothing is sent: answered at once
        const [tookAgain, again] = yield* timed(limiter.tryAcquire())
        expect(again).toBe(false)
        expect(tookAgain).toBeLessThan(SLACK)
        expect((yield* errorCount("timeout")) - timeoutsBefore).toBe(1)
        // the pause and the back-off are over: back on Redis
        yield* Effect.sleep("1100 millis")
        expect(yield* limiter.tryAcquire()).toBe(true)
      }).pipe(Effect.scoped, Effect.provide(Resilience.layer())))

    it.live("a caller interrupted while its command is in flight returns at once, and the command's timeout changes nothing", () =>
      Effect.gen(function*() {
        yield* untilConnected(client())
        const registry = yield* Resilience.Resilience
        const policyName = `redis:interrupted${index}:`
        const unavailable = yield* Effect.fork(
          Stream.runCollect(
            registry.events.pipe(
              Stream.filter((e) => e._tag === "StoreUnavailable" && e.policyName === policyName),
              Stream.take(1)
            )
          )
        )
        const limiter = yield* failClosedLimiter(`interrupted${index}:`)
        expect(yield* limiter.tryAcquire()).toBe(true)
        const errorsBefore = yield* allErrors
        // the server answers nobody for 400 ms: the command outlives its caller and its timeout
        yield* client().send(["CLIENT", "PAUSE", "400", "ALL"])
        const caller = yield* Effect.fork(limiter.tryAcquire())
        yield* Effect.sleep("30 millis")
        const [tookInterrupt] = yield* timed(Fiber.interrupt(caller))
        expect(tookInterrupt).toBeLessThan(SLACK)
        // past the command's timeout, and past the pause, when its late reply arrives
        yield* Effect.sleep("500 millis")
        // no error counted, no event, Redis not taken for down: a fail-closed store still admits
        expect((yield* allErrors) - errorsBefore).toBe(0)
        expect(yield* limiter.tryAcquire()).toBe(true)
        expect(Option.isNone(yield* Fiber.poll(unavailable))).toBe(true)
      }).pipe(Effect.scoped, Effect.provide(Resilience.layer())))
  }
)

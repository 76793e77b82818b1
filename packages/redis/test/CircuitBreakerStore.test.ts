/**
 * The circuit breaker store on Redis: the script decides exactly as the core's memory store
 * (a differential test over random operations, for each trip policy), and breakers in two
 * "processes" (two stores, two clients) share one state.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { names } from "./utils/clients.js"
import { useRedis } from "./utils/fixture.js"

/** the live clock, for real pauses while the test's breakers run on TestClock */
const realClock = Effect.runSync(Effect.clock)
const fixture = useRedis({ prefix: "cb:" })
const redisStore = fixture.store
const clients = { get: fixture.client }

const policies: ReadonlyArray<readonly [string, CircuitBreaker.TripPolicy]> = [
  ["consecutive", CircuitBreaker.consecutive(3)],
  ["failure rate over calls", CircuitBreaker.failureRate({ threshold: 0.5, minimumCalls: 4, window: { calls: 6 } })],
  [
    "failure rate over time, with slow calls",
    CircuitBreaker.failureRate({ threshold: 0.6, minimumCalls: 3, window: { duration: "1 second", buckets: 5 } })
      .withSlowCalls(0.5)
  ]
]

describe.each(names.map((name, index) => [name, index] as const))(
  "the Redis breaker script decides as the memory store (%s)",
  (name, index) => {
    it.each(policies)("%s", (policyName, trip) =>
      Effect.runPromise(
        Effect.gen(function*() {
          let seed = 777 + index
          const random = () => {
            seed = (seed * 1103515245 + 12345) % 2147483648
            return seed / 2147483648
          }
          const config: CircuitBreaker.Store.Config = {
            name: `diff-${index}-${policyName}`,
            generatedName: false,
            trip,
            halfOpenMaxCalls: 2,
            initialState: undefined
          }
          const redis = yield* redisStore(clients.get(name), { probeLease: 300 }).circuitBreaker(config)
          const memory = yield* CircuitBreaker.memoryStore({ probeLease: 300 })(config)
          const tickets: Array<readonly [CircuitBreaker.Store.Ticket, CircuitBreaker.Store.Ticket]> = []
          let now = 5_000
          const states = new Set<string>()
          for (let i = 0; i < 600; i++) {
            now += Math.floor(random() * 120)
            const r = random()
            const label = `step ${i} at ${now}`
            if (r < 0.45) {
              const [a, b] = [yield* redis.admit(now), yield* memory.admit(now)]
              expect(a, label).toEqual(b)
              if (a._tag === "Admitted" && b._tag === "Admitted") tickets.push([a, b])
            } else if (r < 0.85 && tickets.length > 0) {
              const [a, b] = tickets.splice(Math.floor(random() * tickets.length), 1)[0]
              const outcome = random() < 0.5 ? "failure" : random() < 0.9 ? "success" : "ignored"
              const slow = random() < 0.3
              expect(yield* redis.record(a, outcome, slow, now, 1000), label).toEqual(
                yield* memory.record(b, outcome, slow, now, 1000)
              )
            } else if (r < 0.88) {
              expect(yield* redis.trip(now, 700), label).toEqual(yield* memory.trip(now, 700))
            } else if (r < 0.93) {
              expect(yield* redis.reset(now), label).toEqual(yield* memory.reset(now))
            } else if (r < 0.935) {
              expect(yield* redis.isolate(now), label).toEqual(yield* memory.isolate(now))
            } else {
              expect(yield* redis.observe(now), label).toEqual(yield* memory.observe(now))
            }
            if (i % 20 === 0) expect(yield* redis.snapshot(now), label).toEqual(yield* memory.snapshot(now))
            states.add((yield* memory.observe(now)).state)
            yield* redis.observe(now)
          }
          // the walk went through every state
          expect([...states].sort()).toEqual(["Closed", "HalfOpen", "Isolated", "Open"])
        }).pipe(Effect.scoped)
      ))
  }
)

const failing = Effect.fail("boom")

describe("breakers in two processes share one state", () => {
  const twoBreakers = (name: string, options: Partial<CircuitBreaker.CircuitBreaker.Options> = {}) =>
    Effect.all(
      [clients.get("node-redis"), clients.get("ioredis")].map((client) =>
        CircuitBreaker.make({
          name,
          trip: CircuitBreaker.consecutive(2),
          breakDuration: "10 seconds",
          halfOpenMaxCalls: 2,
          ...options,
          store: redisStore(client, { probeLease: "5 seconds" }).circuitBreaker
        })
      )
    )

  it.scoped("one opens it and the other rejects; at most halfOpenMaxCalls probes across both", () =>
    Effect.gen(function*() {
      const [a, b] = yield* twoBreakers("shared")
      yield* Effect.exit(a.protect(failing))
      yield* Effect.exit(b.protect(failing))
      expect(yield* a.state).toBe("Open")
      const rejected = yield* Effect.exit(b.protect(Effect.succeed(1)))
      const error = Exit.isFailure(rejected) ? Option.getOrThrow(Cause.failureOption(rejected.cause)) : undefined
      expect(error).toMatchObject({ _tag: "CircuitBreakerOpen", state: "Open", policyName: "shared" })

      yield* TestClock.adjust("10 seconds")
      // probes that hang: two take the two slots, whichever process they run in
      const gate = yield* Deferred.make<void>()
      const probes = yield* Effect.forEach(
        [a, b, a, b],
        (breaker) => Effect.fork(Effect.exit(breaker.protect(Deferred.await(gate))))
      )
      yield* Effect.sleep("200 millis").pipe(Effect.withClock(realClock))
      const rejectedProbes = (yield* Effect.forEach(probes, (f) => f.poll)).filter(Option.isSome)
      expect(rejectedProbes.length).toBe(2)
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(probes, Fiber.join)
      expect(yield* a.state).toBe("Closed")
      expect(yield* b.state).toBe("Closed")
    }))

  it.scoped("an expired lease frees a crashed holder's probe; a stale generation's outcome is dropped", () =>
    Effect.gen(function*() {
      const [a, b] = yield* twoBreakers("leases", { halfOpenMaxCalls: 1 })
      yield* a.trip
      yield* TestClock.adjust("10 seconds")
      // a probe that never ends: its process "crashed"
      const gate = yield* Deferred.make<void>()
      const crashed = yield* Effect.fork(a.protect(Deferred.await(gate)))
      yield* Effect.sleep("100 millis").pipe(Effect.withClock(realClock))
      expect(Exit.isFailure(yield* Effect.exit(b.protect(Effect.void)))).toBe(true)
      yield* TestClock.adjust("5 seconds")
      // the lease expired: another probe runs and closes the breaker
      yield* b.protect(Effect.void)
      expect(yield* b.state).toBe("Closed")
      // the late probe's failure belongs to an older generation: dropped
      yield* Fiber.interrupt(crashed)
      yield* Effect.exit(a.protect(failing))
      expect(yield* a.state).toBe("Closed")
      yield* Effect.exit(a.protect(failing))
      expect(yield* a.state).toBe("Open")
    }))

  it.scoped("an unnamed breaker on Redis dies with ResilienceConfigError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        CircuitBreaker.make({ store: redisStore(clients.get("node-redis")).circuitBreaker })
      )
      expect(Exit.isFailure(exit) && Option.getOrThrow(Cause.dieOption(exit.cause))).toBeInstanceOf(
        ResilienceConfigError
      )
    }))

  it.scoped("time \"redis\": a time window's initial counts and its snapshot are moved between the clocks", () =>
    Effect.gen(function*() {
      // the breakers run on TestClock (now: 0), the server's clock is today: decades apart
      const trip = CircuitBreaker.failureRate({
        threshold: 0.5,
        minimumCalls: 4,
        window: { duration: "10 seconds", buckets: 10 }
      })
      const store = redisStore(clients.get("node-redis"), { prefix: "cbframe:", time: "redis" })
      // 3 calls, 2 failed, in the current bucket of the caller's clock
      const initialState: CircuitBreaker.Snapshot = {
        state: "Closed",
        openedAt: 0,
        breakMillis: 0,
        halfOpenSuccesses: 0,
        counts: { bucketMillis: 1000, buckets: [[0, 3, 2, 0]] }
      }
      // restored at four points of the server's second, 250 ms of real time apart: wherever the
      // server's clock stands within its bucket, the restored counts count now
      for (let i = 0; i < 4; i++) {
        if (i > 0) yield* Effect.sleep("250 millis").pipe(Effect.withClock(realClock))
        const restored = yield* CircuitBreaker.make({
          name: `frame-${i}`,
          trip,
          initialState,
          store: store.circuitBreaker
        })
        // back in the caller's frame: the same bucket, or at most one older
        const counts = (yield* restored.snapshot).counts as { readonly buckets: ReadonlyArray<ReadonlyArray<number>> }
        expect(counts.buckets).toHaveLength(1)
        expect([-1, 0]).toContain(counts.buckets[0][0])
        expect(counts.buckets[0].slice(1)).toEqual([3, 2, 0])
        // the 4th call, a failure: 3 of 4 failed, counted with the restored ones
        yield* Effect.exit(restored.protect(Effect.fail("boom")))
        expect(yield* restored.state).toBe("Open")
      }
    }))

  it.scoped("keys: a hash and a lease set in one hash slot, expiring when idle; Isolated never expires", () =>
    Effect.gen(function*() {
      const client = clients.get("node-redis")
      const breaker = yield* CircuitBreaker.make({
        name: "keys",
        store: redisStore(client, { prefix: "cbkeys:", idleTimeToLive: "1 minute" }).circuitBreaker
      })
      yield* breaker.protect(Effect.void)
      const ttl = Number(yield* client.send(["PTTL", "cbkeys:breaker:{keys}"]))
      expect(ttl).toBeGreaterThan(50_000)
      expect(ttl).toBeLessThanOrEqual(60_000)
      yield* breaker.isolate
      expect(Number(yield* client.send(["PTTL", "cbkeys:breaker:{keys}"]))).toBe(-1)
    }))
})

import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import { describe, expect, it } from "vitest"
import { Keys } from "../src/internal/keyed.js"
import { ManualClock } from "./utils/clock.js"

const KEYS = ["k0", "k1", "k2", "k3", "k4", "k5"]
const key = FastCheck.constantFrom(...KEYS)

describe("keyed instances: properties", () => {
  it("Keys: pinned keys are never forgotten; the map holds at most max(maxKeys, pinned + 1) keys", () => {
    const op = FastCheck.oneof(
      FastCheck.record({ op: FastCheck.constant("use" as const), key }),
      FastCheck.record({ op: FastCheck.constant("pin" as const), key }),
      FastCheck.record({ op: FastCheck.constant("release" as const), key, fresh: FastCheck.boolean() }),
      FastCheck.record({ op: FastCheck.constant("used" as const), key }),
      FastCheck.record({ op: FastCheck.constant("advance" as const), millis: FastCheck.integer({ min: 0, max: 50 }) })
    )
    FastCheck.assert(
      FastCheck.property(
        FastCheck.integer({ min: 1, max: 4 }),
        FastCheck.option(FastCheck.integer({ min: 1, max: 100 }), { nil: undefined }),
        FastCheck.array(op, { maxLength: 60 }),
        (maxKeys, idleTimeout, ops) => {
          const forgotten = new Set<unknown>()
          const keys = new Keys<string>({ maxKeys, idleTimeout }, (slot) => {
            forgotten.add(slot)
          })
          let now = 0
          // what the instances said: pinned slots must stay
          const pinned = new Set<unknown>()
          for (const step of ops) {
            if (step.op === "advance") {
              now += step.millis
              keys.advance(now)
            } else {
              let slot = keys.lookup(step.key, now)
              if (slot === undefined) {
                slot = keys.insert(step.key, now)
                slot.instance = step.key
                slot.creating = undefined
                slot.release(true)
              }
              if (step.op === "pin") {
                slot.pin()
                pinned.add(slot)
              } else if (step.op === "release") {
                slot.release(step.fresh)
                pinned.delete(slot)
              } else if (step.op === "used") {
                slot.used()
              }
            }
            for (const slot of pinned) expect(forgotten.has(slot)).toBe(false)
            const held = Array.from(keys.slots.values())
            expect(keys.slots.size).toBeLessThanOrEqual(Math.max(maxKeys, pinned.size + 1))
            expect(keys.fresh.size + keys.kept.size + pinned.size).toBe(keys.slots.size)
            for (const slot of held) {
              expect(forgotten.has(slot)).toBe(false)
              if (idleTimeout !== undefined && !pinned.has(slot)) {
                expect(slot.lastAccess).toBeGreaterThan(keys.now - idleTimeout)
              }
            }
          }
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("CircuitBreaker.keyed: never forgets a breaker that is not Closed; size bounded by the Closed ones", () => {
    const op = FastCheck.oneof(
      FastCheck.record({
        op: FastCheck.constantFrom<"success" | "failure" | "trip" | "isolate" | "reset">(
          "success",
          "failure",
          "trip",
          "isolate",
          "reset"
        ),
        key
      }),
      FastCheck.record({ op: FastCheck.constant("advance" as const), millis: FastCheck.integer({ min: 0, max: 300 }) })
    )
    FastCheck.assert(
      FastCheck.property(
        FastCheck.integer({ min: 1, max: 4 }),
        FastCheck.array(op, { maxLength: 60 }),
        (maxKeys, ops) => {
          const clock = new ManualClock()
          const program = Effect.gen(function*() {
            const perKey = yield* CircuitBreaker.keyed({
              trip: CircuitBreaker.consecutive(2),
              breakDuration: "100 millis",
              maxKeys,
              idleTimeout: "1 second"
            })
            const seen = new Map<string, CircuitBreaker.CircuitBreaker>()
            for (const step of ops) {
              if (step.op === "advance") {
                clock.now += step.millis
              } else if (step.op === "success" || step.op === "failure") {
                const call = step.op === "success" ? Effect.void : Effect.fail("x")
                yield* call.pipe(perKey.protect(step.key), Effect.ignore)
                seen.set(step.key, yield* perKey.get(step.key))
              } else {
                const breaker = yield* perKey.get(step.key)
                seen.set(step.key, breaker)
                yield* breaker[step.op]
              }
              let notClosed = 0
              for (const [k, breaker] of seen) {
                if ((yield* breaker.state) === "Closed") continue
                notClosed++
                expect(yield* perKey.get(k)).toBe(breaker)
              }
              expect(yield* perKey.size).toBeLessThanOrEqual(Math.max(maxKeys, notClosed + 1))
            }
          }).pipe(Effect.scoped, Effect.withClock(clock))
          Effect.runSync(program)
        }
      ),
      { numRuns: 500 }
    )
  })

  it("Bulkhead.keyed: never forgets a busy bulkhead; interruption leaks no slot", async () => {
    const op = FastCheck.oneof(
      FastCheck.record({ op: FastCheck.constant("start" as const), key }),
      FastCheck.record({
        op: FastCheck.constantFrom<"finish" | "interrupt">("finish", "interrupt"),
        index: FastCheck.nat(20)
      })
    )
    await FastCheck.assert(
      FastCheck.asyncProperty(
        FastCheck.integer({ min: 1, max: 4 }),
        FastCheck.array(op, { maxLength: 40 }),
        async (maxKeys, ops) => {
          const program = Effect.gen(function*() {
            const perKey = yield* Bulkhead.keyed({ maxConcurrent: 1, maxQueue: 2, maxKeys })
            const calls: Array<
              { readonly gate: Deferred.Deferred<void>; readonly fiber: Fiber.RuntimeFiber<void, unknown> }
            > = []
            const seen = new Map<string, Bulkhead.Bulkhead>()
            for (const step of ops) {
              if (step.op === "start") {
                const gate = yield* Deferred.make<void>()
                const fiber = yield* Effect.fork(Deferred.await(gate).pipe(perKey.protect(step.key)))
                calls.push({ gate, fiber })
                seen.set(step.key, yield* perKey.get(step.key))
              } else if (calls.length > 0) {
                const call = calls[step.index % calls.length]
                if (step.op === "finish") yield* Deferred.succeed(call.gate, undefined)
                else yield* Fiber.interrupt(call.fiber)
              }
              yield* Effect.repeatN(Effect.yieldNow(), 5)
              let busy = 0
              for (const [k, bulkhead] of seen) {
                const stats = yield* bulkhead.stats
                if (stats.active === 0 && stats.queued === 0) continue
                busy++
                expect(yield* perKey.get(k)).toBe(bulkhead)
              }
              expect(yield* perKey.size).toBeLessThanOrEqual(Math.max(maxKeys, busy + 1))
            }
            // every call ends one way or the other: nothing is left holding a permit
            for (const call of calls) yield* Fiber.interrupt(call.fiber)
            for (const bulkhead of seen.values()) {
              expect(yield* bulkhead.stats).toMatchObject({ active: 0, queued: 0 })
            }
          }).pipe(Effect.scoped)
          await Effect.runPromise(program)
        }
      ),
      { numRuns: 200 }
    )
  })
})

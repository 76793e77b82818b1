/**
 * The Redis `CircuitBreaker.Store`: each operation is one `EVALSHA` of the breaker script on
 * the breaker's hash and its lease set. While Redis is unavailable, operations follow
 * `onUnavailable` (see `health.ts`); a call admitted then carries a ticket marked as such, and
 * its outcome is recorded where it was admitted (the local store, or nowhere), never in Redis,
 * so generations never mix.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { script } from "./circuitBreakerScript.js"
import type { Health } from "./health.js"
import type { Settings } from "./options.js"

type Store = CircuitBreaker.Store
type State = CircuitBreaker.State
type Admission = CircuitBreaker.Store.Admission
type Result = CircuitBreaker.Store.Result
type Transition = CircuitBreaker.Transition

/** Marks a ticket handed out while Redis was unavailable. */
const UNAVAILABLE: unique symbol = Symbol.for("@effect-resilience/redis/UnavailableTicket")

const policyArgs = (trip: CircuitBreaker.TripPolicy): ReadonlyArray<string> => {
  if (trip._tag === "Consecutive") {
    return ["consecutive", String((trip as CircuitBreaker.ConsecutivePolicy).failures), "0", "1", "", "0"]
  }
  const rate = trip as CircuitBreaker.FailureRatePolicy
  const slow = rate.slowCallRate === undefined ? "" : String(rate.slowCallRate)
  const common = [String(rate.minimumCalls), String(rate.threshold), slow]
  if ("calls" in rate.window) return ["calls", String(rate.window.calls), ...common, "0"]
  const buckets = rate.window.buckets ?? 10
  // as the memory counter computes it: the window's millis over the buckets
  const counter = rate.make().toJSON() as { readonly bucketMillis: number }
  return ["duration", String(buckets), ...common, String(counter.bucketMillis)]
}

/**
 * A time window's buckets are numbered on the clock that decided (`floor(t / bucketMillis)`):
 * from the server's clock to the caller's, each to the bucket holding its start (never a later
 * one, which the caller's counter would not count yet), as the script does the other
 * way for an initial state. Other counts hold no instants.
 */
const toCallerFrame = (counts: unknown, shift: number): unknown => {
  const window = counts as { readonly bucketMillis?: number; readonly buckets?: ReadonlyArray<ReadonlyArray<number>> }
  if (shift === 0 || window.bucketMillis === undefined || window.buckets === undefined) return counts
  const offset = Math.floor(shift / window.bucketMillis)
  return {
    bucketMillis: window.bucketMillis,
    buckets: window.buckets.map(([epoch, ...rest]) => [epoch + offset, ...rest])
  }
}

interface Reply {
  readonly now: number
  readonly before: State
  readonly state: State
  readonly opened: boolean
  readonly transitions: ReadonlyArray<Transition>
  readonly extra: ReadonlyArray<string>
}

/** @internal */
export const make = (settings: Settings, health: Health): CircuitBreaker.Store.Factory => (config) =>
  open(settings, health, config)

const open = (
  settings: Settings,
  health: Health,
  config: CircuitBreaker.Store.Config
): Effect.Effect<Store, never, Scope.Scope> =>
  Effect.gen(function*() {
    if (config.generatedName) {
      return yield* Effect.die(
        new ResilienceConfigError({
          option: "name",
          rule: "must be given for a circuit breaker on Redis (a generated name cannot be shared by processes)",
          value: config.name
        })
      )
    }
    const name = config.name
    const keys = [`${settings.prefix}breaker:{${name}}`, `${settings.prefix}breaker:{${name}}:leases`]
    const fixed = [
      String(config.halfOpenMaxCalls),
      String(settings.probeLeaseMillis),
      String(settings.idleTimeToLiveMillis),
      ...policyArgs(config.trip)
    ]
    const initial = config.initialState === undefined ? "" : JSON.stringify(config.initialState)
    const local = settings.onUnavailable === "local"
      ? yield* CircuitBreaker.memoryStore({ probeLease: settings.probeLeaseMillis })(config)
      : undefined
    /** the state this process saw last: transitions made elsewhere are reported from it */
    let seen: State = config.initialState?.state ?? "Closed"

    /**
     * Runs operation `op` on Redis and answers with `answer` of its reply, or, while Redis is
     * unavailable, with `fallback`.
     */
    const call = <A>(
      now: number,
      op: string,
      answer: (reply: Reply) => A,
      fallback: () => Effect.Effect<A>,
      rest: ReadonlyArray<string> = ["0", "0", "0", "", "0"]
    ): Effect.Effect<A> =>
      health.call(
        script,
        keys,
        [String(now), settings.time === "redis" ? "1" : "0", op, ...fixed, ...rest, initial],
        (raw) => answer(parse(raw as ReadonlyArray<string>, now)),
        fallback
      )

    const parse = (raw: ReadonlyArray<string>, callerNow: number): Reply => {
      const serverNow = Number(raw[0])
      const shift = callerNow - serverNow
      const count = Number(raw[4])
      const transitions: Array<Transition> = []
      const before = raw[1] as State
      const observed = raw[2] as State
      // seen elsewhere: one transition from what this process saw to what it finds
      if (before !== seen) transitions.push({ name, from: seen, to: before, at: callerNow })
      for (let i = 0; i < count; i++) {
        const at = 5 + i * 3
        transitions.push({ name, from: raw[at] as State, to: raw[at + 1] as State, at: Number(raw[at + 2]) + shift })
      }
      return {
        now: serverNow,
        before,
        state: observed,
        opened: raw[3] === "1",
        transitions,
        extra: raw.slice(5 + count * 3)
      }
    }

    const toResult = (reply: Reply): Result => {
      seen = reply.state
      return { state: reply.state, transitions: reply.transitions, opened: reply.opened }
    }

    const unavailableState: State = settings.onUnavailable === "fail-closed" ? "Open" : "Closed"
    const unavailable = (fromLocal: (store: Store) => Effect.Effect<Result>) => (): Effect.Effect<Result> =>
      local !== undefined
        ? fromLocal(local)
        : Effect.succeed({ state: unavailableState, transitions: [], opened: false })

    const store: Store = {
      admit: (now) =>
        call(
          now,
          "admit",
          (reply): Admission => {
            const result = toResult(reply)
            const [verdict, generation, lease, rejected, retryAfter] = reply.extra
            return verdict === "Admitted"
              ? {
                _tag: "Admitted",
                generation: Number(generation),
                lease: Number(lease),
                transitions: result.transitions
              }
              : {
                _tag: "Rejected",
                state: rejected as "Open" | "HalfOpen" | "Isolated",
                retryAfterMillis: Number(retryAfter),
                transitions: result.transitions
              }
          },
          (): Effect.Effect<Admission> => {
            if (local !== undefined) {
              return Effect.map(local.admit(now), (a) => a._tag === "Admitted" ? { ...a, [UNAVAILABLE]: true } : a)
            }
            if (settings.onUnavailable === "fail-open") {
              return Effect.succeed({
                _tag: "Admitted",
                generation: -1,
                lease: 0,
                transitions: [],
                [UNAVAILABLE]: true
              })
            }
            return Effect.sync(() => ({
              _tag: "Rejected",
              state: "Open",
              retryAfterMillis: Math.max(health.retryAfterMillis(), 1),
              transitions: []
            }))
          }
        ),
      record: (ticket, outcome, slow, now, breakMillis) => {
        if (UNAVAILABLE in ticket) {
          return local !== undefined
            ? local.record(ticket, outcome, slow, now, breakMillis)
            : Effect.succeed({ state: unavailableState, transitions: [], opened: false })
        }
        return call(
          now,
          "record",
          toResult,
          // admitted on Redis: its outcome is lost with the outage, never recorded locally
          () =>
            Effect.succeed({ state: local === undefined ? unavailableState : seen, transitions: [], opened: false }),
          [String(breakMillis), String(ticket.generation), String(ticket.lease), outcome, slow ? "1" : "0"]
        )
      },
      observe: (now) => call(now, "observe", toResult, unavailable((s) => s.observe(now))),
      trip: (now, breakMillis) =>
        call(now, "trip", toResult, unavailable((s) => s.trip(now, breakMillis)), [
          String(breakMillis),
          "0",
          "0",
          "",
          "0"
        ]),
      isolate: (now) => call(now, "isolate", toResult, unavailable((s) => s.isolate(now))),
      reset: (now) => call(now, "reset", toResult, unavailable((s) => s.reset(now))),
      snapshot: (now) =>
        call(
          now,
          "snapshot",
          (reply): CircuitBreaker.Snapshot => {
            const [openedAt, breakOf, successes, counts] = reply.extra
            const shift = now - reply.now
            return {
              state: reply.state,
              openedAt: Number(openedAt) + shift,
              breakMillis: Number(breakOf),
              halfOpenSuccesses: Number(successes),
              counts: toCallerFrame(JSON.parse(counts), shift)
            }
          },
          () =>
            local !== undefined
              ? local.snapshot(now)
              : Effect.succeed({
                state: unavailableState,
                openedAt: now,
                breakMillis: 0,
                halfOpenSuccesses: 0,
                counts: {}
              })
        )
    }
    return store
  })

/**
 * The Redis `RateLimiterStore`: each `take` and `snapshot` is one `EVALSHA` of the algorithm's
 * script on one key, `<prefix>limiter:<algorithm>:<name>:<key>`. While Redis is unavailable,
 * decisions follow `onUnavailable` (see `health.ts`).
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Health } from "./health.js"
import type { Settings } from "./options.js"
import { scripts } from "./rateLimiterScripts.js"

type Spec = RateLimiter.RateLimiterStore.Spec
type Handle = RateLimiter.RateLimiterStore.Handle
type Decision = RateLimiter.RateLimiterStore.Decision
type Snapshot = RateLimiter.RateLimiterStore.Snapshot

const capacity = (spec: Spec): number => spec.algorithm === "token-bucket" ? spec.burst : spec.limit

/** A `take` reply: `{ allowed, remaining, retryAfter, resetAfter }`, a fraction as a string. */
const toDecision = (reply: unknown): Decision => {
  const [allowed, remaining, retryAfter, resetAfter] = reply as [number, number, number | string, number | string]
  return {
    allowed: Number(allowed) === 1,
    remaining: Number(remaining),
    retryAfterMillis: Number(retryAfter),
    resetAfterMillis: Number(resetAfter)
  }
}

/** A `snapshot` reply `{ now, ...state }`, its instants shifted into the caller's frame. */
const toSnapshot = (spec: Spec, reply: unknown, now: number, serverTime: boolean): Snapshot => {
  const values = (reply as ReadonlyArray<string>).map(Number)
  const shift = serverTime ? now - values[0] : 0
  switch (spec.algorithm) {
    case "token-bucket":
      return { algorithm: "token-bucket", tokens: values[1], at: values[2] + shift }
    case "fixed-window":
      return { algorithm: "fixed-window", windowStart: values[1] + shift, count: values[2] }
    case "sliding-window": {
      const admissions: Array<readonly [number, number]> = []
      for (let i = 1; i + 1 < values.length; i += 2) admissions.push([values[i] + shift, values[i + 1]])
      return { algorithm: "sliding-window", admissions }
    }
  }
}

/** What a `"fail-closed"` store reports while Redis is down: nothing available. */
const exhausted = (spec: Spec, now: number): Snapshot => {
  switch (spec.algorithm) {
    case "token-bucket":
      return { algorithm: "token-bucket", tokens: 0, at: now }
    case "fixed-window":
      return { algorithm: "fixed-window", windowStart: now, count: spec.limit }
    case "sliding-window":
      return { algorithm: "sliding-window", admissions: [[now, spec.limit]] }
  }
}

const fresh = (spec: Spec, now: number): Snapshot => {
  switch (spec.algorithm) {
    case "token-bucket":
      return { algorithm: "token-bucket", tokens: spec.burst, at: now }
    case "fixed-window":
      return { algorithm: "fixed-window", windowStart: now, count: 0 }
    case "sliding-window":
      return { algorithm: "sliding-window", admissions: [] }
  }
}

/** @internal */
export const make = (
  settings: Settings,
  health: Health
): RateLimiter.RateLimiterStore => ({
  open: (spec) => open(settings, health, spec)
})

const open = (
  settings: Settings,
  health: Health,
  spec: Spec
): Effect.Effect<Handle, never, Scope.Scope> =>
  Effect.gen(function*() {
    if (spec.generatedName) {
      // a generated name is this process's own: other processes could never share the state
      return yield* Effect.die(
        new ResilienceConfigError({
          option: "name",
          rule: "must be given for a limiter on Redis (a generated name cannot be shared by processes)",
          value: spec.name
        })
      )
    }
    const script = scripts[spec.algorithm]
    const serverTime = settings.time === "redis"
    const keyOf = (key: string) => `${settings.prefix}limiter:${spec.algorithm}:${spec.name}:${key}`
    const [limit, interval, burst] = [String(spec.limit), String(spec.intervalMillis), String(spec.burst)]
    const args = (now: number, permits: string) => [serverTime ? "" : String(now), limit, interval, burst, permits]

    // `"local"`: an in-memory limiter with this process's share of the limit
    const local = settings.onUnavailable === "local"
      ? yield* RateLimiter.memoryStore().open({
        ...spec,
        limit: Math.ceil(spec.limit / settings.localShare),
        burst: Math.ceil(spec.burst / settings.localShare)
      })
      : undefined

    // a request above the local share takes the whole share, rather than waiting for ever
    const localCapacity = Math.ceil(capacity(spec) / settings.localShare)
    const unavailableTake = (key: string, permits: number, now: number): Effect.Effect<Decision> => {
      if (local !== undefined) return local.take(key, Math.min(permits, localCapacity), now)
      if (settings.onUnavailable === "fail-open") {
        return Effect.succeed({ allowed: true, remaining: capacity(spec), retryAfterMillis: 0, resetAfterMillis: 0 })
      }
      return Effect.sync(() => {
        // never 0: a refusal always has a retryAfter
        const retry = Math.max(health.retryAfterMillis(), 1)
        return { allowed: permits === 0, remaining: 0, retryAfterMillis: retry, resetAfterMillis: retry }
      })
    }

    const unavailableSnapshot = (key: string, now: number): Effect.Effect<Snapshot> => {
      if (local !== undefined) return local.snapshot(key, now)
      return Effect.succeed(settings.onUnavailable === "fail-open" ? fresh(spec, now) : exhausted(spec, now))
    }

    const handle: Handle = {
      take: (key, permits, now) =>
        health.call(
          script,
          [keyOf(key)],
          args(now, String(permits)),
          toDecision,
          () => unavailableTake(key, permits, now)
        ),
      snapshot: (key, now) =>
        health.call(
          script,
          [keyOf(key)],
          args(now, "snapshot"),
          (reply) => toSnapshot(spec, reply, now, serverTime),
          () => unavailableSnapshot(key, now)
        ),
      // another process may be using the key: it expires instead
      delete: () => Effect.void
    }
    return handle
  })

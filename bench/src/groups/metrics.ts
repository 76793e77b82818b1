/**
 * The cost of observability: each of our policies in-fiber without and with `Resilience.layer()`
 * (metrics on, events published to a hub nobody reads, span annotations with no span). A
 * stateful policy made under the layer reports to it; a combinator reports when it runs under it.
 */
import type * as Effect from "effect/Effect"
import { build, buildObserved, call, type Group, inFiber, TARGET_ROUNDS } from "../harness.js"
import { oursConsecutive } from "./breaker.js"
import { oursBulkhead } from "./bulkhead.js"
import { fallbackOurs } from "./fallback.js"
import { oursLimiter } from "./limiter.js"
import { retryOurs } from "./retry.js"
import { oursStack } from "./stack.js"
import { hedgeOurs, timeoutOurs } from "./timeout.js"

export const WITHOUT = " without metrics"
export const WITH = " with metrics"

/** The policies compared, by name: how to build one without and one with metrics. */
const policies: ReadonlyArray<{
  readonly name: string
  readonly make: (observe: boolean) => Effect.Effect<unknown, unknown>
}> = [
  {
    name: "CircuitBreaker",
    make: (observe) => (observe ? buildObserved : build)(oursConsecutive()).protect(call)
  },
  { name: "Bulkhead", make: (observe) => (observe ? buildObserved : build)(oursBulkhead()).protect(call) },
  {
    name: "RateLimiter",
    make: (observe) => (observe ? buildObserved : build)(oursLimiter("token-bucket")).protect(call)
  },
  { name: "Retry", make: () => call.pipe(retryOurs) },
  { name: "Timeout", make: () => call.pipe(timeoutOurs) },
  { name: "Hedge", make: () => call.pipe(hedgeOurs) },
  { name: "Fallback", make: () => call.pipe(fallbackOurs) }
]

/** How many policies a row holds: the 4-policy stack's extra cost is spread over four. */
export const policyCount = (name: string): number => name.startsWith("4-policy stack") ? 4 : 1

export const metricsPolicies: ReadonlyArray<string> = [...policies.map((p) => p.name), "4-policy stack"]

const rows = (selected: ReadonlyArray<(typeof policies)[number]>) =>
  selected.flatMap((policy) => [
    { name: policy.name + WITHOUT, kind: "ours" as const, run: inFiber(policy.make(false)) },
    { name: policy.name + WITH, kind: "ours" as const, run: inFiber(policy.make(true), { metrics: true }) }
  ])

const forking = new Set(["Timeout", "Hedge"])

export const groups: ReadonlyArray<Group> = [
  {
    id: "metrics-fiber",
    rounds: TARGET_ROUNDS,
    title: "Metrics and events off vs on (ours), success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      ...rows(policies.filter((p) => !forking.has(p.name)))
    ]
  },
  {
    // A call that forks costs 10–15 µs with ±1 µs of noise (allocation and GC of a fiber), so the
    // 0.3 µs sought needs more rounds: the difference is the median of 16 paired rounds.
    id: "metrics-fork-fiber",
    title: "Metrics and events off vs on (ours), policies that fork a fiber per call, success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    rounds: 16,
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      ...rows(policies.filter((p) => forking.has(p.name))),
      { name: "4-policy stack" + WITHOUT, kind: "ours", run: inFiber(oursStack()(call)) },
      {
        name: "4-policy stack" + WITH,
        kind: "ours",
        run: inFiber(oursStack(buildObserved)(call), { metrics: true })
      }
    ]
  }
]

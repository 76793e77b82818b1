/**
 * The 4-policy stack, outermost first: bulkhead → circuit breaker → retry → timeout. Ours with
 * `Policy.wrap`, cockatiel's `wrap` of the same four, and the same stack in plain Effect
 * (`Semaphore.withPermits` → `Effect.retry` → `Effect.timeout`: Effect 3 has no breaker).
 */
import * as Policy from "@effect-resilience/core/Policy"
import { wrap } from "cockatiel"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { build, call, fn, type Group, inFiber, perCall, settings } from "../harness.js"
import { cockatielConsecutive, oursConsecutive } from "./breaker.js"
import { cockatielBulkhead, oursBulkhead, semaphore } from "./bulkhead.js"
import { cockatielRetry, effectSchedule, retryOurs } from "./retry.js"
import { cockatielTimeout, FORK_JOIN, timeoutOurs } from "./timeout.js"

/** `make` builds the bulkhead and the breaker: `buildObserved` for the rows with metrics */
export const oursStack = (make: typeof build = build) =>
  Policy.wrap(make(oursBulkhead()).protect, make(oursConsecutive()).protect, retryOurs, timeoutOurs)

const ours = oursStack()(call)
/** the same stack without its timeout: what the three policies that do not fork cost together */
const oursWithoutTimeout = Policy.wrap(build(oursBulkhead()).protect, build(oursConsecutive()).protect, retryOurs)(call)
const plainEffect = call.pipe(
  Effect.timeout(`${settings.timeoutMillis} millis`),
  Effect.retry(effectSchedule),
  semaphore().withPermits(1)
)
const cockatiel = wrap(cockatielBulkhead(), cockatielConsecutive(), cockatielRetry(), cockatielTimeout())

export const groups: ReadonlyArray<Group> = [
  {
    id: "stack",
    title: "4-policy stack (bulkhead → breaker → retry → timeout), success path, per call",
    mode: "runPromise",
    floor: "Effect.promise(fn)",
    note: "The plain-Effect stack has three policies: Effect 3 has no circuit breaker.",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: perCall(call) },
      { name: "Policy.wrap of 4 (ours)", kind: "ours", run: perCall(ours) },
      { name: "plain Effect: Semaphore + retry + timeout", kind: "effect", run: perCall(plainEffect) },
      { name: "cockatiel wrap of 4", kind: "peer", run: () => cockatiel.execute(fn) }
    ]
  },
  {
    id: "stack-fiber",
    title: "4-policy stack (bulkhead → breaker → retry → timeout), success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      { name: "Policy.wrap of 4 (ours)", kind: "ours", run: inFiber(ours) },
      { name: "plain Effect: Semaphore + retry + timeout", kind: "effect", run: inFiber(plainEffect) },
      { name: "Policy.wrap of 3, no timeout (ours)", kind: "reference", run: inFiber(oursWithoutTimeout) },
      { name: FORK_JOIN, kind: "reference", run: inFiber(Effect.flatMap(Effect.fork(call), Fiber.join)) }
    ]
  }
]

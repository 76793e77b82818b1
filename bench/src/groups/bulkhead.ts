/**
 * Bulkheads on the success path (one call at a time, so nobody queues): ours against Effect's
 * `Semaphore.withPermits`, cockatiel's `bulkhead`, p-limit and bottleneck, each allowing 100 at
 * once with an unbounded queue.
 */
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import Bottleneck from "bottleneck"
import { bulkhead } from "cockatiel"
import * as Effect from "effect/Effect"
import pLimit from "p-limit"
import { build, call, disposeAtExit, fn, type Group, inFiber, perCall, settings, TARGET_ROUNDS } from "../harness.js"

export const oursBulkhead = () => Bulkhead.make({ maxConcurrent: settings.maxConcurrent, maxQueue: Infinity })
export const semaphore = () => Effect.runSync(Effect.makeSemaphore(settings.maxConcurrent))
export const cockatielBulkhead = () => bulkhead(settings.maxConcurrent, Infinity)
export const bottleneckBulkhead = () => new Bottleneck({ maxConcurrent: settings.maxConcurrent })

const ours = build(oursBulkhead())
const withPermits = semaphore().withPermits(1)
const cockatiel = cockatielBulkhead()
const limit = pLimit(settings.maxConcurrent)
const bottleneck = disposeAtExit(bottleneckBulkhead(), (limiter) => limiter.disconnect())

export const groups: ReadonlyArray<Group> = [
  {
    id: "bulkhead",
    title: "Bulkhead (limit 100), success path, per call",
    mode: "runPromise",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: perCall(call) },
      { name: "Bulkhead (ours)", kind: "ours", run: perCall(ours.protect(call)) },
      { name: "Semaphore.withPermits(1)", kind: "effect", run: perCall(withPermits(call)) },
      { name: "cockatiel bulkhead", kind: "peer", run: () => cockatiel.execute(fn) },
      { name: "p-limit", kind: "peer", run: () => limit(fn) },
      { name: "bottleneck maxConcurrent", kind: "peer", run: () => bottleneck.schedule(fn) }
    ]
  },
  {
    id: "bulkhead-fiber",
    rounds: TARGET_ROUNDS,
    title: "Bulkhead (limit 100), success path, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      { name: "Bulkhead (ours)", kind: "ours", run: inFiber(ours.protect(call)) },
      { name: "Semaphore.withPermits(1)", kind: "effect", run: inFiber(withPermits(call)) }
    ]
  }
]

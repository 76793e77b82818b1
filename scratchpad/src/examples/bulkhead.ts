/**
 * Bulkhead: at most `maxConcurrent` calls run, up to `maxQueue` wait in FIFO order, the rest are
 * rejected at once; waiters give up after `queueTimeout`; `close` drains gracefully.
 */
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Timeline from "../timeline.js"

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make

  /** A request that arrives after `arrival` ms and takes `millis` ms once admitted. */
  const request = (bulkhead: Bulkhead.Bulkhead, label: string, arrival: number, millis: number) =>
    Effect.gen(function*() {
      yield* Effect.sleep(arrival)
      const { active, maxConcurrent, maxQueue, queued } = yield* bulkhead.stats
      if (active >= maxConcurrent) {
        yield* timeline.log(
          queued < maxQueue
            ? `${label} arrives: ${active}/${maxConcurrent} running → queued (${queued + 1}/${maxQueue} waiting)`
            : `${label} arrives: ${active}/${maxConcurrent} running, ${queued}/${maxQueue} waiting → full`
        )
      }
      yield* timeline.log(`${label} ▶ admitted, runs ${millis}ms`).pipe(
        Effect.zipRight(Effect.sleep(millis)),
        Effect.zipRight(timeline.log(`${label} ✓ done`)),
        Bulkhead.protect(bulkhead),
        Effect.catchTag("BulkheadRejected", (error) => timeline.log(`${label} ✗ BulkheadRejected("${error.reason}")`))
      )
    })

  yield* Console.log("1. maxConcurrent 2, maxQueue 2: five 200ms requests arrive 20ms apart")
  yield* Effect.scoped(Effect.gen(function*() {
    const bulkhead = yield* Bulkhead.make({ name: "payments", maxConcurrent: 2, maxQueue: 2 })
    yield* Effect.forEach([1, 2, 3, 4, 5], (n) => request(bulkhead, `req ${n}`, (n - 1) * 20, 200), {
      concurrency: "unbounded",
      discard: true
    })
  }))

  yield* Console.log("\n2. queueTimeout 150ms: a waiter gives up while the only permit is busy")
  yield* Effect.scoped(Effect.gen(function*() {
    const bulkhead = yield* Bulkhead.make({ name: "reports", maxConcurrent: 1, maxQueue: 5, queueTimeout: 150 })
    yield* Effect.all([request(bulkhead, "slow", 0, 400), request(bulkhead, "impatient", 50, 10)], {
      concurrency: "unbounded",
      discard: true
    })
  }))

  yield* Console.log("\n3. close: queued and new calls are rejected, close returns once the active call is done")
  yield* Effect.scoped(Effect.gen(function*() {
    const bulkhead = yield* Bulkhead.make({ name: "search", maxConcurrent: 1, maxQueue: 1 })
    const calls = yield* Effect.fork(
      Effect.all([request(bulkhead, "active", 0, 300), request(bulkhead, "queued", 20, 10)], {
        concurrency: "unbounded",
        discard: true
      })
    )
    yield* Effect.sleep(100)
    yield* timeline.log("close requested")
    const closing = yield* Effect.fork(bulkhead.close)
    yield* Effect.sleep(50)
    yield* timeline.log("late arrives after close")
    yield* Effect.void.pipe(
      bulkhead.protect,
      Effect.catchTag("BulkheadRejected", (error) => timeline.log(`late ✗ BulkheadRejected("${error.reason}")`))
    )
    yield* Fiber.join(closing)
    yield* timeline.log("close returned")
    yield* Fiber.join(calls)
  }))
})

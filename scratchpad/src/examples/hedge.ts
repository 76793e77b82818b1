/**
 * Hedge: when the first attempt is slow, a second one starts; the first success wins and the
 * loser is interrupted before the result is returned.
 */
import * as Hedge from "@effect-resilience/core/Hedge"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Timeline from "../timeline.js"

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  const latencies = [400, 60, 60]
  let attempt = 0
  const replicaRead = Effect.suspend(() => {
    const n = attempt++
    const latency = latencies[n] ?? 60
    return timeline.log(`  attempt ${n} started (takes ${latency}ms)`).pipe(
      Effect.zipRight(Effect.sleep(latency)),
      Effect.zipRight(Effect.as(timeline.log(`  attempt ${n} ✓`), `value from attempt ${n}`)),
      Effect.onInterrupt(() => timeline.log(`  attempt ${n} interrupted`))
    )
  })

  yield* Console.log("A read whose primary is slow, hedged after 100ms")
  const value = yield* replicaRead.pipe(Hedge.hedge({ delay: "100 millis", maxHedges: 2 }))
  yield* timeline.log(`  result: ${value}`)
})

/**
 * Chaos: rehearse a resilience stack against injected faults and latency before production does
 * it for you. The strategies are switched on by Config keys (here from a map; in staging from the
 * environment), and the seeded Random makes the run repeat exactly.
 *
 *   npm run example -- chaos
 */
import * as Chaos from "@effect-resilience/core/Chaos"
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Fallback from "@effect-resilience/core/Fallback"
import * as Policy from "@effect-resilience/core/Policy"
import * as Resilience from "@effect-resilience/core/Resilience"
import type { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as Retry from "@effect-resilience/core/Retry"
import * as Timeout from "@effect-resilience/core/Timeout"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as Timeline from "../timeline.js"

class InventoryDown {
  readonly _tag = "InventoryDown"
}

const describe = (event: ResilienceEvent): string | undefined => {
  switch (event._tag) {
    case "ChaosInjected":
      return `  chaos: ${event.policyName} injected ${event.kind}`
    case "RetryScheduled":
      return `  retry: attempt ${event.attempt + 1} in ${Duration.format(event.delay)}`
    case "TimedOut":
      return `  timeout: gave up waiting after ${Duration.format(event.duration)}`
    case "CircuitBreakerTransition":
      return `  breaker: ${event.from} → ${event.to}`
    case "CallRejected":
      return `  breaker: rejected a call (${event.reason})`
    case "FallbackUsed":
      return `  fallback: answered from the cache`
    default:
      return undefined
  }
}

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  yield* Console.log(
    [
      "The stack: fallback ← breaker(3 consecutive failures, 300ms break) ← retry(2 retries, 20ms)",
      "           ← timeout(100ms) ← chaos: fault 30%, latency 400ms 20%, and an outage switched by a flag",
      "Switched on by RESILIENCE_CHAOS_INVENTORY_FAULT_ENABLED and RESILIENCE_CHAOS_INVENTORY_LATENCY_ENABLED.\n"
    ].join("\n")
  )
  yield* Effect.forkScoped(
    Stream.runForEach(Resilience.events, (event) => {
      const line = describe(event)
      return line === undefined ? Effect.void : timeline.log(line)
    })
  )
  yield* Effect.sleep(10)

  const breaker = yield* CircuitBreaker.make({
    name: "inventory",
    trip: CircuitBreaker.consecutive(3),
    breakDuration: "300 millis"
  })
  // a flag a test harness (or an operator) flips at run time: every call fails while it is on
  const outage = yield* Ref.make(false)
  const protect = Policy.wrap(
    breaker.protect,
    Retry.retry({ schedule: Retry.constant("20 millis", { maxRetries: 2 }), name: "inventory" }),
    Timeout.timeout({ duration: "100 millis", name: "inventory" }),
    Chaos.fault({ name: "inventory-fault", rate: 0.3, error: () => new InventoryDown() }),
    Chaos.latency({ name: "inventory-latency", rate: 0.2, delay: "400 millis" }),
    Chaos.fault({ name: "inventory-outage", rate: 1, enabled: Ref.get(outage), error: () => new InventoryDown() })
  )
  const outcomes = { live: 0, cached: 0 }
  for (let call = 1; call <= 16; call++) {
    if (call === 7) {
      yield* Console.log("\n-- outage rehearsal: inventory-outage switched on --")
      yield* Ref.set(outage, true)
    }
    if (call === 12) {
      yield* Console.log("\n-- outage over: inventory-outage switched off --")
      yield* Ref.set(outage, false)
      yield* Effect.sleep("300 millis")
    }
    yield* timeline.log(`call ${call}`)
    const answer = yield* protect(Effect.succeed("42 in stock")).pipe(
      Fallback.fallback({ to: () => Effect.succeed("cached: 40 in stock") })
    )
    // let the event stream print what led to the answer first
    yield* Effect.sleep(2)
    if (answer.startsWith("cached")) outcomes.cached++
    else outcomes.live++
    yield* timeline.log(`  → ${answer}`)
    yield* Effect.sleep("50 millis")
  }
  yield* Console.log(
    `\n${outcomes.live} live answers, ${outcomes.cached} from the cache; breaker ${yield* breaker.state}`
  )
}).pipe(
  Effect.scoped,
  Effect.provide(Resilience.layer()),
  Effect.withConfigProvider(
    ConfigProvider.fromMap(
      new Map([
        ["RESILIENCE_CHAOS_INVENTORY_FAULT_ENABLED", "true"],
        ["RESILIENCE_CHAOS_INVENTORY_LATENCY_ENABLED", "true"]
      ])
    )
  ),
  Effect.withRandom(Random.make(11))
)

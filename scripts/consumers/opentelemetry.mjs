// A user's plain-Node program against the installed @effect-resilience/opentelemetry (with core as
// its peer): a breaker records under ResilienceLive, the Prometheus endpoint serves the metrics.
import { CircuitBreaker, ResilienceLive } from "@effect-resilience/core"
import { ResilienceOtel } from "@effect-resilience/opentelemetry"
import { Effect, Layer } from "effect"
import assert from "node:assert/strict"

const program = Effect.gen(function*() {
  const breaker = yield* CircuitBreaker.make({ name: "inventory", trip: CircuitBreaker.consecutive(1) })
  yield* Effect.fail("down").pipe(breaker.protect, Effect.ignore)
  const server = yield* ResilienceOtel.PrometheusServer
  const text = yield* Effect.promise(() => fetch(server.url).then((response) => response.text()))
  return text.split("\n").filter((line) =>
    line.startsWith("resilience_") && line.includes("inventory") && !line.includes("_bucket")
  )
}).pipe(
  Effect.scoped,
  Effect.provide(
    Layer.mergeAll(ResilienceLive, ResilienceOtel.layer({ serviceName: "consumer", prometheus: { port: 0 } }))
  )
)

const lines = await Effect.runPromise(program)
console.log(lines.join("\n"))
assert.ok(lines.some((line) => line.startsWith("resilience_circuit_breaker_state{")), "breaker state exported")
assert.ok(lines.some((line) => line.startsWith("resilience_calls_total{")), "call counter exported")
console.log("opentelemetry consumer: ok")

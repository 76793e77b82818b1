import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

type Example = () => Promise<{ readonly program: Effect.Effect<void> }>

// Each example module exports `program`, an Effect that prints its own timeline.
const examples: Record<string, Example> = {
  retry: () => import("./examples/retry.js"),
  timeout: () => import("./examples/timeout.js"),
  hedge: () => import("./examples/hedge.js"),
  composition: () => import("./examples/composition.js"),
  bulkhead: () => import("./examples/bulkhead.js"),
  "circuit-breaker": () => import("./examples/circuit-breaker.js"),
  observability: () => import("./examples/observability.js"),
  "rate-limiter": () => import("./examples/rate-limiter.js"),
  chaos: () => import("./examples/chaos.js"),
  reconnect: () => import("./examples/reconnect.js"),
  "http-client": () => import("./examples/http-client.js"),
  "http-server": () => import("./examples/http-server.js"),
  redis: () => import("./examples/redis.js"),
  deadline: () => import("./examples/deadline.js"),
  adaptive: () => import("./examples/adaptive.js")
}

const name = process.argv[2]
const load = name === undefined ? undefined : examples[name]
if (load === undefined) {
  await Effect.runPromise(
    Console.log(`usage: npm run example -- <name>\nexamples: ${Object.keys(examples).join(", ")}`)
  )
  process.exitCode = name === undefined ? 0 : 1
} else {
  const { program } = await load()
  await Effect.runPromise(program)
}

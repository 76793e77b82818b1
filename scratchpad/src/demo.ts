/**
 * The demo, on real HTTP with embedded defaults (no external service): an inventory service on
 * 127.0.0.1 behind `HttpRateLimit` and `HealthCheck`, flaky by design (503s with Retry-After,
 * slow answers, an outage), called through `ResilientHttpClient.standard` plus a fallback to a
 * cached value. Prints a live timeline of what the server answered and what the resilience
 * policies did, then a summary with the `resilience_*` metrics.
 *
 *   npm run demo                 # seed 7
 *   DEMO_SEED=3 npm run demo
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Fallback from "@effect-resilience/core/Fallback"
import * as Resilience from "@effect-resilience/core/Resilience"
import * as Retry from "@effect-resilience/core/Retry"
import * as HealthCheck from "@effect-resilience/platform/HealthCheck"
import * as HttpRateLimit from "@effect-resilience/platform/HttpRateLimit"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Timeline from "./timeline.js"

type Mode = "flaky" | "down" | "healthy"

/** The inventory service: its behaviour per request drawn from the seeded Random. */
const inventoryService = (timeline: Timeline.Timeline, mode: { current: Mode }) =>
  Effect.gen(function*() {
    const nodeServer = Http.createServer()
    const server = yield* NodeHttpServer.make(() => nodeServer, { port: 0, host: "127.0.0.1" })
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    const health = yield* HealthCheck.make({
      checks: [{
        name: "inventory-db",
        check: Effect.suspend(() => mode.current === "down" ? Effect.fail("connection refused") : Effect.void),
        timeout: "200 millis"
      }],
      cacheFor: "100 millis"
    })

    const stock = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (mode.current === "down") return HttpServerResponse.text("database unavailable", { status: 500 })
      const roll = mode.current === "healthy" ? 1 : yield* Random.next
      if (roll < 0.2) return HttpServerResponse.text("busy", { status: 503, headers: { "retry-after": "1" } })
      const slow = request.url.includes("slow") ? roll < 0.6 : roll < 0.35
      yield* Effect.sleep(slow ? "1200 millis" : yield* Random.nextIntBetween(15, 60))
      return HttpServerResponse.unsafeJson({
        sku: request.url.split("/").pop(),
        stock: yield* Random.nextIntBetween(1, 99)
      })
    })

    // logs every answer the client gets, 429s from the rate limiter included
    const logged = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const started = yield* timeline.elapsed
        const response = yield* app.pipe(
          Effect.onInterrupt(() => timeline.log(`      server ${request.url}: abandoned by the client`))
        )
        const took = Math.round((yield* timeline.elapsed) - started)
        const retryAfter = response.headers["retry-after"]
        yield* timeline.log(
          `      server ${request.url}: ${response.status}${
            retryAfter ? ` Retry-After: ${retryAfter}` : ""
          } (${took}ms)`
        )
        return response
      })

    yield* server.serve(stock.pipe(
      HttpRateLimit.middleware({ limiter: { name: "inventory-api", limit: 5, interval: "1 second" } }),
      logged,
      HealthCheck.middleware(health)
    ))
    const address = server.address
    return `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
  })

const describeError = (error: unknown): string => {
  const e = error as { readonly _tag?: string; readonly status?: number }
  return e.status !== undefined ? `${e.status}` : e._tag ?? String(error)
}

const program = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  const mode = { current: "flaky" as Mode }
  const origin = yield* inventoryService(timeline, mode)
  const outcomes = { fresh: 0, cached: 0 }

  yield* Resilience.events.pipe(
    Stream.runForEach((event) => {
      switch (event._tag) {
        case "RetryScheduled":
          return timeline.log(
            `    retry ${event.attempt} in ${Math.round(Duration.toMillis(event.delay))}ms after ${
              describeError(event.error)
            }`
          )
        case "CircuitBreakerTransition":
          return timeline.log(`    breaker ${event.policyName} [${event.key ?? ""}]: ${event.from} → ${event.to}`)
        case "CallRejected":
          return timeline.log(`    ${event.policy} ${event.policyName} rejected the call (${event.reason})`)
        case "HedgeLaunched":
          return timeline.log(`    hedge ${event.attempt} launched`)
        case "TimedOut":
          return timeline.log(
            `    ${event.policyName} timed out after ${Math.round(Duration.toMillis(event.duration))}ms`
          )
        case "FallbackUsed":
          return timeline.log(`    fallback after ${describeError(event.error)}`)
        default:
          return Effect.void
      }
    }),
    Effect.forkScoped
  )
  yield* Effect.sleep("10 millis")

  const base = yield* HttpClient.HttpClient
  const standard = yield* ResilientHttpClient.standard({
    attemptTimeout: "500 millis",
    totalTimeout: "6 seconds",
    retry: { schedule: Retry.exponential({ base: "100 millis", jitter: "full" }), times: 3 },
    circuitBreaker: { trip: CircuitBreaker.consecutive(5), breakDuration: "1500 millis" }
  })(base)
  const hedging = yield* ResilientHttpClient.standardHedging({
    hedging: { delay: "150 millis" },
    attemptTimeout: "2 seconds",
    circuitBreaker: false
  })(base)

  // the fallback answers with the last stock seen (unknown before the first answer)
  const cachedStock = { stock: -1 }
  const getStock = (client: typeof standard, path: string) =>
    Effect.gen(function*() {
      yield* timeline.log(`GET ${path}`)
      const response = yield* client.get(`${origin}${path}`)
      if (response.status !== 200) return yield* Effect.fail(new ResilientHttpClient.ResponseFailure({ response }))
      const body = (yield* response.json) as { readonly stock: number }
      outcomes.fresh++
      cachedStock.stock = body.stock
      yield* timeline.log(`  → ${body.stock} in stock`)
    }).pipe(
      Fallback.fallback({
        to: () =>
          Effect.zipRight(
            Effect.sync(() => outcomes.cached++),
            timeline.log(`  → the cached value (${cachedStock.stock < 0 ? "unknown" : cachedStock.stock})`)
          )
      }),
      Effect.orDie
    )
  const probe = (path: string) =>
    Effect.gen(function*() {
      const response = yield* base.get(`${origin}${path}`)
      const body = (yield* response.json) as HealthCheck.Report
      yield* timeline.log(`probe ${path}: ${response.status} ${body.status}`)
    }).pipe(Effect.orDie)

  yield* Console.log(
    [
      "effect-resilience demo: an inventory service on real HTTP, called through ResilientHttpClient.standard",
      "  server: HttpRateLimit (5 per second per client) and HealthCheck (/livez, /readyz) in front of a",
      "          flaky app: 20% 503 with Retry-After: 1, some answers take 1.2s, then an outage",
      "  client: total timeout 6s → retry (3, exponential from 100ms, honours Retry-After) →",
      "          breaker per origin (5 consecutive failures, 1.5s) → 500ms per attempt; then a fallback\n"
    ].join("\n")
  )
  yield* probe("/readyz")

  yield* Console.log("\n1. A burst of 8 requests: the limiter admits 5, the rest get 429 and retry when told to")
  yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8], (i) => getStock(standard, `/stock/burst-${i}`), {
    concurrency: "unbounded"
  })

  yield* Console.log("\n2. Flaky answers, one request at a time")
  for (let i = 1; i <= 6; i++) yield* getStock(standard, `/stock/sku-${i}`)

  yield* Console.log("\n3. An outage: retries, then the breaker opens and the fallback answers at once")
  mode.current = "down"
  yield* probe("/readyz")
  for (let i = 1; i <= 3; i++) yield* getStock(standard, `/stock/outage-${i}`)

  yield* Console.log("\n4. The service recovers: after the break a probe closes the breaker")
  mode.current = "healthy"
  yield* Effect.sleep("1600 millis")
  yield* probe("/readyz")
  yield* getStock(standard, "/stock/recovered")

  yield* Console.log("\n5. Slow answers with standardHedging: a hedge after 150ms, the first answer wins")
  mode.current = "flaky"
  yield* Effect.sleep("1 second") // a fresh rate-limit window
  for (let i = 1; i <= 4; i++) yield* getStock(hedging, `/stock/slow-${i}`)
  yield* probe("/livez")

  const metrics = (yield* Metric.snapshot)
    .filter((pair) => pair.metricKey.name.startsWith("resilience_"))
    .map((pair) => {
      const state = pair.metricState as unknown as {
        readonly count?: number | bigint
        readonly value?: number | bigint
        readonly sum?: number
      }
      const labels = pair.metricKey.tags.map((tag) => `${tag.key}="${tag.value}"`).join(",")
      const value = state.sum !== undefined
        ? `count ${Number(state.count)}, sum ${state.sum.toFixed(3)}s`
        : String(Number(state.count ?? state.value ?? 0))
      return { line: `  ${pair.metricKey.name}{${labels}} ${value}`, zero: value === "0" }
    })
    .filter((metric) => !metric.zero)
    .map((metric) => metric.line)
    .sort()
  yield* Console.log(
    [
      "\nsummary",
      `  requests: ${
        outcomes.fresh + outcomes.cached
      } (${outcomes.fresh} fresh answers, ${outcomes.cached} from the fallback)`,
      "  metrics:",
      ...metrics
    ].join("\n")
  )
}).pipe(Effect.scoped, Effect.provide(Resilience.layer()), Effect.provide(NodeHttpClient.layerUndici))

// The seed from DEMO_SEED replaces the default one.
const main = Effect.flatMap(
  Config.integer("DEMO_SEED").pipe(Config.withDefault(7)),
  (seed) => Effect.withRandom(program, Random.make(seed))
)

Effect.runPromise(main).catch((error) => {
  console.error(error)
  process.exitCode = 1
})

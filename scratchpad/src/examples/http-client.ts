/**
 * ResilientHttpClient: the standard pipeline in front of a flaky server.
 *
 * An embedded server on 127.0.0.1 answers 503 with `Retry-After: 1`, drops a connection, answers
 * slowly, and has a path that is always down; a second server is another origin. `ResilientHttpClient.standard` retries the first
 * two (waiting the second the server asked for), cuts the slow answer with the attempt timeout
 * and retries it, and opens the breaker of the failing origin, after which calls to it fail at
 * once without being sent, while the other origin is untouched.
 */
import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Resilience from "@effect-resilience/core/Resilience"
import * as Retry from "@effect-resilience/core/Retry"
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Timeline from "../timeline.js"

/** A server whose answer to the n-th request of a path is scripted. */
const flakyServer = (timeline: Timeline.Timeline) =>
  Effect.gen(function*() {
    const nodeServer = Http.createServer()
    const server = yield* NodeHttpServer.make(() => nodeServer, { port: 0, host: "127.0.0.1" })
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    const counts = new Map<string, number>()
    yield* server.serve(Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const n = counts.get(request.url) ?? 0
      counts.set(request.url, n + 1)
      const say = (what: string) => timeline.log(`      server ${request.url} #${n + 1}: ${what}`)
      if (request.url === "/quote" && n === 0) {
        yield* say("503, Retry-After: 1")
        return HttpServerResponse.text("busy", { status: 503, headers: { "retry-after": "1" } })
      }
      if (request.url === "/quote" && n === 1) {
        yield* say("drops the connection")
        NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
        return HttpServerResponse.empty()
      }
      if (request.url === "/slow" && n === 0) {
        yield* say("answers in 2 s")
        yield* Effect.sleep("2 seconds").pipe(Effect.interruptible, Effect.onInterrupt(() => say("request aborted")))
      }
      if (request.url === "/down") {
        yield* say("500")
        return HttpServerResponse.text("down", { status: 500 })
      }
      yield* say("200")
      return HttpServerResponse.text(`fresh ${request.url.slice(1)}`)
    }))
    const address = server.address
    return address._tag === "TcpAddress" ? address.port : 0
  })

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  const origin = `http://127.0.0.1:${yield* flakyServer(timeline)}`
  const other = `http://127.0.0.1:${yield* flakyServer(timeline)}`

  // the registry's events, as they happen
  yield* Resilience.events.pipe(
    Stream.runForEach((event) => {
      switch (event._tag) {
        case "RetryScheduled":
          return timeline.log(`    retry ${event.attempt} in ${Math.round(Duration.toMillis(event.delay))}ms`)
        case "CircuitBreakerTransition":
          return timeline.log(
            `    breaker ${event.policyName}${event.key ? ` [${event.key}]` : ""}: ${event.from} → ${event.to}`
          )
        case "TimedOut":
          return timeline.log(`    ${event.policyName} timed out after ${Duration.format(event.duration)}`)
        default:
          return Effect.void
      }
    }),
    Effect.forkScoped
  )

  const client = yield* ResilientHttpClient.standard({
    attemptTimeout: "500 millis",
    retry: { schedule: Retry.exponential({ base: "100 millis", jitter: "full" }) },
    circuitBreaker: { trip: CircuitBreaker.consecutive(3), breakDuration: "5 seconds" }
  })(yield* HttpClient.HttpClient)

  const get = (url: string) =>
    Effect.gen(function*() {
      yield* timeline.log(`GET ${url}`)
      const response = yield* client.get(url)
      yield* timeline.log(`  → ${response.status} ${yield* response.text}`)
    }).pipe(Effect.catchAll((error) => timeline.log(`  → ${error._tag}: ${error.message}`)))

  yield* Console.log("503 with Retry-After, then a dropped connection, then an answer:")
  yield* get(`${origin}/quote`)
  yield* Console.log("\nA slow answer: cut by the 500ms attempt timeout, and retried:")
  yield* get(`${origin}/slow`)
  yield* Console.log(
    "\nA path that keeps failing: the third failure opens the origin's breaker, which then rejects at once:"
  )
  yield* get(`${origin}/down`)
  yield* get(`${origin}/down`)
  yield* Console.log("\nAnother origin has a breaker of its own:")
  yield* get(`${other}/quote`)
}).pipe(
  Effect.scoped,
  Effect.provide(Resilience.layer()),
  Effect.provide(NodeHttpClient.layerUndici),
  Effect.orDie
)

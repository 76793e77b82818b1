/**
 * Real HTTP servers for the client's tests: `@effect/platform-node` servers on 127.0.0.1, port 0,
 * answering each request as a script says (status, headers, body, a real delay, or a connection
 * reset), and recording what they saw, including requests whose connection the client closed.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"

export interface Reply {
  readonly status?: number
  readonly headers?: Record<string, string>
  readonly body?: string
  /** Real milliseconds before answering (interrupted when the client goes away). */
  readonly delay?: number
  /** Destroy the connection instead of answering. */
  readonly reset?: boolean
}

export interface Seen {
  readonly index: number
  readonly method: string
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  /** The test's Clock when the request arrived (TestClock millis under `it.effect`). */
  readonly at: number
  /** The client closed the connection before the response was sent. */
  aborted: boolean
  answered: boolean
}

export interface TestServer {
  readonly origin: string
  readonly url: (path?: string) => string
  readonly seen: Array<Seen>
  /** Resolves when the n-th request (from 0) has arrived. */
  readonly arrived: (n: number) => Effect.Effect<void>
}

export type Script = ReadonlyArray<Reply> | ((index: number, request: Seen) => Reply)

/** A real timer: the server's delays are wall-clock time whatever Clock the test runs on. */
export const realSleep = (millis: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })

/** Waits (in real time, bounded) until `condition` holds. */
export const eventually = (condition: () => boolean, timeoutMillis = 5_000): Effect.Effect<void> =>
  Effect.suspend(() => {
    const deadline = performance.now() + timeoutMillis
    const loop: Effect.Effect<void> = Effect.suspend(() => {
      if (condition()) return Effect.void
      if (performance.now() > deadline) return Effect.die(new Error("condition not met in time"))
      return Effect.zipRight(realSleep(2), loop)
    })
    return loop
  })

export const makeServer = (script: Script): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const nodeServer = Http.createServer()
    const server = yield* Effect.orDie(NodeHttpServer.make(() => nodeServer, { port: 0, host: "127.0.0.1" }))
    // runs before the server's own release, which waits for open connections
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    const seen: Array<Seen> = []
    const replyTo = (index: number, request: Seen): Reply =>
      typeof script === "function" ? script(index, request) : script[index] ?? script[script.length - 1] ?? {}

    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const incoming = NodeHttpServerRequest.toIncomingMessage(request)
      const outgoing = NodeHttpServerRequest.toServerResponse(request)
      const entry: Seen = {
        index: seen.length,
        method: request.method,
        path: request.url,
        headers: incoming.headers,
        at: yield* Clock.currentTimeMillis,
        aborted: false,
        answered: false
      }
      seen.push(entry)
      outgoing.on("close", () => {
        if (!outgoing.writableEnded) entry.aborted = true
      })
      const reply = replyTo(entry.index, entry)
      if (reply.delay !== undefined) yield* Effect.interruptible(realSleep(reply.delay))
      if (reply.reset === true) {
        incoming.socket.destroy()
        return HttpServerResponse.empty({ status: 500 })
      }
      entry.answered = true
      return HttpServerResponse.text(reply.body ?? "ok", {
        status: reply.status ?? 200,
        headers: reply.headers ?? {}
      })
    })
    yield* server.serve(app)
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    const origin = `http://127.0.0.1:${port}`
    return {
      origin,
      url: (path = "/") => `${origin}${path}`,
      seen,
      arrived: (n) => eventually(() => seen.length > n)
    }
  })

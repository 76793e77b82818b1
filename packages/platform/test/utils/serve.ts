/**
 * Serves an app under test on a real `@effect/platform-node` server (127.0.0.1, port 0). The
 * handlers run in the test's context, so under `it.scoped` they see its `TestClock`.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"

export interface Served {
  readonly origin: string
  readonly url: (path?: string) => string
}

export const serve = <E, R>(
  app: HttpApp.Default<E, R>
): Effect.Effect<Served, never, Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest>> =>
  Effect.gen(function*() {
    const nodeServer = Http.createServer()
    const server = yield* Effect.orDie(NodeHttpServer.make(() => nodeServer, { port: 0, host: "127.0.0.1" }))
    // runs before the server's own release, which waits for open connections
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    yield* server.serve(app)
    const address = server.address
    const origin = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
    return { origin, url: (path = "/") => `${origin}${path}` }
  })

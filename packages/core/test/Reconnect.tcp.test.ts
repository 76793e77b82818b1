/**
 * Reconnect against a real TCP server on 127.0.0.1 (port 0): the server answers one `ping`
 * per connection and then drops it, and is stopped and restarted on the same port midway.
 * Real time, loopback only, short and bounded.
 */
import * as Reconnect from "@effect-resilience/core/Reconnect"
import * as Retry from "@effect-resilience/core/Retry"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as net from "node:net"

/** A server answering `pong` to the first `ping` of each connection, then destroying it. */
const pingServer = () => {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
    socket.on("close", () => sockets.delete(socket))
    socket.once("data", () => socket.end("pong\n", () => socket.destroy()))
  })
  const listen = (port: number) =>
    Effect.async<number, Error>((resume) => {
      const onError = (error: Error) => resume(Effect.fail(error))
      server.once("error", onError)
      server.listen(port, "127.0.0.1", () => {
        server.off("error", onError)
        resume(Effect.succeed((server.address() as net.AddressInfo).port))
      })
    })
  /** stops accepting and drops every open connection */
  const stop = Effect.async<void>((resume) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resume(Effect.void))
  })
  return { listen, stop, sockets }
}

const connect = (port: number, opened: Array<net.Socket>) =>
  Effect.acquireRelease(
    Effect.async<net.Socket, Error>((resume) => {
      const socket = net.createConnection({ host: "127.0.0.1", port })
      socket.once("connect", () => {
        socket.removeAllListeners("error")
        // a reset after connecting is seen by the next request; never an unhandled error
        socket.on("error", () => {})
        resume(Effect.succeed(socket))
      })
      socket.once("error", (error) => resume(Effect.fail(error)))
      return Effect.sync(() => socket.destroy())
    }),
    (socket) => Effect.sync(() => socket.destroy())
  ).pipe(Effect.tap((socket) => Effect.sync(() => opened.push(socket))))

class ConnectionLost extends Error {}

/** Sends `ping` and waits for the answer; fails when the connection is gone. */
const ping = (socket: net.Socket) =>
  Effect.async<string, ConnectionLost>((resume) => {
    if (socket.destroyed || socket.readyState !== "open") {
      resume(Effect.fail(new ConnectionLost("not connected")))
      return
    }
    const onData = (data: Buffer) => resume(Effect.succeed(data.toString().trim()))
    const onClose = () => resume(Effect.fail(new ConnectionLost("closed")))
    socket.once("data", onData)
    socket.once("close", onClose)
    socket.write("ping\n")
    return Effect.sync(() => {
      socket.off("data", onData)
      socket.off("close", onClose)
    })
  })

describe("Reconnect over TCP", () => {
  it.live(
    "reconnects to a server that drops every connection and restarts, and destroys every socket",
    () =>
      Effect.gen(function*() {
        const server = pingServer()
        const port = yield* server.listen(0)
        const opened: Array<net.Socket> = []
        const scope = yield* Scope.make()
        const client = yield* Reconnect.make({
          name: "tcp",
          acquire: connect(port, opened),
          isConnectionError: (error) => error instanceof ConnectionLost,
          schedule: Retry.constant("20 millis"),
          connectTimeout: "1 second",
          maxWait: "5 seconds",
          retryOnReconnect: true // ping is idempotent
        }).pipe(Scope.extend(scope))
        const states: Array<Reconnect.ConnectionState["_tag"]> = []
        const watching = yield* Effect.fork(
          Stream.runForEach(client.changes, (s) => Effect.sync(() => states.push(s._tag)))
        )

        // the server drops each connection after one answer: every request after the first finds
        // its connection gone, reconnects once, and runs again on the new one
        for (let i = 0; i < 5; i++) expect(yield* client.use(ping)).toBe("pong")
        expect(opened.length).toBeGreaterThanOrEqual(5)

        // the server goes away: attempts are refused until it is back on the same port
        yield* server.stop
        const pending = yield* Effect.fork(client.use(ping))
        // wait (bounded) until an attempt has been refused
        const refused = yield* client.state.pipe(
          Effect.delay("10 millis"),
          Effect.repeat({
            until: (state) =>
              state._tag === "Reconnecting" &&
              (state.error as NodeJS.ErrnoException | undefined)?.code === "ECONNREFUSED"
          }),
          Effect.timeout("3 seconds")
        )
        expect(refused._tag).toBe("Reconnecting")
        expect(pending.unsafePoll()).toBeNull()
        yield* server.listen(port)
        expect(yield* Fiber.join(pending)).toBe("pong")

        yield* Scope.close(scope, Exit.void)
        // every socket the client opened is destroyed, the last one by the scope closing
        expect(opened.every((socket) => socket.destroyed)).toBe(true)
        expect(yield* client.state).toEqual(Reconnect.ConnectionState.Closed())
        // changes ends after publishing Closed
        yield* Fiber.join(watching)
        expect(states).toContain("Reconnecting")
        expect(states.at(-1)).toBe("Closed")
        yield* server.stop
      }).pipe(Effect.timeout("10 seconds")),
    { timeout: 15_000 }
  )
})

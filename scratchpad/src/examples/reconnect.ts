/**
 * Reconnect: a TCP client kept connected to an embedded server (127.0.0.1, a free port) that
 * drops its connections, goes away and comes back. The timeline shows the connection's states
 * as `changes` publishes them, and each request: a request that finds its connection broken
 * starts one reconnection and, being idempotent (`retryOnReconnect`), runs again on the new
 * connection; while the server is down the attempts follow the schedule, and callers wait.
 */
import * as Reconnect from "@effect-resilience/core/Reconnect"
import * as Retry from "@effect-resilience/core/Retry"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as net from "node:net"
import * as Timeline from "../timeline.js"

/** A line server: answers `PING` with `PONG <n>`, counting requests over every connection. */
const embeddedServer = Effect.sync(() => {
  const sockets = new Set<net.Socket>()
  let requests = 0
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
    socket.on("close", () => sockets.delete(socket))
    socket.on("data", () => socket.write(`PONG ${++requests}\n`))
  })
  return {
    listen: (port: number) =>
      Effect.async<number>((resume) => {
        server.listen(port, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
      }),
    /** drops every open connection, as a restarting proxy would */
    dropConnections: Effect.sync(() => {
      for (const socket of sockets) socket.destroy()
    }),
    stop: Effect.async<void>((resume) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resume(Effect.void))
    })
  }
})

class ConnectionLost extends Error {
  readonly _tag = "ConnectionLost"
}

const connect = (port: number) =>
  Effect.acquireRelease(
    Effect.async<net.Socket, Error>((resume) => {
      const socket = net.createConnection({ host: "127.0.0.1", port })
      socket.once("connect", () => {
        socket.removeAllListeners("error")
        socket.on("error", () => {})
        resume(Effect.succeed(socket))
      })
      socket.once("error", (error) => resume(Effect.fail(error)))
      return Effect.sync(() => socket.destroy())
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

const ping = (socket: net.Socket) =>
  Effect.async<string, ConnectionLost>((resume) => {
    if (socket.destroyed || socket.readyState !== "open") {
      resume(Effect.fail(new ConnectionLost("connection lost")))
      return
    }
    const onData = (data: Buffer) => resume(Effect.succeed(data.toString().trim()))
    const onClose = () => resume(Effect.fail(new ConnectionLost("connection lost")))
    socket.once("data", onData)
    socket.once("close", onClose)
    socket.write("PING\n")
    return Effect.sync(() => {
      socket.off("data", onData)
      socket.off("close", onClose)
    })
  })

const errorText = (error: unknown): string =>
  (error as NodeJS.ErrnoException | undefined)?.code ?? (error instanceof Error ? error.message : String(error))

/**
 * A state, told against the one before it: `attempt` names the attempt in progress, or the one
 * that has just failed while the next waits for its delay (same attempt, a new error).
 */
const describeState = (state: Reconnect.ConnectionState, previous: Reconnect.ConnectionState | undefined): string => {
  switch (state._tag) {
    case "Connecting":
      return `Connecting: attempt ${state.attempt}`
    case "Connected":
      return `Connected (generation ${state.generation})`
    case "Reconnecting":
      if (previous?._tag === "Connected") return `Reconnecting: ${errorText(state.error)}; attempt 1 at once`
      if (previous?._tag === "Reconnecting" && previous.attempt === state.attempt) {
        return `  attempt ${state.attempt} failed: ${errorText(state.error)}`
      }
      return `Reconnecting: attempt ${state.attempt}`
    case "Failed":
      return `Failed after ${state.attempts} attempts: ${errorText(state.error)}`
    case "Closed":
      return "Closed"
  }
}

export const program: Effect.Effect<void> = Effect.gen(function*() {
  const timeline = yield* Timeline.make
  const server = yield* embeddedServer
  const port = yield* server.listen(0)
  yield* Console.log(`server on 127.0.0.1:${port}; the client keeps one connection and reconnects on demand\n`)

  const watching = yield* Effect.scoped(Effect.gen(function*() {
    const client = yield* Reconnect.make({
      name: "pinger",
      acquire: connect(port),
      isConnectionError: (error) => error instanceof ConnectionLost,
      schedule: Retry.exponential({ base: "50 millis", max: "400 millis" }),
      connectTimeout: "1 second",
      maxWait: "3 seconds",
      retryOnReconnect: true // PING is idempotent
    })
    let previous = yield* client.state
    const watching = yield* Effect.fork(
      Stream.runForEach(client.changes, (state) => {
        const line = describeState(state, previous)
        previous = state
        return timeline.log(`⚡ ${line}`)
      })
    )
    const request = (n: number) =>
      client.use(ping).pipe(
        Effect.matchEffect({
          onSuccess: (answer) => timeline.log(`  request ${n} ✓ ${answer}`),
          onFailure: (error) => timeline.log(`  request ${n} ✗ ${error.message}`)
        })
      )

    yield* timeline.log(`  state: ${describeState(previous, undefined)}`)
    yield* request(1)
    yield* request(2)

    yield* Console.log("\n1. the server drops every connection: the next request reconnects once and runs again")
    yield* server.dropConnections
    yield* Effect.sleep("20 millis")
    yield* request(3)

    yield* Console.log("\n2. the server goes away for 700ms: attempts back off (50, 100, 200, 400ms), callers wait")
    yield* server.stop
    yield* Effect.sleep("20 millis")
    yield* timeline.log("  request 4 sent: its connection is gone, so it waits for the next one")
    const waiting = yield* Effect.fork(request(4))
    yield* Effect.sleep("700 millis")
    yield* timeline.log("  (server back)")
    yield* server.listen(port)
    yield* Fiber.join(waiting)
    yield* request(5)

    yield* Console.log("\n3. the scope closes: the connection is closed and changes ends")
    return watching
  }))
  yield* Fiber.join(watching)
  yield* server.stop
})

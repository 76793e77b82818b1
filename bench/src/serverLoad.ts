/**
 * `npm run load --workspace bench`: requests per second through `HttpRateLimit` +
 * `HttpLoadShed` against the bare app, on a real `@effect/platform-node` server on 127.0.0.1
 * driven by keep-alive node:http clients in the same process (bounded in time and count;
 * loopback only). Rounds alternate bare / middleware so both see the same machine; the overhead
 * is reported per round pair and as a range. Then the limiter's bound: 200 concurrent
 * connections send more requests than a window allows, and the admitted count must not exceed it.
 *
 * `--smoke`: one short round of each and a small bound check (CI keeps it running; nothing timed
 * is asserted, the bound is).
 */
import * as HttpLoadShed from "@effect-resilience/platform/HttpLoadShed"
import * as HttpRateLimit from "@effect-resilience/platform/HttpRateLimit"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Http from "node:http"

const smoke = process.argv.includes("--smoke")
const ROUNDS = smoke ? 1 : 5
const ROUND_MILLIS = smoke ? 300 : 2_000
const CONNECTIONS = 32

const bare: HttpApp.Default = Effect.succeed(HttpServerResponse.text("ok"))
const protectedApp: HttpApp.Default = bare.pipe(
  HttpLoadShed.middleware({ bulkhead: { name: "load", maxConcurrent: 1_000, maxQueue: 1_000 } }),
  // a limit no run reaches: every request pays for a decision and the fields, none is refused
  HttpRateLimit.middleware({ limiter: { name: "load", limit: 1_000_000_000, interval: "1 second" } })
)

/** Serves `app` on 127.0.0.1 for the duration of `use(port)`. */
const withServer = <A>(app: HttpApp.Default, use: (port: number) => Promise<A>): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
      const nodeServer = Http.createServer()
      const server = yield* NodeHttpServer.make(() => nodeServer, { port: 0, host: "127.0.0.1" })
      yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
      yield* server.serve(app)
      const address = server.address
      return yield* Effect.promise(() => use(address._tag === "TcpAddress" ? address.port : 0))
    })).pipe(Effect.orDie)
  )

const get = (agent: Http.Agent, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const request = Http.get({ host: "127.0.0.1", port, path: "/", agent }, (response) => {
      response.resume()
      response.on("end", () => resolve(response.statusCode ?? 0))
    })
    request.setTimeout(10_000, () => request.destroy(new Error("request timed out")))
    request.on("error", reject)
  })

interface Throughput {
  readonly rps: number
  /** CPU time of this process (server and clients) per request: steadier than req/s on a busy machine. */
  readonly cpuMicros: number
}

/** `connections` keep-alive clients sending requests back to back for `millis`. */
const load = async (port: number, connections: number, millis: number): Promise<Throughput> => {
  const agent = new Http.Agent({ keepAlive: true, maxSockets: connections })
  const deadline = performance.now() + millis
  let done = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      await get(agent, port)
      done++
    }
  }
  const start = performance.now()
  const cpu = process.cpuUsage()
  await Promise.all(Array.from({ length: connections }, worker))
  const elapsed = performance.now() - start
  const used = process.cpuUsage(cpu)
  agent.destroy()
  return { rps: (done / elapsed) * 1_000, cpuMicros: (used.user + used.system) / done }
}

/** Sends `total` requests over `connections` connections; returns the statuses' counts. */
const burst = async (port: number, connections: number, total: number): Promise<Map<number, number>> => {
  const agent = new Http.Agent({ keepAlive: true, maxSockets: connections })
  const counts = new Map<number, number>()
  let sent = 0
  const worker = async () => {
    while (sent < total) {
      sent++
      const status = await get(agent, port)
      counts.set(status, (counts.get(status) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  agent.destroy()
  return counts
}

/**
 * The middlewares' own cost, without the network: the app run `iterations` times on one
 * request, best of `rounds` (the minimum is the least disturbed by other processes).
 */
const inProcessMicros = (app: HttpApp.Default, iterations: number, rounds: number): number => {
  const request = HttpServerRequest.fromWeb(new Request("http://127.0.0.1/"))
  const run = Effect.provideService(app, HttpServerRequest.HttpServerRequest, request)
  let best = Infinity
  for (let round = 0; round < rounds; round++) {
    const start = performance.now()
    for (let i = 0; i < iterations; i++) Effect.runSync(run)
    best = Math.min(best, ((performance.now() - start) * 1_000) / iterations)
  }
  return best
}

const main = async () => {
  const iterations = smoke ? 2_000 : 20_000
  inProcessMicros(bare, iterations, 1)
  inProcessMicros(protectedApp, iterations, 1)
  const bareMicros = inProcessMicros(bare, iterations, smoke ? 1 : 7)
  const guardedMicros = inProcessMicros(protectedApp, iterations, smoke ? 1 : 7)
  console.log(
    `in process (no network), best of rounds: bare app ${bareMicros.toFixed(1)} µs, ` +
      `HttpRateLimit + HttpLoadShed ${guardedMicros.toFixed(1)} µs: ${
        (guardedMicros - bareMicros).toFixed(1)
      } µs added per request`
  )

  console.log(`server load: ${CONNECTIONS} keep-alive connections, ${ROUNDS} round pair(s) of ${ROUND_MILLIS} ms`)
  // warm-up: JIT and connection set-up for both apps
  await withServer(bare, (port) => load(port, CONNECTIONS, smoke ? 100 : 1_000))
  await withServer(protectedApp, (port) => load(port, CONNECTIONS, smoke ? 100 : 1_000))
  const overheads: Array<number> = []
  const cpuOverheads: Array<number> = []
  for (let round = 1; round <= ROUNDS; round++) {
    const plain = await withServer(bare, (port) => load(port, CONNECTIONS, ROUND_MILLIS))
    const guarded = await withServer(protectedApp, (port) => load(port, CONNECTIONS, ROUND_MILLIS))
    overheads.push((1 - guarded.rps / plain.rps) * 100)
    cpuOverheads.push((guarded.cpuMicros / plain.cpuMicros - 1) * 100)
    console.log(
      `  round ${round}: bare ${plain.rps.toFixed(0)} req/s (${plain.cpuMicros.toFixed(0)} µs CPU/req), ` +
        `HttpRateLimit + HttpLoadShed ${guarded.rps.toFixed(0)} req/s (${guarded.cpuMicros.toFixed(0)} µs CPU/req)`
    )
  }
  const range = (values: ReadonlyArray<number>) => {
    const sorted = [...values].sort((a, b) => a - b)
    return `${sorted[0]!.toFixed(1)} % to ${sorted[sorted.length - 1]!.toFixed(1)} % (median ${
      sorted[Math.floor(sorted.length / 2)]!.toFixed(1)
    } %)`
  }
  console.log(`  throughput lost over ${ROUNDS} round pair(s): ${range(overheads)}`)
  console.log(`  CPU per request added: ${range(cpuOverheads)}`)

  // the bound: a sliding window of `limit` per minute, far more requests than that
  const limit = smoke ? 100 : 500
  const total = limit * 4
  const bounded = bare.pipe(
    HttpRateLimit.middleware({ limiter: { name: "bound", algorithm: "sliding-window", limit, interval: "1 minute" } })
  )
  const counts = await withServer(bounded, (port) => burst(port, 200, total))
  const admitted = counts.get(200) ?? 0
  console.log(
    `  limiter bound: ${total} requests over 200 connections, ${admitted} admitted (bound ${limit}), ${
      counts.get(429) ?? 0
    } got 429`
  )
  if (admitted > limit || admitted + (counts.get(429) ?? 0) !== total) {
    console.error("  the limiter admitted more than its bound, or some requests got another answer")
    process.exitCode = 1
  }
}

await main()

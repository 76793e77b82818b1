/**
 * HTTP on loopback: a GET (and its body) through the bare `@effect/platform-node` client, through
 * `ResilientHttpClient.standard(client)`, through plain `fetch`, and through the same five
 * policies hand-built from cockatiel around `fetch`. The server runs in this process on
 * 127.0.0.1 and answers "ok" at once, so a row measures the client and its policies.
 */
import * as ResilientHttpClient from "@effect-resilience/platform/ResilientHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import {
  bulkhead,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  retry,
  SamplingBreaker,
  timeout,
  TimeoutStrategy,
  wrap
} from "cockatiel"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { build, disposeAtExit, type Group, perCall } from "../harness.js"

const server = Http.createServer((_request, response) => response.end("ok"))
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
disposeAtExit(server, (s) =>
  new Promise<void>((resolve) => {
    s.closeAllConnections()
    s.close(() => resolve())
  }))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

const bare = build(Effect.map(Layer.build(NodeHttpClient.layerUndici), Context.get(HttpClient.HttpClient)))
const standard = build(ResilientHttpClient.standard()(bare))
/** the same pipeline without its two timeouts: what the bulkhead, retry and per-origin breaker cost */
const withoutTimeouts = build(ResilientHttpClient.standard({ totalTimeout: false, attemptTimeout: false })(bare))

const getText = (client: HttpClient.HttpClient.With<unknown>) =>
  Effect.flatMap(client.get(url), (response) => response.text)

/** Microsoft's standard handler from cockatiel, with the same settings as `standard()`. */
const cockatielStandard = wrap(
  bulkhead(1_000, 0),
  timeout(30_000, TimeoutStrategy.Aggressive),
  retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff({ initialDelay: 2_000 }) }),
  circuitBreaker(handleAll, {
    halfOpenAfter: 5_000,
    breaker: new SamplingBreaker({ threshold: 0.1, duration: 30_000, minimumRps: 100 / 30 })
  }),
  timeout(10_000, TimeoutStrategy.Aggressive)
)

const fetchText = (signal?: AbortSignal) =>
  fetch(url, signal === undefined ? undefined : { signal }).then((response) => {
    if (response.status >= 500) throw new Error(`status ${response.status}`)
    return response.text()
  })

export const groups: ReadonlyArray<Group> = [
  {
    id: "http",
    title: "HTTP GET + body on loopback, per call",
    mode: "runPromise",
    floor: "bare NodeHttpClient (undici)",
    note: "One request at a time to a server in the same process; `standard()` is bulkhead → total timeout → " +
      "retry → per-origin breaker → attempt timeout, and so is the cockatiel pipeline around fetch.",
    rounds: 6,
    cases: [
      { name: "bare NodeHttpClient (undici)", kind: "floor", run: perCall(getText(bare)) },
      { name: "standard(client) (ours)", kind: "ours", run: perCall(getText(standard)) },
      {
        name: "standard({ no timeouts })(client)",
        kind: "reference",
        run: perCall(getText(withoutTimeouts))
      },
      { name: "fetch", kind: "reference", run: () => fetchText() },
      {
        name: "cockatiel standard pipeline around fetch",
        kind: "peer",
        run: () => cockatielStandard.execute(({ signal }) => fetchText(signal))
      }
    ]
  }
]

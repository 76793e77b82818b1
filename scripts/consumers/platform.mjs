// A user's plain-Node program against the installed @effect-resilience/platform (with core and
// @effect/platform as its peers): a loopback server answers 503 with Retry-After, then 200; the
// resilient client retries and gets the 200, recording retries under ResilienceLive.
import { ResilienceLive } from "@effect-resilience/core"
import { ResilientHttpClient } from "@effect-resilience/platform"
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { Effect } from "effect"
import assert from "node:assert/strict"
import http from "node:http"

let requests = 0
const server = http.createServer((_request, response) => {
  requests++
  if (requests === 1) {
    response.writeHead(503, { "retry-after": "0" }).end("busy")
  } else {
    response.writeHead(200, { "content-type": "text/plain" }).end("ok")
  }
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const { port } = server.address()

const program = Effect.gen(function*() {
  const client = (yield* HttpClient.HttpClient).pipe(
    ResilientHttpClient.retryTransient({ times: 2 })
  )
  const response = yield* client.get(`http://127.0.0.1:${port}/stock`)
  return { status: response.status, body: yield* response.text }
}).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer), Effect.provide(ResilienceLive))

try {
  const result = await Effect.runPromise(program)
  console.log(result)
  assert.equal(result.status, 200)
  assert.equal(result.body, "ok")
  assert.equal(requests, 2, "one retry after the 503")
  console.log("platform consumer: ok")
} finally {
  server.close()
}

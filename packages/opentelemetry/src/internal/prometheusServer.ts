/**
 * The HTTP server behind the Prometheus endpoint.
 *
 * We serve `PrometheusExporter.getMetricsRequestHandler` from our own `node:http` server rather
 * than the exporter's built-in one because the exporter treats `port: 0` as "unset" (it falls
 * back to 9464) and cannot tell which port it bound; owning the server also lets a failed
 * `listen` (port in use) fail the layer, and closing the scope close every connection.
 */
import type { PrometheusExporter } from "@opentelemetry/exporter-prometheus"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type * as ResilienceOtel from "../ResilienceOtel.js"
import type { ResolvedPrometheus } from "./options.js"

/** @internal */
export const PrometheusServer = Context.GenericTag<ResilienceOtel.PrometheusServer>(
  "@effect-resilience/opentelemetry/ResilienceOtel/PrometheusServer"
)

/** @internal */
export class PrometheusServerError extends Data.TaggedError("PrometheusServerError")<{
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message(): string {
    const code = typeof this.cause === "object" && this.cause !== null && "code" in this.cause
      ? String(this.cause.code)
      : undefined
    const reason = code === "EADDRINUSE"
      ? "the port is already in use"
      : this.cause instanceof Error
      ? this.cause.message
      : String(this.cause)
    return `Could not start the Prometheus endpoint on ${formatHost(this.host)}:${this.port}: ${reason}`
  }
}

const formatHost = (host: string): string => host.includes(":") ? `[${host}]` : host

// A URL a local client can scrape: the wildcard addresses are not connectable everywhere.
const connectableHost = (host: string): string => host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host

const listen = (server: Http.Server, options: ResolvedPrometheus): Effect.Effect<number, PrometheusServerError> =>
  Effect.async<number, PrometheusServerError>((resume) => {
    const onError = (cause: Error) => {
      server.off("listening", onListening)
      resume(Effect.fail(new PrometheusServerError({ host: options.host, port: options.port, cause })))
    }
    const onListening = () => {
      server.off("error", onError)
      const address = server.address()
      resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : options.port))
    }
    server.once("error", onError)
    server.once("listening", onListening)
    server.listen({ port: options.port, host: options.host })
  })

const close = (server: Http.Server): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    // `close` waits for keep-alive connections (fetch keeps them open), so end them now.
    server.close(() => resume(Effect.void))
    server.closeAllConnections()
  })

/** @internal */
export const serve = (
  exporter: PrometheusExporter,
  options: ResolvedPrometheus
): Effect.Effect<ResilienceOtel.PrometheusServer, PrometheusServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const server = Http.createServer((request, response) => {
      let pathname: string
      try {
        pathname = new URL(request.url ?? "/", "http://localhost").pathname
      } catch {
        response.statusCode = 400
        response.end("Bad Request")
        return
      }
      if (pathname === options.endpoint) {
        exporter.getMetricsRequestHandler(request, response)
      } else {
        response.statusCode = 404
        response.end()
      }
    })
    // Like the exporter's own server: the endpoint alone never keeps the process alive.
    server.unref()
    const port = yield* Effect.acquireRelease(listen(server, options), () => close(server))
    // Errors after a successful listen (rare: e.g. out of file descriptors) would otherwise be
    // an unhandled 'error' event and crash the process.
    server.on("error", (error) => {
      Runtime.runFork(runtime)(Effect.logWarning("Prometheus endpoint error", error))
    })
    const host = options.host
    return {
      host,
      port,
      endpoint: options.endpoint,
      url: `http://${formatHost(connectableHost(host))}:${port}${options.endpoint}`
    }
  })

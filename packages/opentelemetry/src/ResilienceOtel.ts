/**
 * Export effect-resilience's metrics (every `resilience_*` Effect `Metric` the policies record)
 * to OpenTelemetry through `@effect/opentelemetry`, and optionally serve them on a Prometheus
 * endpoint.
 *
 * What is exported is Effect's global metric registry, which is where `ResilienceLive` records
 * the `ResilienceMetrics`: any other Effect metric your program records is exported with them.
 * Provide this layer once; combining it with another `@effect/opentelemetry` metrics layer
 * (`NodeSdk.layer({ metricReader })`) would export everything twice.
 *
 * @since 0.1.0
 */
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import type * as Context from "effect/Context"
import type * as Layer from "effect/Layer"
import * as options from "./internal/options.js"
import * as prometheusServer from "./internal/prometheusServer.js"
import * as internal from "./internal/resilienceOtel.js"

/**
 * A Prometheus scrape endpoint, served over HTTP while the layer's scope is open.
 *
 * @since 0.1.0
 * @category models
 */
export interface PrometheusOptions {
  /** The port to listen on, an integer in [0, 65535]; 0 picks a free port (read it from `PrometheusServer`). */
  readonly port: number
  /**
   * The interface to listen on. Default `"127.0.0.1"`: only this machine can scrape. Use
   * `"0.0.0.0"` (or `"::"`) when Prometheus scrapes from elsewhere, e.g. from outside a container.
   */
  readonly host?: string | undefined
  /** The path that serves the metrics, starting with `"/"`. Default `"/metrics"`; any other path is a 404. */
  readonly endpoint?: string | undefined
}

/**
 * The fields of `Options`, each optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface OptionFields {
  /**
   * The OpenTelemetry `service.name` resource attribute (shown in Prometheus' `target_info`).
   * Without it the resource is read from the standard `OTEL_SERVICE_NAME` and
   * `OTEL_RESOURCE_ATTRIBUTES` (through Effect's `ConfigProvider`).
   */
  readonly serviceName?: string | undefined
  /** Serve the metrics on a Prometheus endpoint. */
  readonly prometheus?: PrometheusOptions | undefined
  /**
   * Any other OpenTelemetry `MetricReader`, e.g. a `PeriodicExportingMetricReader` around an
   * OTLP exporter. Prefer a function that creates it: a reader can be bound only once and is
   * shut down with the layer, so a layer built twice needs a fresh reader each time.
   */
  readonly metricReader?: MetricReader | (() => MetricReader) | undefined
}

/**
 * Options of `layer`: at least one of `prometheus` and `metricReader` (both may be given).
 *
 * @since 0.1.0
 * @category models
 */
export type Options =
  & OptionFields
  & (
    | { readonly prometheus: PrometheusOptions }
    | { readonly metricReader: MetricReader | (() => MetricReader) }
  )

/**
 * The running Prometheus endpoint: where it actually listens (the bound port, useful with
 * `port: 0`) and the URL to scrape. `url` uses `127.0.0.1` / `::1` when listening on every
 * interface.
 *
 * @since 0.1.0
 * @category models
 */
export interface PrometheusServer {
  readonly host: string
  readonly port: number
  readonly endpoint: string
  readonly url: string
}

/**
 * The service `layer` provides when given `prometheus`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResilienceOtel } from "@effect-resilience/opentelemetry"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* ResilienceOtel.PrometheusServer
 *   yield* Effect.log(`scrape ${server.url}`)
 * }).pipe(Effect.provide(ResilienceOtel.layer({ prometheus: { port: 0 } })))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const PrometheusServer: Context.Tag<PrometheusServer, PrometheusServer> = prometheusServer.PrometheusServer

/**
 * The Prometheus endpoint could not start listening, e.g. because its port is in use. `cause` is
 * the error from `node:http`.
 *
 * @since 0.1.0
 * @category errors
 */
export const PrometheusServerError: typeof prometheusServer.PrometheusServerError =
  prometheusServer.PrometheusServerError

/**
 * @since 0.1.0
 * @category errors
 */
export type PrometheusServerError = prometheusServer.PrometheusServerError

/**
 * The default interface of the Prometheus endpoint: `"127.0.0.1"`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultHost: string = options.DEFAULT_HOST

/**
 * The default path of the Prometheus endpoint: `"/metrics"`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultEndpoint: string = options.DEFAULT_ENDPOINT

/**
 * One layer that exports Effect's metrics, and with them every `resilience_*` metric, to
 * OpenTelemetry (`@effect/opentelemetry`'s `Metrics` producer with a `Resource`).
 *
 * - `prometheus`: serves the metrics on `http://host:port/endpoint` from when the layer is built
 *   until its scope closes. A port that cannot be bound fails the layer with
 *   `PrometheusServerError`; the layer provides `PrometheusServer` (the bound port and URL).
 *   Counters keep their names (`resilience_calls_total`, typed `counter`), gauges and the
 *   `resilience_call_duration_seconds` histogram are typed as such; labels are the metrics' tags.
 * - `metricReader`: any other OpenTelemetry reader; it is bound when the layer is built and shut
 *   down (flushing it) when the scope closes.
 *
 * Options are validated when `layer` is called: a bad one throws `ResilienceConfigError` naming
 * the option (e.g. `"prometheus.port"`) and the rule.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { ResilienceLive } from "@effect-resilience/core"
 * import { ResilienceOtel } from "@effect-resilience/opentelemetry"
 *
 * const Observability = ResilienceOtel.layer({ serviceName: "checkout", prometheus: { port: 9464 } })
 *
 * // Layer.launch keeps the endpoint up until the program is interrupted
 * Layer.launch(Layer.mergeAll(ResilienceLive, Observability))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: {
  (options: Options & { readonly prometheus: PrometheusOptions }): Layer.Layer<PrometheusServer, PrometheusServerError>
  (options: Options & { readonly prometheus?: undefined }): Layer.Layer<never>
  (options: Options): Layer.Layer<never, PrometheusServerError>
} = internal.layer

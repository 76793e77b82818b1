import * as Metrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus"
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import type * as Arr from "effect/Array"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as ResilienceOtel from "../ResilienceOtel.js"
import * as options from "./options.js"
import * as prometheusServer from "./prometheusServer.js"

const make = (
  resolved: options.ResolvedOptions
): Layer.Layer<ResilienceOtel.PrometheusServer, prometheusServer.PrometheusServerError> => {
  const resource = resolved.serviceName === undefined
    ? Resource.layerFromEnv()
    : Resource.layer({ serviceName: resolved.serviceName })
  return Layer.scopedContext(
    Effect.gen(function*() {
      const producer = yield* Metrics.makeProducer
      // Never starts its own server: `serve` below owns the HTTP side. The scope label would be
      // the same constant ("@effect/opentelemetry/Metrics") on every series, so it is left out.
      const exporter = resolved.prometheus === undefined ? undefined : new PrometheusExporter({
        preventServerStart: true,
        withoutScopeInfo: true
      })
      const readers = (): Arr.NonEmptyReadonlyArray<MetricReader> => {
        const all: Array<MetricReader> = []
        if (exporter !== undefined) all.push(exporter)
        if (resolved.metricReader !== undefined) all.push(resolved.metricReader())
        return all as unknown as Arr.NonEmptyReadonlyArray<MetricReader>
      }
      // Released last: readers are shut down (flushing a periodic reader) after the server closed.
      yield* Metrics.registerProducer(producer, readers)
      if (exporter === undefined || resolved.prometheus === undefined) {
        // nothing to provide; the public overloads type this case as Layer<never>
        return Context.empty() as Context.Context<ResilienceOtel.PrometheusServer>
      }
      const server = yield* prometheusServer.serve(exporter, resolved.prometheus)
      return Context.make(prometheusServer.PrometheusServer, server)
    })
  ).pipe(Layer.provide(resource))
}

/** @internal */
export function layer(
  input: ResilienceOtel.Options & { readonly prometheus: ResilienceOtel.PrometheusOptions }
): Layer.Layer<ResilienceOtel.PrometheusServer, prometheusServer.PrometheusServerError>
/** @internal */
export function layer(input: ResilienceOtel.Options & { readonly prometheus?: undefined }): Layer.Layer<never>
/** @internal */
export function layer(input: ResilienceOtel.Options): Layer.Layer<never, prometheusServer.PrometheusServerError>
export function layer(
  input: ResilienceOtel.Options
): Layer.Layer<ResilienceOtel.PrometheusServer, prometheusServer.PrometheusServerError> | Layer.Layer<never> {
  // Without `prometheus` nothing is provided and nothing can fail: the overloads say so.
  return make(options.resolve(input))
}

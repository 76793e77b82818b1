// A user's TypeScript against the installed @effect-resilience/opentelemetry, type-checked under
// moduleResolution NodeNext and Bundler by check-packages.mjs.
import { ResilienceLive } from "@effect-resilience/core"
import { ResilienceOtel } from "@effect-resilience/opentelemetry"
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import type { Layer } from "effect"
import { Effect } from "effect"

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
const assertType = <T extends true>(_: T) => {}

const prometheus = ResilienceOtel.layer({ serviceName: "checkout", prometheus: { port: 0 } })
assertType<
  Equals<typeof prometheus, Layer.Layer<ResilienceOtel.PrometheusServer, ResilienceOtel.PrometheusServerError>>
>(true)

declare const reader: MetricReader
export const otlp = ResilienceOtel.layer({ metricReader: () => reader })
assertType<Equals<typeof otlp, Layer.Layer<never>>>(true)

export const main = Effect.gen(function*() {
  const server = yield* ResilienceOtel.PrometheusServer
  return server.url
}).pipe(Effect.provide(prometheus), Effect.provide(ResilienceLive))

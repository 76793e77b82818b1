import * as ResilienceOtel from "@effect-resilience/opentelemetry/ResilienceOtel"
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import type * as Layer from "effect/Layer"
import { describe, expect, it } from "tstyche"

declare const reader: MetricReader
declare const options: ResilienceOtel.Options

describe("ResilienceOtel.layer", () => {
  it("provides PrometheusServer, and may fail with PrometheusServerError, when given prometheus", () => {
    expect(ResilienceOtel.layer({ prometheus: { port: 9464 } })).type.toBe<
      Layer.Layer<ResilienceOtel.PrometheusServer, ResilienceOtel.PrometheusServerError>
    >()
    expect(ResilienceOtel.layer({ serviceName: "x", prometheus: { port: 0, host: "0.0.0.0" }, metricReader: reader }))
      .type.toBe<Layer.Layer<ResilienceOtel.PrometheusServer, ResilienceOtel.PrometheusServerError>>()
  })

  it("provides nothing and cannot fail with only a metricReader", () => {
    expect(ResilienceOtel.layer({ metricReader: reader })).type.toBe<Layer.Layer<never>>()
    expect(ResilienceOtel.layer({ metricReader: () => reader, serviceName: "x" })).type.toBe<Layer.Layer<never>>()
  })

  it("with options of unknown shape, provides nothing but may fail", () => {
    expect(ResilienceOtel.layer(options)).type.toBe<Layer.Layer<never, ResilienceOtel.PrometheusServerError>>()
  })

  it("rejects options that are not options", () => {
    expect(ResilienceOtel.layer).type.not.toBeCallableWith({ prometheus: { port: "9464" } })
    expect(ResilienceOtel.layer).type.not.toBeCallableWith({ metricReader: 1 })
    // at least one of prometheus / metricReader
    expect(ResilienceOtel.layer).type.not.toBeCallableWith({})
    expect(ResilienceOtel.layer).type.not.toBeCallableWith({ serviceName: "x" })
    expect(ResilienceOtel.layer).type.not.toBeCallableWith({ prometheus: undefined })
  })
})

describe("ResilienceOtel.PrometheusServer", () => {
  it("is a tag for the running endpoint", () => {
    expect<ResilienceOtel.PrometheusServer>().type.toBe<
      { readonly host: string; readonly port: number; readonly endpoint: string; readonly url: string }
    >()
  })
})

import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import * as ResilienceMetrics from "@effect-resilience/core/ResilienceMetrics"
import * as ResilienceOtel from "@effect-resilience/opentelemetry/ResilienceOtel"
import { describe, expect, it } from "@effect/vitest"
import type { DataPoint, Histogram, MetricData, ResourceMetrics } from "@opentelemetry/sdk-metrics"
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Scope from "effect/Scope"

// The metric registry is global and shared by every test in this file: each test uses its own
// instance names so it only looks at its own series.
let instances = 0
const uniqueName = (prefix: string) => `${prefix}-${++instances}`

const tagged = <Type, In, Out>(metric: Metric.Metric<Type, In, Out>, tags: Record<string, string>) =>
  Object.entries(tags).reduce((m, [key, value]) => Metric.tagged(m, key, value), metric)

const record = (name: string) =>
  Effect.gen(function*() {
    const policy = "CircuitBreaker"
    yield* Metric.incrementBy(tagged(ResilienceMetrics.calls, { name, policy, outcome: "success" }), 3)
    yield* Metric.increment(tagged(ResilienceMetrics.calls, { name, policy, outcome: "failure" }))
    yield* Metric.set(tagged(ResilienceMetrics.circuitBreakerState, { name }), 1)
    const duration = tagged(ResilienceMetrics.callDuration, { name, policy })
    yield* Metric.update(duration, 0.0015)
    yield* Metric.update(duration, 0.003)
    yield* Metric.update(duration, 100)
  })

const inMemoryReader = () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // Exports only when flushed: the tests never wait for the interval.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  return { exporter, reader }
}

const findMetric = (resourceMetrics: ResourceMetrics, name: string): MetricData => {
  const found = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)
  if (found === undefined) throw new Error(`metric ${name} not exported`)
  return found
}

const pointsFor = <T>(metric: MetricData, name: string): Array<DataPoint<T>> =>
  (metric.dataPoints as Array<DataPoint<T>>).filter((p) => p.attributes.name === name)

const scrape = (url: string) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url)
    return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() }
  })

const seriesOf = (text: string, name: string) => text.split("\n").filter((line) => line.includes(`name="${name}"`))

describe("ResilienceOtel.layer with a metricReader", () => {
  it.scopedLive("exports counters as monotonic sums, gauges and histograms, with their labels", () =>
    Effect.gen(function*() {
      const { exporter, reader } = inMemoryReader()
      yield* Layer.build(ResilienceOtel.layer({ serviceName: "checkout", metricReader: () => reader }))
      const name = uniqueName("reader")
      yield* record(name)
      yield* Effect.promise(() => reader.forceFlush())

      const exported = exporter.getMetrics()
      expect(exported.length).toBeGreaterThan(0)
      const last = exported[exported.length - 1]
      expect(last.resource.attributes["service.name"]).toBe("checkout")

      const calls = findMetric(last, "resilience_calls_total")
      expect(calls.dataPointType).toBe(DataPointType.SUM)
      expect(calls.dataPointType === DataPointType.SUM && calls.isMonotonic).toBe(true)
      expect(calls.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE)
      expect(calls.descriptor.description).toBe("Calls through a resilience policy, by outcome")
      const callPoints = pointsFor<number>(calls, name).map((p) => ({ attributes: p.attributes, value: p.value }))
      expect(callPoints).toHaveLength(2)
      expect(callPoints).toEqual(expect.arrayContaining([
        { attributes: { name, policy: "CircuitBreaker", outcome: "success" }, value: 3 },
        { attributes: { name, policy: "CircuitBreaker", outcome: "failure" }, value: 1 }
      ]))

      const state = findMetric(last, "resilience_circuit_breaker_state")
      expect(state.dataPointType).toBe(DataPointType.GAUGE)
      expect(pointsFor<number>(state, name).map((p) => [p.attributes, p.value])).toEqual([[{ name }, 1]])

      const duration = findMetric(last, "resilience_call_duration_seconds")
      expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM)
      const [histogram] = pointsFor<Histogram>(duration, name)
      expect(histogram.attributes).toEqual({ name, policy: "CircuitBreaker" })
      expect(histogram.value.count).toBe(3)
      expect(histogram.value.sum).toBeCloseTo(100.0045, 10)
      expect(histogram.value.min).toBe(0.0015)
      expect(histogram.value.max).toBe(100)
      // Effect's exponential({ start: 0.001, factor: 2, count: 17 }): 16 finite boundaries, 1 ms to
      // 32.768 s, then +Inf; counts are per bucket (not cumulative)
      expect(histogram.value.buckets.boundaries).toHaveLength(16)
      expect(histogram.value.buckets.boundaries[0]).toBe(0.001)
      expect(histogram.value.buckets.boundaries[15]).toBe(32.768)
      expect(histogram.value.buckets.counts).toHaveLength(17)
      expect(histogram.value.buckets.counts[1]).toBe(1) // (0.001, 0.002]
      expect(histogram.value.buckets.counts[2]).toBe(1) // (0.002, 0.004]
      expect(histogram.value.buckets.counts[16]).toBe(1) // above 32.768 s
    }))

  it.scopedLive("reader.collect() sees values recorded after the layer was built, cumulatively", () =>
    Effect.gen(function*() {
      const { reader } = inMemoryReader()
      yield* Layer.build(ResilienceOtel.layer({ metricReader: reader }))
      const name = uniqueName("collect")
      const retries = Metric.tagged(ResilienceMetrics.retryAttempts, "name", name)
      yield* Metric.increment(retries)
      const first = yield* Effect.promise(() => reader.collect())
      yield* Metric.incrementBy(retries, 4)
      const second = yield* Effect.promise(() => reader.collect())
      const valueIn = (result: typeof first) =>
        pointsFor<number>(findMetric(result.resourceMetrics, "resilience_retry_attempts_total"), name).map((p) =>
          p.value
        )
      expect(valueIn(first)).toEqual([1])
      expect(valueIn(second)).toEqual([5])
    }))

  it.live("shuts the reader down (flushing it) when the scope closes", () =>
    Effect.gen(function*() {
      const { exporter, reader } = inMemoryReader()
      const name = uniqueName("shutdown")
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(ResilienceOtel.layer({ metricReader: () => reader }))
        yield* Metric.increment(Metric.tagged(ResilienceMetrics.timeouts, "name", name))
      }))
      // the final flush on shutdown exported the value
      const exported = exporter.getMetrics()
      const timeouts = findMetric(exported[exported.length - 1], "resilience_timeouts_total")
      expect(pointsFor<number>(timeouts, name).map((p) => p.value)).toEqual([1])
      const error = yield* Effect.flip(Effect.tryPromise(() => reader.collect()))
      expect(String(error.cause)).toContain("shutdown")
    }))

  it.live("a metricReader function that returns something else dies with ResilienceConfigError", () =>
    Effect.gen(function*() {
      const notAReader = (() => ({})) as unknown as () => PeriodicExportingMetricReader
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(ResilienceOtel.layer({ metricReader: notAReader }))))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const defect = Cause.squash(exit.cause)
        expect(defect).toBeInstanceOf(ResilienceConfigError)
        expect((defect as ResilienceConfigError).option).toBe("metricReader")
      }
    }))
})

describe("ResilienceOtel.layer with prometheus", () => {
  it.scopedLive("serves resilience_* series on a free 127.0.0.1 port, scraped over HTTP", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(ResilienceOtel.layer({ serviceName: "checkout", prometheus: { port: 0 } }))
      const server = Context.get(context, ResilienceOtel.PrometheusServer)
      expect(server.host).toBe("127.0.0.1")
      expect(server.port).toBeGreaterThan(0)
      expect(server.endpoint).toBe("/metrics")
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`)

      const name = uniqueName("prom")
      yield* record(name)
      const { contentType, status, text } = yield* scrape(server.url)
      expect(status).toBe(200)
      expect(contentType).toContain("text/plain")

      // counters keep their `_total` name (no `_total_total`) and are typed `counter`
      expect(text).toContain("# TYPE resilience_calls_total counter\n")
      expect(text).not.toContain("_total_total")
      expect(text).toContain("# TYPE resilience_circuit_breaker_state gauge\n")
      expect(text).toContain("# TYPE resilience_call_duration_seconds histogram\n")
      expect(text).toContain("# HELP resilience_calls_total Calls through a resilience policy, by outcome\n")
      expect(text).toMatch(/^target_info\{.*service_name="checkout".*\} 1$/m)

      const series = seriesOf(text, name)
      expect(series).toEqual(expect.arrayContaining([
        `resilience_calls_total{name="${name}",policy="CircuitBreaker",outcome="success"} 3`,
        `resilience_calls_total{name="${name}",policy="CircuitBreaker",outcome="failure"} 1`,
        `resilience_circuit_breaker_state{name="${name}"} 1`,
        `resilience_call_duration_seconds_count{name="${name}",policy="CircuitBreaker"} 3`,
        `resilience_call_duration_seconds_bucket{name="${name}",policy="CircuitBreaker",le="0.001"} 0`,
        `resilience_call_duration_seconds_bucket{name="${name}",policy="CircuitBreaker",le="0.002"} 1`,
        `resilience_call_duration_seconds_bucket{name="${name}",policy="CircuitBreaker",le="0.004"} 2`,
        `resilience_call_duration_seconds_bucket{name="${name}",policy="CircuitBreaker",le="32.768"} 2`,
        `resilience_call_duration_seconds_bucket{name="${name}",policy="CircuitBreaker",le="+Inf"} 3`
      ]))
      const sum = series.find((line) => line.startsWith("resilience_call_duration_seconds_sum"))
      expect(Number(sum?.split(" ")[1])).toBeCloseTo(100.0045, 10)
      // one time series per label set; no scope label on any of them
      expect(series.filter((line) => line.startsWith("resilience_calls_total{"))).toHaveLength(2)
      expect(text).not.toContain("otel_scope_name")

      // values are read at scrape time
      yield* Metric.increment(
        tagged(ResilienceMetrics.calls, { name, policy: "CircuitBreaker", outcome: "success" })
      )
      const again = yield* scrape(server.url)
      expect(seriesOf(again.text, name)).toContain(
        `resilience_calls_total{name="${name}",policy="CircuitBreaker",outcome="success"} 4`
      )
    }))

  it.scopedLive("serves only the configured endpoint", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(ResilienceOtel.layer({ prometheus: { port: 0, endpoint: "/internal/prom" } }))
      const server = Context.get(context, ResilienceOtel.PrometheusServer)
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/internal/prom`)
      const name = uniqueName("endpoint")
      yield* Metric.increment(Metric.tagged(ResilienceMetrics.fallbacks, "name", name))
      const ok = yield* scrape(`${server.url}?x=1`)
      expect(ok.status).toBe(200)
      expect(seriesOf(ok.text, name)).toEqual([`resilience_fallbacks_total{name="${name}"} 1`])
      const missing = yield* scrape(`http://127.0.0.1:${server.port}/metrics`)
      expect(missing.status).toBe(404)
    }))

  it.scopedLive("on every interface, the url still points at a connectable address", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(ResilienceOtel.layer({ prometheus: { port: 0, host: "0.0.0.0" } }))
      const server = Context.get(context, ResilienceOtel.PrometheusServer)
      expect(server.host).toBe("0.0.0.0")
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`)
      expect((yield* scrape(server.url)).status).toBe(200)
    }))

  it.live("closes the server when the scope closes: a scrape afterwards fails", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(ResilienceOtel.layer({ prometheus: { port: 0 } }), scope)
      const server = Context.get(context, ResilienceOtel.PrometheusServer)
      // a keep-alive connection from this scrape must not keep the server open
      expect((yield* scrape(server.url)).status).toBe(200)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.exit(scrape(server.url))
      expect(Exit.isFailure(after)).toBe(true)
    }))

  it.scopedLive("a port in use fails the layer with PrometheusServerError", () =>
    Effect.gen(function*() {
      const first = yield* Layer.build(ResilienceOtel.layer({ prometheus: { port: 0 } }))
      const { port } = Context.get(first, ResilienceOtel.PrometheusServer)
      const error = yield* Effect.flip(Effect.scoped(Layer.build(ResilienceOtel.layer({ prometheus: { port } }))))
      expect(error).toBeInstanceOf(ResilienceOtel.PrometheusServerError)
      expect(error._tag).toBe("PrometheusServerError")
      expect(error.port).toBe(port)
      expect(error.message).toBe(
        `Could not start the Prometheus endpoint on 127.0.0.1:${port}: the port is already in use`
      )
      // the first endpoint is unaffected
      expect((yield* scrape(`http://127.0.0.1:${port}/metrics`)).status).toBe(200)
    }))

  it.scopedLive("prometheus and a metricReader together export the same values", () =>
    Effect.gen(function*() {
      const { reader } = inMemoryReader()
      const context = yield* Layer.build(ResilienceOtel.layer({ prometheus: { port: 0 }, metricReader: () => reader }))
      const server = Context.get(context, ResilienceOtel.PrometheusServer)
      const name = uniqueName("both")
      yield* Metric.incrementBy(tagged(ResilienceMetrics.bulkheadRejected, { name, reason: "Full" }), 2)
      yield* Metric.set(Metric.tagged(ResilienceMetrics.bulkheadActive, "name", name), 7)
      const { text } = yield* scrape(server.url)
      expect(seriesOf(text, name)).toEqual(expect.arrayContaining([
        `resilience_bulkhead_rejected_total{name="${name}",reason="Full"} 2`,
        `resilience_bulkhead_active{name="${name}"} 7`
      ]))
      const { resourceMetrics } = yield* Effect.promise(() => reader.collect())
      expect(pointsFor<number>(findMetric(resourceMetrics, "resilience_bulkhead_rejected_total"), name)[0].value)
        .toBe(2)
    }))
})

describe("ResilienceOtel.layer options", () => {
  const reader = () => inMemoryReader().reader
  const cases: Array<[string, unknown, string]> = [
    ["no exporter at all", {}, "prometheus"],
    ["only a service name", { serviceName: "x" }, "prometheus"],
    ["a negative port", { prometheus: { port: -1 } }, "prometheus.port"],
    ["a port above 65535", { prometheus: { port: 65536 } }, "prometheus.port"],
    ["a fractional port", { prometheus: { port: 80.5 } }, "prometheus.port"],
    ["a NaN port", { prometheus: { port: Number.NaN } }, "prometheus.port"],
    ["a string port", { prometheus: { port: "9464" } }, "prometheus.port"],
    ["a missing port", { prometheus: {} }, "prometheus.port"],
    ["prometheus not an object", { prometheus: 9464 }, "prometheus"],
    ["an endpoint without a leading slash", { prometheus: { port: 0, endpoint: "metrics" } }, "prometheus.endpoint"],
    ["an endpoint with a query", { prometheus: { port: 0, endpoint: "/metrics?x" } }, "prometheus.endpoint"],
    ["an empty host", { prometheus: { port: 0, host: "" } }, "prometheus.host"],
    ["an empty service name", { serviceName: " ", metricReader: reader }, "serviceName"],
    ["a metricReader that is not one", { metricReader: { collect: 1 } }, "metricReader"],
    ["options that are not an object", null, "options"]
  ]
  for (const [title, options, option] of cases) {
    it(`throws ResilienceConfigError at once for ${title}`, () => {
      let thrown: unknown
      try {
        ResilienceOtel.layer(options as ResilienceOtel.Options)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(ResilienceConfigError)
      expect((thrown as ResilienceConfigError).option).toBe(option)
      expect((thrown as ResilienceConfigError).message).toContain(`Invalid option "${option}"`)
    })
  }

  it("names the rule in the message", () => {
    expect(() => ResilienceOtel.layer({ prometheus: { port: 70000 } })).toThrow(
      "Invalid option \"prometheus.port\": must be an integer in [0, 65535] (0 picks a free port) (got 70000)"
    )
    expect(() => ResilienceOtel.layer({ prometheus: { port: 0, endpoint: "metrics" } })).toThrow(
      "Invalid option \"prometheus.endpoint\": must be a path starting with \"/\""
    )
    expect(() => ResilienceOtel.layer({} as ResilienceOtel.Options)).toThrow(
      "at least one of `prometheus` or `metricReader` must be given"
    )
  })
})

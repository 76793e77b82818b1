/**
 * Validation of `ResilienceOtel.layer`'s options. Bad options are programmer errors: they throw
 * the core's `ResilienceConfigError` at the call, before any layer exists.
 */
import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import type * as ResilienceOtel from "../ResilienceOtel.js"

/** @internal */
export const DEFAULT_HOST = "127.0.0.1"

/** @internal */
export const DEFAULT_ENDPOINT = "/metrics"

/** @internal */
export interface ResolvedPrometheus {
  readonly port: number
  readonly host: string
  readonly endpoint: string
}

/** @internal */
export interface ResolvedOptions {
  readonly serviceName: string | undefined
  readonly prometheus: ResolvedPrometheus | undefined
  readonly metricReader: (() => MetricReader) | undefined
}

const fail = (option: string, rule: string, value: unknown): never => {
  throw new ResilienceConfigError({ option, rule, value })
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

// Duck-typed rather than `instanceof`: a second copy of sdk-metrics in node_modules must still pass.
const isMetricReader = (u: unknown): u is MetricReader =>
  isRecord(u) && typeof u.setMetricProducer === "function" && typeof u.collect === "function" &&
  typeof u.shutdown === "function"

const nonEmptyString = (option: string, value: unknown): string =>
  typeof value === "string" && value.trim().length > 0 ? value : fail(option, "must be a non-empty string", value)

const prometheus = (input: unknown): ResolvedPrometheus => {
  if (!isRecord(input)) return fail("prometheus", "must be an object like { port: 9464 }", input)
  const port = input.port
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    return fail("prometheus.port", "must be an integer in [0, 65535] (0 picks a free port)", port)
  }
  const host = input.host === undefined ? DEFAULT_HOST : nonEmptyString("prometheus.host", input.host)
  const endpoint = input.endpoint === undefined ? DEFAULT_ENDPOINT : input.endpoint
  if (typeof endpoint !== "string" || !/^\/[^\s?#]*$/.test(endpoint)) {
    return fail("prometheus.endpoint", "must be a path starting with \"/\", without spaces, \"?\" or \"#\"", endpoint)
  }
  return { port, host, endpoint }
}

const metricReader = (input: unknown): () => MetricReader => {
  const rule = "must be a MetricReader or a function returning one"
  if (isMetricReader(input)) return () => input
  if (typeof input !== "function") return fail("metricReader", rule, input)
  // The function runs when the layer is built; what it returns is checked then.
  return () => {
    const reader: unknown = input()
    return isMetricReader(reader) ? reader : fail("metricReader", rule, reader)
  }
}

/** @internal */
export const resolve = (options: ResilienceOtel.Options): ResolvedOptions => {
  if (!isRecord(options)) return fail("options", "must be an object", options)
  const input: Record<string, unknown> = options
  if (input.prometheus === undefined && input.metricReader === undefined) {
    return fail("prometheus", "at least one of `prometheus` or `metricReader` must be given", undefined)
  }
  return {
    serviceName: input.serviceName === undefined ? undefined : nonEmptyString("serviceName", input.serviceName),
    prometheus: input.prometheus === undefined ? undefined : prometheus(input.prometheus),
    metricReader: input.metricReader === undefined ? undefined : metricReader(input.metricReader)
  }
}

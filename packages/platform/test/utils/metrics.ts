import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as MetricState from "effect/MetricState"

/** The state of the metric `name` whose labels include `labels`, read from the global registry. */
export const metricState = (
  name: string,
  labels: Record<string, string>
): Effect.Effect<MetricState.MetricState.Untyped | undefined> =>
  Effect.map(Metric.snapshot, (pairs) => {
    for (const pair of pairs) {
      if (pair.metricKey.name !== name) continue
      const tags = new Map(pair.metricKey.tags.map((t) => [t.key, t.value]))
      if (Object.entries(labels).every(([k, v]) => tags.get(k) === v)) return pair.metricState
    }
    return undefined
  })

/** A counter's or gauge's value (0 when absent). */
export const metricValue = (name: string, labels: Record<string, string>): Effect.Effect<number> =>
  Effect.map(metricState(name, labels), (state) => {
    if (state === undefined) return 0
    const s = state as unknown as { readonly count?: number | bigint; readonly value?: number | bigint }
    return Number(s.count ?? s.value ?? 0)
  })

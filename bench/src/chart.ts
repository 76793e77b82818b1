/**
 * The bar chart of results.svg: each case's ratio to its group's floor, one bar per case, one
 * panel per group, drawn by vega-lite → vega → SVG (vega renders SVG in Node without canvas).
 */
import * as vega from "vega"
import { compile, type TopLevelSpec } from "vega-lite"
import type { BurstResult } from "./concurrency.js"
import type { Kind } from "./harness.js"
import type { GroupResult } from "./measure.js"

interface Bar {
  readonly group: string
  readonly order: number
  readonly case: string
  readonly kind: string
  readonly ratio: number
  readonly label: string
}

const kindNames: Record<Kind, string> = {
  floor: "floor",
  reference: "reference",
  ours: "ours",
  effect: "Effect built-in",
  peer: "peer library"
}

export const chartSpec = (
  groups: ReadonlyArray<GroupResult>,
  bursts: ReadonlyArray<BurstResult>
): TopLevelSpec => {
  const bars: Array<Bar> = []
  groups.forEach((g, order) => {
    for (const c of g.cases) {
      bars.push({
        group: `${order + 1}. ${g.group.title}`,
        order,
        case: c.case.name,
        kind: kindNames[c.case.kind],
        ratio: c.ratioToFloor,
        label: `${c.ratioToFloor.toFixed(2)}×`
      })
    }
  })
  const burstGroup = `${groups.length + 1}. Calls at once through a bulkhead of 100, × unbounded wall time`
  for (const b of bursts) {
    if (b.ratioToUnbounded === undefined) continue
    bars.push({
      group: burstGroup,
      order: groups.length,
      case: `${b.spec.name}, ${b.spec.calls.toLocaleString("en-US")} calls`,
      kind: kindNames[b.spec.kind],
      ratio: b.ratioToUnbounded,
      label: `${b.ratioToUnbounded.toFixed(2)}×${b.finished ? "" : " (stopped)"}`
    })
  }
  // the left edge of the log axis, where the bars start: the power of ten below every ratio
  const axisMin = 10 ** Math.floor(Math.log10(Math.min(1, ...bars.map((bar) => bar.ratio))))
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "effect-resilience benchmarks: median time per call as a multiple of each group's floor",
      subtitle: "log scale; shorter is faster; see RESULTS.md for the times, the machine and the method"
    },
    data: { values: bars },
    facet: {
      row: {
        field: "group",
        type: "nominal",
        sort: { field: "order" },
        title: null,
        header: { labelAngle: 0, labelOrient: "top", labelAnchor: "start", labelFontWeight: "bold", labelFontSize: 12 }
      }
    },
    spec: {
      width: 420,
      height: { step: 16 },
      encoding: {
        y: { field: "case", type: "nominal", sort: null, title: null, axis: { labelLimit: 420 } },
        x: {
          field: "ratio",
          type: "quantitative",
          scale: { type: "log", domainMin: axisMin },
          title: "× floor (log scale)"
        }
      },
      layer: [
        {
          // the floor itself
          mark: { type: "rule", color: "#555", strokeDash: [3, 3] },
          encoding: { x: { datum: 1 } }
        },
        {
          // on a log scale a bar needs an explicit base: the left edge of the axis
          mark: { type: "bar" },
          encoding: {
            x2: { datum: axisMin },
            color: {
              field: "kind",
              type: "nominal",
              title: null,
              scale: {
                domain: Object.values(kindNames),
                range: ["#9e9e9e", "#c7c7c7", "#1f77b4", "#ff7f0e", "#2ca02c"]
              }
            }
          }
        },
        {
          mark: { type: "text", align: "left", dx: 3, fontSize: 10 },
          encoding: { text: { field: "label", type: "nominal" } }
        }
      ]
    },
    resolve: { scale: { y: "independent" } },
    config: { legend: { orient: "top" } }
  }
}

export const renderChart = async (
  groups: ReadonlyArray<GroupResult>,
  bursts: ReadonlyArray<BurstResult>
): Promise<string> => {
  // vega-lite warns that the faceted, layered y scales share a field: they do, by design
  const compiled = compile(chartSpec(groups, bursts), { logger: vega.logger(vega.Error) }).spec
  const view = new vega.View(vega.parse(compiled), { renderer: "none" })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}

/**
 * Runs the groups with mitata's `measure`. Each group is measured in interleaved rounds (every
 * case once per round, after a warm-up round). A case's time is the median of its rounds'
 * medians; its ratios are the medians of its per-round ratios (each round's median over the
 * floor's median in the same round), so slow drift on a shared machine cancels out.
 */
import { measure } from "mitata"
import { callsPerRun, type Case, type Group } from "./harness.js"

export interface Timing {
  readonly rounds: number
  /** calls per sample for calls fast enough to be batched (mitata's default, 4096, makes each
   * round of a 40 µs row take 2 s) */
  readonly batchSamples: number
  /** mitata's minimum measuring time per case and round, in ns */
  readonly minCpuTime: number
  /** mitata's minimum number of samples per case and round */
  readonly minSamples: number
}

export const fullTiming: Timing = { rounds: 6, batchSamples: 512, minCpuTime: 150e6, minSamples: 12 }

export interface CaseResult {
  readonly group: Group
  readonly case: Case
  /** median ns per call: the median of the rounds' medians */
  readonly ns: number
  /** each round's median, ns per call */
  readonly roundNs: ReadonlyArray<number>
  /** the floor's median ns per call */
  readonly floorNs: number
  /** the median over rounds of (this case / the floor) in the same round */
  readonly ratioToFloor: number
  /** the smallest and largest of those per-round ratios: the noise */
  readonly ratioRange: readonly [number, number]
  /** likewise against the best peer; undefined for a group without peers */
  readonly ratioToBestPeer: number | undefined
}

export interface GroupResult {
  readonly group: Group
  readonly cases: ReadonlyArray<CaseResult>
  readonly bestPeer: string | undefined
}

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export const isPeer = (c: Case): boolean => c.kind === "effect" || c.kind === "peer"

/** Measures a group; `onCase` reports each case as it completes. */
export const measureGroup = async (group: Group, timing: Timing): Promise<GroupResult> => {
  const perRun = callsPerRun(group)
  const samples = group.cases.map(() => [] as Array<number>)
  const once = (c: Case, minCpuTime: number, minSamples: number) =>
    measure(c.run, { min_cpu_time: minCpuTime, min_samples: minSamples, batch_samples: timing.batchSamples })
  for (const c of group.cases) await once(c, timing.minCpuTime / 4, 2)
  const rounds = Math.max(timing.rounds, group.rounds ?? 0)
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < group.cases.length; i++) {
      const stats = await once(group.cases[i], timing.minCpuTime, timing.minSamples)
      samples[i].push(stats.p50 / perRun)
    }
  }
  return summarize(group, samples)
}

/** Each case's time (the median of its rounds' medians) and its ratios. */
const summarize = (group: Group, samples: ReadonlyArray<ReadonlyArray<number>>): GroupResult => {
  const ns = samples.map(median)
  const floorIndex = group.cases.findIndex((c) => c.name === group.floor)
  if (floorIndex < 0) throw new Error(`group ${group.id}: no floor case named ${group.floor}`)
  let bestPeer: number | undefined
  group.cases.forEach((c, i) => {
    if (isPeer(c) && (bestPeer === undefined || ns[i] < ns[bestPeer])) bestPeer = i
  })
  const cases = group.cases.map((c, i): CaseResult => {
    const toFloor = perRoundRatios(samples[i], samples[floorIndex])
    return {
      group,
      case: c,
      ns: ns[i],
      roundNs: samples[i],
      floorNs: ns[floorIndex],
      ratioToFloor: median(toFloor),
      ratioRange: [Math.min(...toFloor), Math.max(...toFloor)],
      ratioToBestPeer: bestPeer === undefined ? undefined : median(perRoundRatios(samples[i], samples[bestPeer]))
    }
  })
  return { group, cases, bestPeer: bestPeer === undefined ? undefined : group.cases[bestPeer].name }
}

/** Each round's ratio of `a` to `b`: rows measured seconds apart are not compared. */
const perRoundRatios = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): ReadonlyArray<number> =>
  a.map((value, round) => value / b[round])

/** The median over rounds of a / b, for two cases of the same group. */
export const pairedRatio = (a: CaseResult, b: CaseResult): number => median(perRoundRatios(a.roundNs, b.roundNs))

/** The median over rounds of a − b, ns per call, for two cases of the same group. */
export const pairedDifference = (a: CaseResult, b: CaseResult): number =>
  median(a.roundNs.map((value, round) => value - b.roundNs[round]))

/** Runs every case of a group once: the smoke mode. */
export const smokeGroup = async (group: Group): Promise<GroupResult> => {
  const samples: Array<ReadonlyArray<number>> = []
  for (const c of group.cases) {
    const start = performance.now()
    await c.run()
    samples.push([(performance.now() - start) * 1e6 / callsPerRun(group)])
  }
  return summarize(group, samples)
}

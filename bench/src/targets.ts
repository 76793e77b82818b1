/**
 * The targets of issue 6, each checked against this run's measurements, and the reference
 * figures the issue quotes beside what this run measured for the same rows.
 */
import type { BurstResult } from "./concurrency.js"
import { metricsPolicies, policyCount, WITH, WITHOUT } from "./groups/metrics.js"
import { FORK_JOIN } from "./groups/timeout.js"
import { type CaseResult, type GroupResult, pairedDifference, pairedRatio } from "./measure.js"
import type { MemoryResult } from "./memory.js"

export interface TargetRow {
  readonly target: string
  readonly measured: string
  /** undefined: not measured in this run */
  readonly met: boolean | undefined
}

export interface ReferenceRow {
  readonly what: string
  readonly issue: string
  readonly measured: string
}

export interface Measurements {
  readonly groups: ReadonlyArray<GroupResult>
  readonly bursts: ReadonlyArray<BurstResult>
  readonly memory: ReadonlyArray<MemoryResult>
}

/** Growth of the heap after GC across the measured bursts of one row that still counts as none. */
export const HEAP_GROWTH_TOLERANCE = 256 * 1024

const x = (ratio: number): string => `${ratio.toFixed(2)}×`
const range = ([low, high]: readonly [number, number]): string => `${low.toFixed(2)}–${high.toFixed(2)}×`
export const formatNs = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`
export const formatBytes = (bytes: number): string =>
  Math.abs(bytes) >= 1024 * 1024 ?
    `${(bytes / 1024 / 1024).toFixed(2)} MB` :
    Math.abs(bytes) >= 1024 ?
    `${(bytes / 1024).toFixed(2)} KB` :
    `${bytes.toFixed(0)} B`

export const findCase = (m: Measurements, groupId: string, name: string): CaseResult | undefined =>
  m.groups.find((g) => g.group.id === groupId)?.cases.find((c) => c.case.name === name)

const ours = (m: Measurements, groupId: string): ReadonlyArray<CaseResult> =>
  m.groups.find((g) => g.group.id === groupId)?.cases.filter((c) => c.case.kind === "ours") ?? []

const missing = (target: string): TargetRow => ({ target, measured: "not measured in this run", met: undefined })

const floorTargets = (m: Measurements, groupId: string, what: string, max: number): ReadonlyArray<TargetRow> => {
  const rows = ours(m, groupId)
  if (rows.length === 0) return [missing(`${what}: ≤ ${max}× the floor in-fiber`)]
  return rows.map((row) => ({
    target: `${what} — ${row.case.name}: ≤ ${max}× the floor in-fiber`,
    measured: `${x(row.ratioToFloor)} (${formatNs(row.ns)} vs ${formatNs(row.floorNs)}; rounds ${
      range(row.ratioRange)
    })`,
    met: row.ratioToFloor <= max
  }))
}

/** The stack's target, with the two figures that bound it: one fork + join, and the stack without its timeout. */
const stackTargets = (m: Measurements): ReadonlyArray<TargetRow> => {
  const forkJoin = findCase(m, "stack-fiber", FORK_JOIN)
  const withoutTimeout = findCase(m, "stack-fiber", "Policy.wrap of 3, no timeout (ours)")
  const context = [
    forkJoin === undefined ? undefined : `one fork + join alone: ${x(forkJoin.ratioToFloor)}`,
    withoutTimeout === undefined ? undefined : `the stack without its timeout: ${x(withoutTimeout.ratioToFloor)}`
  ].filter((part) => part !== undefined)
  return floorTargets(m, "stack-fiber", "4-policy stack", 6).map((row) =>
    context.length === 0 ? row : { ...row, measured: `${row.measured}; ${context.join("; ")}` }
  )
}

const forkJoinTarget = (m: Measurements, groupId: string, name: string): TargetRow => {
  const target = `${name}: within 1.3× of one bare Effect.fork + Fiber.join, in-fiber`
  const row = findCase(m, groupId, name)
  const forkJoin = findCase(m, groupId, FORK_JOIN)
  if (row === undefined || forkJoin === undefined) return missing(target)
  const ratio = pairedRatio(row, forkJoin)
  return {
    target,
    measured: `${x(ratio)} of fork + join (${formatNs(row.ns)} vs ${formatNs(forkJoin.ns)}; ` +
      `${x(row.ratioToFloor)} vs ${x(forkJoin.ratioToFloor)} the floor)`,
    met: ratio <= 1.3
  }
}

const burstTargets = (m: Measurements): ReadonlyArray<TargetRow> => {
  const rows: Array<TargetRow> = []
  const oursRows = m.bursts.filter((b) => b.spec.kind === "ours")
  const first = oursRows[0]
  const last = oursRows[oursRows.length - 1]
  const burstTarget = "10,000 concurrent calls through a bulkhead of 100: within 2× the unbounded wall time"
  if (first === undefined || first.ratioToUnbounded === undefined) rows.push(missing(burstTarget))
  else {
    const unbounded = first.wallMs / first.ratioToUnbounded
    rows.push({
      target: burstTarget.replace("10,000", first.spec.calls.toLocaleString("en-US")),
      measured: `${x(first.ratioToUnbounded)} (${first.wallMs.toFixed(0)} ms vs ${unbounded.toFixed(0)} ms)`,
      met: first.ratioToUnbounded <= 2
    })
  }
  const linearTarget = "Bulkhead linear up to 100,000 calls: µs per call at the largest burst ≤ 1.5× at 10,000"
  if (first === undefined || last === undefined || first === last) rows.push(missing(linearTarget))
  else {
    const growth = last.microsPerCall / first.microsPerCall
    const unboundedFirst = m.bursts.find((b) => b.spec.kind === "floor" && b.spec.calls === first.spec.calls)
    const unboundedLast = m.bursts.find((b) => b.spec.kind === "floor" && b.spec.calls === last.spec.calls)
    const unboundedGrowth = unboundedFirst !== undefined && unboundedLast !== undefined ?
      `; unbounded Effect.forEach: ${x(unboundedLast.microsPerCall / unboundedFirst.microsPerCall)}` :
      ""
    rows.push({
      target: linearTarget.replace("100,000", last.spec.calls.toLocaleString("en-US")).replace(
        "10,000",
        first.spec.calls.toLocaleString("en-US")
      ),
      measured: `${x(growth)} (${first.microsPerCall.toFixed(1)} → ${last.microsPerCall.toFixed(1)} µs per call` +
        `${unboundedGrowth})`,
      met: growth <= 1.5
    })
  }
  const heapTarget = `No heap growth after the bursts (ours; heap after GC, growth ≤ ${
    formatBytes(HEAP_GROWTH_TOLERANCE)
  } per row)`
  if (oursRows.length === 0) rows.push(missing(heapTarget))
  else {
    const growths = oursRows.map((b) => b.heapAfter - b.heapBefore)
    rows.push({
      target: heapTarget,
      measured: oursRows.map((b, i) => `${b.spec.calls.toLocaleString("en-US")}: ${formatBytes(growths[i])}`).join(
        ", "
      ),
      met: growths.every((growth) => growth <= HEAP_GROWTH_TOLERANCE)
    })
  }
  return rows
}

const memoryTargets = (m: Measurements): ReadonlyArray<TargetRow> => {
  const cockatiel = m.memory.find((r) => r.spec.name.startsWith("cockatiel ConsecutiveBreaker"))
  const target = (what: string) => `Bytes per ${what} ≤ cockatiel's breaker (issue: 1.2 KB)`
  if (cockatiel === undefined) return [missing(target("breaker")), missing(target("limiter"))]
  return m.memory.filter((r) => r.spec.kind === "ours").map((r) => ({
    target: `${target(r.spec.subject === "circuit breaker" ? "breaker" : "limiter")} — ${r.spec.name}`,
    measured: `${formatBytes(r.bytesPerInstance)} vs ${formatBytes(cockatiel.bytesPerInstance)}`,
    met: r.bytesPerInstance <= cockatiel.bytesPerInstance
  }))
}

const metricsTargets = (m: Measurements): ReadonlyArray<TargetRow> =>
  metricsPolicies.map((policy) => {
    const target = `Metrics and events: ≤ 0.3 µs per policy per call — ${policy}`
    const without = findCase(m, "metrics-fiber", policy + WITHOUT) ??
      findCase(m, "metrics-fork-fiber", policy + WITHOUT)
    const withMetrics = findCase(m, "metrics-fiber", policy + WITH) ?? findCase(m, "metrics-fork-fiber", policy + WITH)
    if (without === undefined || withMetrics === undefined) return missing(target)
    const extra = pairedDifference(withMetrics, without) / policyCount(policy + WITH)
    return {
      target,
      measured: `${formatNs(extra)} per policy (${formatNs(without.ns)} → ${formatNs(withMetrics.ns)} per call)`,
      met: extra <= 300
    }
  })

export const targets = (m: Measurements): ReadonlyArray<TargetRow> => {
  const rows: Array<TargetRow> = [
    ...floorTargets(m, "breaker-fiber", "Circuit breaker", 1.5),
    ...floorTargets(m, "bulkhead-fiber", "Bulkhead", 1.5),
    ...floorTargets(m, "limiter-fiber", "Rate limiter protect", 1.5),
    ...floorTargets(m, "retry-fiber", "Retry", 1.5),
    ...floorTargets(m, "fallback-fiber", "Fallback", 1.5),
    forkJoinTarget(m, "timeout-fiber", "Timeout.timeout (ours)"),
    forkJoinTarget(m, "hedge-fiber", "Hedge.hedge, 1 hedge (ours)"),
    ...stackTargets(m)
  ]
  const stack = findCase(m, "stack", "Policy.wrap of 4 (ours)")
  const cockatielWrap = findCase(m, "stack", "cockatiel wrap of 4")
  const stackTarget = "4-policy stack faster than cockatiel's wrap through runPromise"
  rows.push(
    stack === undefined || cockatielWrap === undefined ? missing(stackTarget) : {
      target: stackTarget,
      measured: `${formatNs(stack.ns)} vs ${formatNs(cockatielWrap.ns)} (${x(pairedRatio(stack, cockatielWrap))})`,
      met: pairedRatio(stack, cockatielWrap) < 1
    }
  )
  const http = findCase(m, "http", "standard(client) (ours)")
  const cockatielHttp = findCase(m, "http", "cockatiel standard pipeline around fetch")
  const httpTarget = "ResilientHttpClient.standard(client): within 1.1× a bare request on loopback"
  rows.push(
    http === undefined ? missing(httpTarget) : {
      target: httpTarget,
      measured: `${x(http.ratioToFloor)} (${formatNs(http.ns)} vs ${formatNs(http.floorNs)}; rounds ${
        range(http.ratioRange)
      })${cockatielHttp === undefined ? "" : `; cockatiel's pipeline around fetch: ${formatNs(cockatielHttp.ns)}`}`,
      met: http.ratioToFloor <= 1.1
    }
  )
  const tryAcquire = ours(m, "tryAcquire-fiber")
  if (tryAcquire.length === 0) rows.push(missing("tryAcquire ≥ 1 million decisions/s in-fiber"))
  for (const row of tryAcquire) {
    rows.push({
      target: `${row.case.name}: ≥ 1 million decisions/s in-fiber`,
      measured: `${(1e3 / row.ns).toFixed(2)} million/s (${formatNs(row.ns)} each)`,
      met: row.ns <= 1000
    }, {
      target: `${row.case.name}: ≤ 1.3× its own floor (one Clock read + one Ref.modify) in-fiber`,
      measured: `${x(row.ratioToFloor)} (${formatNs(row.ns)} vs ${formatNs(row.floorNs)}; rounds ${
        range(row.ratioRange)
      })`,
      met: row.ratioToFloor <= 1.3
    })
  }
  rows.push(...metricsTargets(m), ...burstTargets(m), ...memoryTargets(m))
  return rows
}

export const references = (m: Measurements): ReadonlyArray<ReferenceRow> => {
  const ratio = (groupId: string, name: string) => {
    const row = findCase(m, groupId, name)
    return row === undefined ? "not measured" : x(row.ratioToFloor)
  }
  const time = (groupId: string, name: string) => {
    const row = findCase(m, groupId, name)
    return row === undefined ? "not measured" : formatNs(row.ns)
  }
  const cockatielBurst = m.bursts.find((b) => b.spec.name === "cockatiel bulkhead")
  return [
    {
      what: "Effect.retry, success path, in-fiber, × floor",
      issue: "8.5×",
      measured: ratio("retry-fiber", "Effect.retry(Schedule)")
    },
    {
      what: "Semaphore.withPermits, in-fiber, × floor",
      issue: "5.8×",
      measured: ratio("bulkhead-fiber", "Semaphore.withPermits(1)")
    },
    {
      what: "effect RateLimiter (token-bucket), in-fiber, × floor",
      issue: "6.2×",
      measured: ratio("limiter-fiber", "effect RateLimiter token-bucket")
    },
    { what: "Effect.timeout, in-fiber, × floor", issue: "35–46×", measured: ratio("timeout-fiber", "Effect.timeout") },
    {
      what: "Effect.fork + Fiber.join, in-fiber, × floor",
      issue: "≈ 17×",
      measured: ratio("timeout-fiber", FORK_JOIN)
    },
    {
      what: "plain-Effect Semaphore + retry + timeout stack, in-fiber, × floor",
      issue: "66×",
      measured: ratio("stack-fiber", "plain Effect: Semaphore + retry + timeout")
    },
    { what: "cockatiel wrap of 4, per call", issue: "34 µs", measured: time("stack", "cockatiel wrap of 4") },
    {
      what: "plain-Effect 3-policy stack, per call",
      issue: "194 µs",
      measured: time("stack", "plain Effect: Semaphore + retry + timeout")
    },
    {
      what: "cockatiel bulkhead, 10,000 concurrent calls, × unbounded",
      issue: "1.8×",
      measured: cockatielBurst?.ratioToUnbounded === undefined ? "not measured" : x(cockatielBurst.ratioToUnbounded)
    }
  ]
}

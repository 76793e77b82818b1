/**
 * Bursts: N calls started at once through a bulkhead of 100 (unbounded queue), each call waiting
 * one `setImmediate`. Wall time against the same N calls with no limit (Effect rows against
 * `Effect.forEach` unbounded, promise rows against `Promise.all`), and the heap after GC before
 * the measured bursts and after them: a bulkhead that leaks waiters or queue nodes grows it.
 */
import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import Bottleneck from "bottleneck"
import { bulkhead } from "cockatiel"
import * as Effect from "effect/Effect"
import pLimit from "p-limit"
import { build, type Kind, settings } from "./harness.js"

export type Family = "Effect" | "Promise"

export interface BurstSpec {
  readonly name: string
  readonly kind: Kind
  readonly family: Family
  readonly calls: number
  readonly runs: number
  /** a run that takes longer is stopped and reported as not finished */
  readonly timeLimitMs: number
  /** run one unmeasured burst first (skipped for the slow, capped rows) */
  readonly warmUp: boolean
  readonly burst: (calls: number, timeLimitMs: number) => Promise<boolean>
}

export interface BurstResult {
  readonly spec: BurstSpec
  /** measured runs */
  readonly runs: number
  /** median wall time of the runs, ms (the time limit when a run did not finish) */
  readonly wallMs: number
  readonly finished: boolean
  readonly microsPerCall: number
  /** against the unbounded row of the same family and size */
  readonly ratioToUnbounded: number | undefined
  readonly heapBefore: number
  readonly heapAfter: number
}

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) return
  collect()
  collect()
}

/** Heap in use after a full GC (plus array buffers, which live outside the JS heap). */
export const heapAfterGc = (): number => {
  gc()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

export const gcExposed = (): boolean => typeof (globalThis as { gc?: () => void }).gc === "function"

const waitABit = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
const immediate = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve))

const effectBurst =
  (wrap: (self: Effect.Effect<void>) => Effect.Effect<void, unknown>) =>
  (calls: number, timeLimitMs: number): Promise<boolean> =>
    Effect.runPromise(
      Effect.forEach(Array.from({ length: calls }), () => wrap(waitABit), {
        concurrency: "unbounded",
        discard: true
      }).pipe(
        Effect.timeoutTo({ duration: `${timeLimitMs} millis`, onSuccess: () => true, onTimeout: () => false })
      )
    )

const promiseBurst = (
  wrap: (task: () => Promise<void>) => Promise<unknown>,
  stop: () => unknown = () => undefined
) =>
(calls: number, timeLimitMs: number): Promise<boolean> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const all = Promise.all(Array.from({ length: calls }, () => wrap(immediate))).then(() => true)
  const limit = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeLimitMs)
  })
  return Promise.race([all, limit]).then(async (finished) => {
    clearTimeout(timer)
    if (!finished) await stop()
    return finished
  })
}

const ours = build(Bulkhead.make({ maxConcurrent: settings.maxConcurrent, maxQueue: Infinity }))
const semaphore = Effect.runSync(Effect.makeSemaphore(settings.maxConcurrent))
const cockatiel = bulkhead(settings.maxConcurrent, Infinity)
const limit = pLimit(settings.maxConcurrent)
let bottleneck = new Bottleneck({ maxConcurrent: settings.maxConcurrent })

const unboundedEffect = effectBurst((self) => self)
const unboundedPromise = promiseBurst((task) => task())
const TIME_LIMIT_MS = 30_000

export interface BurstPlan {
  /** the size every bulkhead gets */
  readonly calls: number
  /** the sizes ours runs at to show how it scales */
  readonly scale: ReadonlyArray<number>
  /** the size the rows that cannot finish `calls` in time are capped at */
  readonly capped: number
  readonly timeLimitMs: number
  readonly runs: (calls: number) => number
}

export const fullPlan: BurstPlan = {
  calls: 10_000,
  scale: [20_000, 50_000, 100_000],
  capped: 1000,
  timeLimitMs: TIME_LIMIT_MS,
  runs: (calls) => calls <= 10_000 ? 5 : calls <= 20_000 ? 3 : 2
}

export const smokePlan: BurstPlan = { calls: 300, scale: [600], capped: 200, timeLimitMs: 5000, runs: () => 1 }

export const burstSpecs = (plan: BurstPlan): ReadonlyArray<BurstSpec> => {
  const spec = (
    name: string,
    kind: Kind,
    family: Family,
    calls: number,
    burst: BurstSpec["burst"],
    capped = false
  ): BurstSpec => ({
    name,
    kind,
    family,
    calls,
    runs: capped ? 1 : plan.runs(calls),
    timeLimitMs: plan.timeLimitMs,
    warmUp: !capped,
    burst
  })
  return [
    spec("unbounded Effect.forEach", "floor", "Effect", plan.calls, unboundedEffect),
    spec("Bulkhead (ours)", "ours", "Effect", plan.calls, effectBurst(ours.protect)),
    spec("unbounded Effect.forEach", "floor", "Effect", plan.capped, unboundedEffect),
    spec("Semaphore.withPermits(1)", "effect", "Effect", plan.capped, effectBurst(semaphore.withPermits(1)), true),
    spec("unbounded Promise.all", "floor", "Promise", plan.calls, unboundedPromise),
    spec("cockatiel bulkhead", "peer", "Promise", plan.calls, promiseBurst((task) => cockatiel.execute(task))),
    spec("p-limit", "peer", "Promise", plan.calls, promiseBurst((task) => limit(task))),
    spec("unbounded Promise.all", "floor", "Promise", plan.capped, unboundedPromise),
    spec(
      "bottleneck maxConcurrent",
      "peer",
      "Promise",
      plan.capped,
      promiseBurst((task) => bottleneck.schedule(task), async () => {
        await bottleneck.stop({ dropWaitingJobs: true })
        bottleneck = new Bottleneck({ maxConcurrent: settings.maxConcurrent })
      }),
      true
    ),
    ...plan.scale.flatMap((calls) => [
      spec("unbounded Effect.forEach", "floor", "Effect", calls, unboundedEffect),
      spec("Bulkhead (ours)", "ours", "Effect", calls, effectBurst(ours.protect))
    ])
  ]
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const QUICK_MS = 100

export const runBursts = async (
  specs: ReadonlyArray<BurstSpec>,
  onRow: (result: BurstResult) => void
): Promise<ReadonlyArray<BurstResult>> => {
  const results: Array<BurstResult> = []
  for (const spec of specs) {
    let runs = spec.runs
    if (spec.warmUp) {
      const start = performance.now()
      await spec.burst(spec.calls, spec.timeLimitMs)
      // a burst of a few milliseconds is noisy: run it more often
      if (performance.now() - start < QUICK_MS) runs *= 4
    }
    const heapBefore = heapAfterGc()
    const walls: Array<number> = []
    let finished = true
    for (let run = 0; run < runs && finished; run++) {
      const start = performance.now()
      finished = await spec.burst(spec.calls, spec.timeLimitMs)
      walls.push(finished ? performance.now() - start : spec.timeLimitMs)
    }
    const heapAfter = heapAfterGc()
    const wallMs = median(walls)
    const unbounded = results.find((r) =>
      r.spec.kind === "floor" && r.spec.family === spec.family && r.spec.calls === spec.calls
    )
    const result: BurstResult = {
      spec,
      runs: walls.length,
      wallMs,
      finished,
      microsPerCall: wallMs * 1000 / spec.calls,
      ratioToUnbounded: unbounded === undefined ? undefined : wallMs / unbounded.wallMs,
      heapBefore,
      heapAfter
    }
    onRow(result)
    results.push(result)
  }
  return results
}

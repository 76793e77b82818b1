/**
 * Heap bytes per instance: N breakers or limiters made and each used for one admitted call (so
 * state allocated on first use counts), all held at once; (heap after GC − heap before) / N.
 */
import type Bottleneck from "bottleneck"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { heapAfterGc } from "./concurrency.js"
import {
  cockatielConsecutive,
  cockatielSampling,
  opossumDefault,
  oursConsecutive,
  oursCountWindow,
  oursTimeWindow
} from "./groups/breaker.js"
import { bottleneckReservoir, effectLimiter, flexibleLimiter, oursLimiter } from "./groups/limiter.js"
import { call, fn, type Kind } from "./harness.js"

export type Subject = "circuit breaker" | "rate limiter"

export interface MemorySpec {
  readonly name: string
  readonly subject: Subject
  readonly kind: Kind
  /** makes an instance and uses it once; the instance is then held until all are measured */
  readonly make: (scope: Scope.Scope) => Promise<unknown>
  /** stops an instance's timers (those not tied to the scope) */
  readonly dispose?: (instance: any) => unknown
}

export interface MemoryResult {
  readonly spec: MemorySpec
  readonly instances: number
  readonly bytesPerInstance: number
  /** to make, use and measure the instances */
  readonly ms: number
  /** to dispose of them and close their scope */
  readonly disposeMs: number
}

const ours = (
  effect: Effect.Effect<
    { readonly protect: (self: typeof call) => Effect.Effect<number, unknown> },
    never,
    Scope.Scope
  >
) =>
async (scope: Scope.Scope) => {
  const instance = Effect.runSync(Scope.extend(effect, scope))
  await Effect.runPromise(instance.protect(call))
  return instance
}

export const memorySpecs: ReadonlyArray<MemorySpec> = [
  { name: "consecutive(5) (ours)", subject: "circuit breaker", kind: "ours", make: ours(oursConsecutive()) },
  {
    name: "failureRate, 100-call window (ours)",
    subject: "circuit breaker",
    kind: "ours",
    make: ours(oursCountWindow())
  },
  { name: "failureRate, 10 s window (ours)", subject: "circuit breaker", kind: "ours", make: ours(oursTimeWindow()) },
  {
    name: "cockatiel ConsecutiveBreaker(5)",
    subject: "circuit breaker",
    kind: "peer",
    make: async () => {
      const breaker = cockatielConsecutive()
      await breaker.execute(fn)
      return breaker
    }
  },
  {
    name: "cockatiel SamplingBreaker(50%, 10 s)",
    subject: "circuit breaker",
    kind: "peer",
    make: async () => {
      const breaker = cockatielSampling()
      await breaker.execute(fn)
      return breaker
    }
  },
  {
    name: "opossum, default options",
    subject: "circuit breaker",
    kind: "peer",
    make: async () => {
      const breaker = opossumDefault()
      await breaker.fire()
      return breaker
    },
    dispose: (breaker: ReturnType<typeof opossumDefault>) => breaker.shutdown()
  },
  ...(["token-bucket", "fixed-window", "sliding-window"] as const).map((algorithm): MemorySpec => ({
    name: `${algorithm} (ours)`,
    subject: "rate limiter",
    kind: "ours",
    make: ours(oursLimiter(algorithm))
  })),
  {
    name: "effect RateLimiter token-bucket",
    subject: "rate limiter",
    kind: "effect",
    make: async (scope) => {
      const limiter = Effect.runSync(Scope.extend(effectLimiter("token-bucket"), scope))
      await Effect.runPromise(limiter(call))
      return limiter
    }
  },
  {
    name: "rate-limiter-flexible memory, one key",
    subject: "rate limiter",
    kind: "peer",
    make: async () => {
      const limiter = flexibleLimiter()
      await limiter.consume("key")
      return limiter
    }
  },
  {
    name: "bottleneck reservoir",
    subject: "rate limiter",
    kind: "peer",
    make: async () => {
      const limiter = bottleneckReservoir()
      await limiter.schedule(fn)
      return limiter
    },
    dispose: (limiter: Bottleneck) => limiter.disconnect()
  }
]

const CHUNK = 1000

export const measureMemory = async (
  specs: ReadonlyArray<MemorySpec>,
  instances: number,
  onRow: (result: MemoryResult) => void
): Promise<ReadonlyArray<MemoryResult>> => {
  const results: Array<MemoryResult> = []
  for (const spec of specs) {
    const scope = Effect.runSync(Scope.make())
    // the slots are allocated before the heap is read, so only the instances are counted
    const kept: Array<unknown> = new Array(instances + 1).fill(null)
    // one instance first, so lazily loaded code and shared caches are not counted
    kept[instances] = await spec.make(scope)
    const start = performance.now()
    const before = heapAfterGc()
    // made in chunks that are used concurrently: some peers take milliseconds per first call
    for (let i = 0; i < instances; i += CHUNK) {
      const chunk = Array.from({ length: Math.min(CHUNK, instances - i) }, () => spec.make(scope))
      const made = await Promise.all(chunk)
      for (let j = 0; j < made.length; j++) kept[i + j] = made[j]
    }
    const after = heapAfterGc()
    const ms = performance.now() - start
    const dispose = spec.dispose
    if (dispose !== undefined) {
      // concurrently: bottleneck's disconnect waits on a timer
      for (let i = 0; i < kept.length; i += CHUNK) await Promise.all(kept.slice(i, i + CHUNK).map(dispose))
    }
    kept.fill(null)
    await Effect.runPromise(Scope.close(scope, Exit.void))
    const disposeMs = performance.now() - start - ms
    const result: MemoryResult = { spec, instances, bytesPerInstance: (after - before) / instances, ms, disposeMs }
    onRow(result)
    results.push(result)
  }
  return results
}

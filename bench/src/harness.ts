/**
 * What every group shares: the call being protected, the two ways of measuring it, the scope
 * our stateful policies live in, and the options every implementation gets (same fn, same
 * limits, same durations for ours, Effect's built-ins and the peers).
 */
import * as Resilience from "@effect-resilience/core/Resilience"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"

/** The protected call: an already-resolved promise, so a row measures the policy, not the work. */
export const fn = (): Promise<number> => Promise.resolve(1)
/** The same call as an Effect, built once. */
export const call: Effect.Effect<number> = Effect.promise(fn)

/** In-fiber rows run this many calls inside one `Effect.runPromise`; their time is per call. */
export const IN_FIBER_CALLS = 1000

/** Options shared by every implementation of a policy. */
export const settings = {
  /** bulkheads: at most this many at once, the rest wait in an unbounded queue */
  maxConcurrent: 100,
  /** breakers: consecutive failures before opening, and the break */
  consecutiveFailures: 5,
  breakMillis: 30_000,
  /** failure-rate breakers: open at 50% failures over 100 calls or over 10 seconds */
  failureThreshold: 0.5,
  windowCalls: 100,
  windowMillis: 10_000,
  /** retries: exponential from 10 ms, at most 3 retries */
  retryBaseMillis: 10,
  maxRetries: 3,
  /** timeouts and hedges */
  timeoutMillis: 1000,
  hedgeDelayMillis: 1000,
  /** rate limiters: so many permits per second that no row is ever throttled */
  limit: 1e12,
  intervalMillis: 1000
} as const

/** `floor`: the row ratios are taken against; `reference`: a yardstick that is not a policy. */
export type Kind = "floor" | "reference" | "ours" | "effect" | "peer"

/** `runPromise`: one `Effect.runPromise` (or one peer `execute`) per call; `in-fiber`: see above. */
export type Mode = "runPromise" | "in-fiber"

export interface Case {
  readonly name: string
  readonly kind: Kind
  /** one run: one call (`runPromise` mode) or `IN_FIBER_CALLS` calls (`in-fiber` mode) */
  readonly run: () => unknown
}

/**
 * Rounds for the in-fiber groups that a target is read from: twice the default, since a ratio
 * within 10% of its target lands on either side of it from run to run with 6 rounds here.
 */
export const TARGET_ROUNDS = 12

export interface Group {
  /** stable id, used by the targets */
  readonly id: string
  readonly title: string
  readonly mode: Mode
  /** the name of the case every ratio is taken against */
  readonly floor: string
  readonly cases: ReadonlyArray<Case>
  readonly note?: string
  /** more interleaved rounds than the default, for rows whose noise is large next to the difference sought */
  readonly rounds?: number
}

export const callsPerRun = (group: Group): number => group.mode === "in-fiber" ? IN_FIBER_CALLS : 1

/** One call per run, through `Effect.runPromise`. */
export const perCall = (effect: Effect.Effect<unknown, unknown>): () => Promise<unknown> => () =>
  Effect.runPromise(effect)

/**
 * `IN_FIBER_CALLS` calls inside one running Effect. With `metrics`, the loop runs under
 * `Resilience.layer()`'s context (provided once around the loop, not per call).
 */
export const inFiber = (
  effect: Effect.Effect<unknown, unknown>,
  options?: { readonly metrics?: boolean }
): () => Promise<unknown> => {
  // `Effect.whileLoop`, not `Effect.repeatN`: repeatN yields to the scheduler between
  // iterations (≈ 0.7 µs here), which would inflate every floor and flatten every ratio
  const loop = Effect.suspend(() => {
    let done = 0
    return Effect.whileLoop({ while: () => done < IN_FIBER_CALLS, body: () => effect, step: () => done++ })
  })
  const provided = options?.metrics === true ? Effect.provide(loop, observed) : loop
  return () => Effect.runPromise(provided)
}

// Our stateful policies live as long as this scope: the whole benchmark process.
const scope = Effect.runSync(Scope.make())

/** Builds one of our scoped policies for the life of the process. */
export const build = <A>(effect: Effect.Effect<A, never, Scope.Scope>): A => Effect.runSync(Scope.extend(effect, scope))

/**
 * The context of `Resilience.layer()` (metrics and events on, events without a subscriber). A
 * stateful policy made under it reports to it; a combinator reports when it runs under it.
 */
export const observed = Effect.runSync(Layer.buildWithScope(Resilience.layer(), scope))

/** Builds one of our scoped policies under `Resilience.layer()`: it reports metrics and events. */
export const buildObserved = <A>(effect: Effect.Effect<A, never, Scope.Scope>): A =>
  build(Effect.provide(effect, observed))

/** Closes the process-wide scope (our policies' fibers and finalizers). */
export const closeAll = (): Promise<void> => Effect.runPromise(Scope.close(scope, Exit.void))

const cleanups: Array<() => unknown> = []

/** Registers the disposal of a peer's instance (timers, intervals) for the end of the run. */
export const disposeAtExit = <A>(instance: A, dispose: (instance: A) => unknown): A => {
  cleanups.push(() => dispose(instance))
  return instance
}

/** Disposes every registered peer instance, then closes our scope. */
export const disposeAll = async (): Promise<void> => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await closeAll()
}

/**
 * The breaker's state machine, kept in process memory. Each `unsafe*` method is one atomic
 * decision (JS runs it to completion), written so that it reads as the Lua script a Redis
 * store would run: observe the clock, check the generation, decide, return the transitions.
 * The trip policy's counter decides when Closed opens; everything else lives here.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as CircuitBreaker from "../../CircuitBreaker.js"
import * as validate from "../validate.js"

type State = CircuitBreaker.State
type Transition = CircuitBreaker.Transition
type Store = CircuitBreaker.Store
type Admission = CircuitBreaker.Store.Admission
type Result = CircuitBreaker.Store.Result

const NONE: ReadonlyArray<Transition> = []

/** Results of operations that changed nothing, one per state, so quiet calls allocate nothing. */
const QUIET: Record<State, Result> = {
  Closed: { state: "Closed", transitions: NONE, opened: false },
  Open: { state: "Open", transitions: NONE, opened: false },
  HalfOpen: { state: "HalfOpen", transitions: NONE, opened: false },
  Isolated: { state: "Isolated", transitions: NONE, opened: false }
}

const REJECTED_ISOLATED: Admission = { _tag: "Rejected", state: "Isolated", retryAfterMillis: 0, transitions: NONE }
const REJECTED_HALF_OPEN: Admission = { _tag: "Rejected", state: "HalfOpen", retryAfterMillis: 0, transitions: NONE }

/**
 * The admission of every Closed call in generation `g` (for `g` below `SHARED_GENERATIONS`), shared
 * by every breaker: it holds nothing but the generation. Filled on demand.
 */
const CLOSED_ADMISSIONS: Array<Admission> = []
const SHARED_GENERATIONS = 1024

const closedAdmission = (generation: number): Admission => ({
  _tag: "Admitted",
  generation,
  lease: 0,
  transitions: NONE
})

/** Probe leases in flight (ids and expiry times), kept from the first HalfOpen on. */
class Leases {
  readonly ids: Array<number> = []
  readonly expiries: Array<number> = []
  next = 1
}

/** @internal */
export class MemoryStore implements Store {
  state: State = "Closed"
  generation = 0
  openedAt = 0
  breakMillis = 0
  /** probes that succeeded in this HalfOpen period */
  successes = 0
  leases: Leases | undefined = undefined
  /** transitions of the operation in progress */
  out: Array<Transition> | undefined = undefined
  /** the admission of every Closed call in this generation, once it is past the shared ones */
  admitted: Admission | undefined = undefined

  constructor(
    readonly name: string,
    readonly counter: CircuitBreaker.TripPolicy.Counter,
    readonly halfOpenMaxCalls: number,
    readonly leaseMillis: number
  ) {}

  private move(to: State, at: number): void {
    const transition: Transition = { name: this.name, from: this.state, to, at }
    if (this.out === undefined) this.out = [transition]
    else this.out.push(transition)
    this.state = to
    this.nextGeneration()
  }

  private nextGeneration(): void {
    this.generation++
    this.successes = 0
    this.admitted = undefined
    if (this.leases !== undefined) {
      this.leases.ids.length = 0
      this.leases.expiries.length = 0
    }
    this.counter.reset()
  }

  private open(now: number, breakMillis: number): void {
    if (this.state === "Open") this.nextGeneration()
    else this.move("Open", now)
    this.openedAt = now
    this.breakMillis = breakMillis
  }

  /** Open → HalfOpen once the break has passed, stamped with the moment it ended. */
  private endBreak(now: number): void {
    if (this.state === "Open" && now >= this.openedAt + this.breakMillis) {
      this.move("HalfOpen", this.openedAt + this.breakMillis)
    }
  }

  private takeTransitions(): ReadonlyArray<Transition> {
    const out = this.out
    this.out = undefined
    return out ?? NONE
  }

  private result(opened: boolean): Result {
    if (this.out === undefined && !opened) return QUIET[this.state]
    return { state: this.state, transitions: this.takeTransitions(), opened }
  }

  private expireLeases(now: number): void {
    if (this.leases === undefined) return
    const { expiries, ids } = this.leases
    for (let i = ids.length - 1; i >= 0; i--) {
      if (expiries[i] <= now) {
        ids.splice(i, 1)
        expiries.splice(i, 1)
      }
    }
  }

  /** Frees `lease`; false when it is not held (expired, or from another period). */
  private release(lease: number): boolean {
    const leases = this.leases
    const i = leases === undefined ? -1 : leases.ids.indexOf(lease)
    if (i < 0) return false
    leases!.ids.splice(i, 1)
    leases!.expiries.splice(i, 1)
    return true
  }

  /** Whether `admit(now)` could hand out a probe lease (or observe the end of a break). */
  unsafeMayLease(now: number): boolean {
    return this.state === "HalfOpen" || (this.state === "Open" && now >= this.openedAt + this.breakMillis)
  }

  unsafeAdmit(now: number): Admission {
    this.endBreak(now)
    switch (this.state) {
      case "Closed":
        // endBreak never leads to Closed, so there are no transitions to report here
        return this.generation < SHARED_GENERATIONS
          ? CLOSED_ADMISSIONS[this.generation] ??= closedAdmission(this.generation)
          : this.admitted ??= closedAdmission(this.generation)
      case "Open":
        return {
          _tag: "Rejected",
          state: "Open",
          retryAfterMillis: this.openedAt + this.breakMillis - now,
          transitions: this.takeTransitions()
        }
      case "Isolated":
        return REJECTED_ISOLATED
      case "HalfOpen": {
        this.expireLeases(now)
        const leases = this.leases ??= new Leases()
        if (leases.ids.length >= this.halfOpenMaxCalls) {
          return this.out === undefined
            ? REJECTED_HALF_OPEN
            : { ...REJECTED_HALF_OPEN, transitions: this.takeTransitions() }
        }
        const lease = leases.next++
        leases.ids.push(lease)
        leases.expiries.push(now + this.leaseMillis)
        return { _tag: "Admitted", generation: this.generation, lease, transitions: this.takeTransitions() }
      }
    }
  }

  unsafeRecord(
    ticket: CircuitBreaker.Store.Ticket,
    outcome: CircuitBreaker.Store.Outcome,
    slow: boolean,
    now: number,
    breakMillis: number
  ): Result {
    this.endBreak(now)
    if (ticket.generation !== this.generation) return this.result(false)
    if (this.state === "Closed") {
      if (outcome !== "ignored" && this.counter.record(outcome === "failure", slow, now)) {
        this.open(now, breakMillis)
        return this.result(true)
      }
      return this.result(false)
    }
    if (this.state !== "HalfOpen") return this.result(false)
    this.expireLeases(now)
    if (!this.release(ticket.lease) || outcome === "ignored") return this.result(false)
    if (outcome === "failure") {
      this.open(now, breakMillis)
      return this.result(true)
    }
    this.successes++
    if (this.successes >= this.halfOpenMaxCalls) this.move("Closed", now)
    return this.result(false)
  }

  unsafeObserve(now: number): Result {
    this.endBreak(now)
    return this.result(false)
  }

  unsafeTrip(now: number, breakMillis: number): Result {
    this.endBreak(now)
    if (this.state === "Isolated") return this.result(false)
    this.open(now, breakMillis)
    return this.result(true)
  }

  unsafeIsolate(now: number): Result {
    this.endBreak(now)
    if (this.state !== "Isolated") this.move("Isolated", now)
    return this.result(false)
  }

  unsafeReset(now: number): Result {
    this.endBreak(now)
    if (this.state === "Closed") this.nextGeneration()
    else this.move("Closed", now)
    return this.result(false)
  }

  unsafeSnapshot(): CircuitBreaker.Snapshot {
    return {
      state: this.state,
      openedAt: this.openedAt,
      breakMillis: this.breakMillis,
      halfOpenSuccesses: this.successes,
      counts: this.counter.toJSON()
    }
  }

  /** `snapshot` must have been checked by `validateSnapshot`. */
  unsafeRestore(snapshot: CircuitBreaker.Snapshot): void {
    this.state = snapshot.state
    this.openedAt = snapshot.openedAt
    this.breakMillis = snapshot.breakMillis
    this.successes = snapshot.halfOpenSuccesses
    this.counter.restore(snapshot.counts)
  }

  admit(now: number): Effect.Effect<Admission> {
    return Effect.sync(() => this.unsafeAdmit(now))
  }
  record(
    ticket: CircuitBreaker.Store.Ticket,
    outcome: CircuitBreaker.Store.Outcome,
    slow: boolean,
    now: number,
    breakMillis: number
  ): Effect.Effect<Result> {
    return Effect.sync(() => this.unsafeRecord(ticket, outcome, slow, now, breakMillis))
  }
  observe(now: number): Effect.Effect<Result> {
    return Effect.sync(() => this.unsafeObserve(now))
  }
  trip(now: number, breakMillis: number): Effect.Effect<Result> {
    return Effect.sync(() => this.unsafeTrip(now, breakMillis))
  }
  isolate(now: number): Effect.Effect<Result> {
    return Effect.sync(() => this.unsafeIsolate(now))
  }
  reset(now: number): Effect.Effect<Result> {
    return Effect.sync(() => this.unsafeReset(now))
  }
  snapshot(_now: number): Effect.Effect<CircuitBreaker.Snapshot> {
    return Effect.sync(() => this.unsafeSnapshot())
  }
}

/** @internal */
export const makeMemoryStore = (config: CircuitBreaker.Store.Config, leaseMillis = Infinity): MemoryStore => {
  const store = new MemoryStore(config.name, config.trip.make(), config.halfOpenMaxCalls, leaseMillis)
  if (config.initialState !== undefined) store.unsafeRestore(config.initialState)
  return store
}

/** @internal */
export const memoryStore = (options?: CircuitBreaker.MemoryStoreOptions): CircuitBreaker.Store.Factory => {
  const o = validate.optionalObject("options", options) ?? {}
  const lease = validate.optionalDuration("probeLease", o.probeLease, { allowZero: false, allowInfinite: true })
  const leaseMillis = lease === undefined ? Infinity : Duration.toMillis(lease)
  return (config): Effect.Effect<Store, never, Scope.Scope> => Effect.sync(() => makeMemoryStore(config, leaseMillis))
}

/** @internal */
export const defaultStore: CircuitBreaker.Store.Factory = memoryStore()

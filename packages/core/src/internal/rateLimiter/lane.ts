/**
 * A lane is one key's FIFO queue of waiters, and the planner that tells a newcomer when it
 * would be admitted behind them.
 *
 * Only the head of the queue takes permits: it sleeps on the Clock until its permits exist,
 * takes them, leaves, and hands the turn to the next waiter (one `Deferred` completed, so O(1)
 * per admission). Waiters behind it sleep on nothing and are woken exactly once. An interrupted
 * waiter just unlinks itself (O(1)) and, if it was the head, hands the turn on, so nobody waits
 * behind a waiter that has gone.
 */
import * as Deferred from "effect/Deferred"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { type Linked, LinkedList } from "../waitQueue.js"
import * as algorithms from "./algorithms.js"

/** @internal */
export class Waiter implements Linked<Waiter> {
  prev: Waiter | undefined = undefined
  next: Waiter | undefined = undefined
  /** true while queued */
  linked = false
  /** completed when this waiter becomes the head; absent for a waiter that was the head at once */
  turn: Deferred.Deferred<void> | undefined = undefined
  constructor(readonly permits: number, readonly since: number) {}
}

/**
 * Told when a lane gets its first waiter and when its last one leaves: a keyed limiter never
 * evicts a key while it has waiters.
 *
 * @internal
 */
export interface Owner {
  readonly occupied: (lane: Lane) => void
  readonly vacated: (lane: Lane) => void
}

/**
 * The lane is itself the list of its waiters (`head` is the one taking permits).
 *
 * @internal
 */
export class Lane extends LinkedList<Waiter> {
  owner: Owner | undefined = undefined
  /**
   * The state after every queued waiter has been admitted, each as soon as its permits exist,
   * and the instant the last one will be. Undefined when unknown (rebuilt on demand).
   */
  plan: algorithms.Cell | undefined = undefined
  planEta = 0
  /** when the key is back at its fresh state, as last reported by an effectful store */
  freshAt = -Infinity

  constructor(
    /** the key in the store */
    readonly key: string,
    /** the key reported in `RateLimited` (undefined for an unkeyed limiter) */
    readonly reportKey: string | undefined,
    /** the key's state, for stores with a synchronous face */
    readonly cell: algorithms.Cell | undefined
  ) {
    super()
  }

  /**
   * Appends a waiter. With `planned`, the plan (when known) is extended by it; otherwise the
   * plan is dropped, to be rebuilt by the next newcomer that needs one.
   */
  enqueue(permits: number, now: number, planned: boolean): Waiter {
    const waiter = new Waiter(permits, now)
    if (this.tail === undefined) {
      this.append(waiter)
      this.plan = undefined
      this.owner?.occupied(this)
      return waiter
    }
    waiter.turn = Deferred.unsafeMake<void>(FiberId.none)
    this.append(waiter)
    if (planned && this.plan !== undefined) {
      this.planEta = algorithms.takeAtEarliest(this.plan, permits, Math.max(this.planEta, now))
    } else {
      this.plan = undefined
    }
    return waiter
  }

  /**
   * Unlinks a waiter (idempotent). A waiter that leaves without being admitted invalidates the
   * plan: those behind it may now be admitted sooner.
   */
  leave(waiter: Waiter, admitted: boolean): void {
    const wasHead = this.head === waiter
    if (!this.remove(waiter)) return
    if (!admitted) this.plan = undefined
    const head = this.head
    if (head === undefined) {
      this.plan = undefined
      this.owner?.vacated(this)
    } else if (wasHead) {
      Deferred.unsafeDone(head.turn!, Exit.void)
    }
  }

  /**
   * The instant a newcomer for `permits` arriving at `now` would be admitted behind the queue
   * (which must not be empty), if nothing but the queue took permits. `rebuild` gives a cell
   * holding the current state; the queue is replayed on it when no plan is known.
   */
  eta(permits: number, now: number, rebuild: () => algorithms.Cell): number {
    let plan = this.plan
    if (plan === undefined) {
      plan = rebuild()
      let at = now
      for (let waiter = this.head; waiter !== undefined; waiter = waiter.next) {
        at = algorithms.takeAtEarliest(plan, waiter.permits, at)
      }
      this.plan = plan
      this.planEta = at
    }
    const from = Math.max(this.planEta, now)
    return from + plan.wait(permits, from)
  }
}

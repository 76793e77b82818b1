/**
 * Deadlines on a Clock without a fiber per deadline, for Timeout and Hedge.
 *
 * A deadline is an entry in a list shared by every deadline of the same duration on the same
 * Clock. Entries of one duration expire in the order they were armed, so a list is kept in
 * arrival order (a doubly linked list: cancelling is O(1) and leaves nothing behind), and one
 * daemon fiber per list sleeps on the Clock until its head expires, fires every expired entry and
 * sleeps again. This is how Node keeps its own timers, one list per duration.
 *
 * Arming a deadline therefore allocates one entry and, while the list's fiber runs, no fiber and
 * no Clock timer. The fiber stops when the list is empty: at once if the last entry fired, and
 * after a few microtask turns without a new entry if the last one was cancelled, so back-to-back
 * calls reuse it while an idle program is left with no pending Clock timer (a timer would keep
 * a Node process alive for up to the whole duration after the last call). That idle check is
 * housekeeping, not time: it runs on microtasks (`queueMicrotask`), which cost a fraction of a
 * task on Effect's scheduler, and it never decides when a deadline fires.
 *
 * Deadlines are absolute Clock times taken when armed, so a list's fiber that starts late (or a
 * TestClock moved before it ran) still fires every entry that is due.
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { type Linked, LinkedList } from "./waitQueue.js"

/**
 * Microtask turns an emptied list waits, without a new entry, before its fiber stops. Back-to-back
 * calls (a loop of `Effect.runPromise`) arm the next entry within two or three turns; a program
 * that waits for I/O between calls restarts the fiber on its next call (one fork).
 */
const IDLE_TURNS = 8

/** @internal */
export class Entry implements Linked<Entry> {
  prev: Entry | undefined = undefined
  next: Entry | undefined = undefined
  /** true while armed: false once fired or cancelled */
  linked = false
  constructor(readonly list: TimerList, readonly at: number, readonly fire: () => void) {}

  /**
   * Removes the entry if it has not fired; a list this empties starts its idle check.
   */
  cancel(): void {
    const list = this.list
    if (list.entries.remove(this) && list.entries.head === undefined) list.idle()
  }
}

/** @internal */
export class TimerList {
  /** in arrival order, which is deadline order: one duration for all */
  readonly entries = new LinkedList<Entry>()
  /** a fiber is started (or being started) for this list */
  running = false
  stopped = false
  fiber: Fiber.RuntimeFiber<void> | undefined = undefined
  /** entries armed so far: the idle check sees whether any came and went between two turns */
  armedCount = 0
  private checking = false
  private seen = 0
  private quietTurns = 0

  constructor(
    readonly clock: Clock.Clock,
    readonly millis: number,
    readonly lists: Map<number, TimerList>
  ) {}

  push(fire: () => void): Entry {
    this.armedCount++
    return this.entries.append(new Entry(this, this.clock.unsafeCurrentTimeMillis() + this.millis, fire))
  }

  /** the fiber's body: fire what is due, sleep until the next head expires */
  readonly loop: Effect.Effect<void> = Effect.suspend(() => {
    if (this.stopped) return Effect.void
    const now = this.clock.unsafeCurrentTimeMillis()
    const entries = this.entries
    let entry = entries.head
    while (entry !== undefined && entry.at <= now) {
      entries.shift()
      entry.fire()
      entry = entries.head
    }
    if (entry === undefined) {
      this.stop(false)
      return Effect.void
    }
    return Effect.zipRight(this.clock.sleep(Duration.millis(entry.at - now)), this.loop)
  })

  /** starts the list's fiber, unless it runs */
  readonly start: Effect.Effect<void> = Effect.suspend(() => {
    if (this.fiber !== undefined || this.stopped) return Effect.void
    return Effect.map(Effect.forkDaemon(Effect.interruptible(this.loop)), (fiber) => {
      if (this.stopped) fiber.unsafeInterruptAsFork(FiberId.none)
      else this.fiber = fiber
    })
  })

  idle(): void {
    if (this.checking || this.stopped) return
    this.checking = true
    this.seen = this.armedCount
    this.quietTurns = 0
    queueMicrotask(this.check)
  }

  private readonly check = (): void => {
    if (this.stopped || this.entries.head !== undefined) {
      this.checking = false
      return
    }
    if (this.armedCount !== this.seen) {
      this.seen = this.armedCount
      this.quietTurns = 0
    } else if (++this.quietTurns >= IDLE_TURNS) {
      this.checking = false
      this.stop(true)
      return
    }
    queueMicrotask(this.check)
  }

  private stop(interrupt: boolean): void {
    this.stopped = true
    this.running = false
    const fiber = this.fiber
    this.fiber = undefined
    if (interrupt && fiber !== undefined) fiber.unsafeInterruptAsFork(FiberId.none)
    if (this.lists.get(this.millis) === this) this.lists.delete(this.millis)
  }
}

const listsByClock = new WeakMap<Clock.Clock, Map<number, TimerList>>()

/**
 * The lists in use on `clock`, each with its fiber started or starting (for tests: an idle
 * program has none).
 *
 * @internal
 */
export const activeLists = (clock: Clock.Clock): ReadonlyArray<TimerList> => [
  ...(listsByClock.get(clock)?.values() ?? [])
]

/**
 * The deadlines of one duration, as a policy holds them: it remembers the list of the last Clock
 * it armed on, so the hot path does not look the list up.
 *
 * @internal
 */
export class Timer {
  private clock: Clock.Clock | undefined = undefined
  private list: TimerList | undefined = undefined

  constructor(readonly millis: number) {}

  /**
   * Arms `fire` for `millis` from now on `clock`. The caller must then run `started(entry)`,
   * which starts the entry's list's fiber when it has none.
   */
  arm(clock: Clock.Clock, fire: () => void): Entry {
    let list = this.clock === clock ? this.list : undefined
    if (list === undefined || list.stopped) {
      let lists = listsByClock.get(clock)
      if (lists === undefined) {
        lists = new Map()
        listsByClock.set(clock, lists)
      }
      list = lists.get(this.millis)
      if (list === undefined) {
        list = new TimerList(clock, this.millis, lists)
        lists.set(this.millis, list)
      }
      this.clock = clock
      this.list = list
    }
    return list.push(fire)
  }
}

/**
 * Starts the fiber of `entry`'s list when it has none; `Effect.void` (the same value) when it
 * runs, so callers can skip a step.
 *
 * @internal
 */
export const started = (entry: Entry): Effect.Effect<void> => {
  const list = entry.list
  if (list.running) return Effect.void
  list.running = true
  return list.start
}

/**
 * Arms `fire` and then runs `effect` with the entry, starting the list's fiber first when it is
 * not running.
 *
 * @internal
 */
export const armed = <A, E, R>(
  timer: Timer,
  clock: Clock.Clock,
  fire: () => void,
  effect: (entry: Entry) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  const entry = timer.arm(clock, fire)
  const start = started(entry)
  return start === Effect.void ? effect(entry) : Effect.zipRight(start, effect(entry))
}

/**
 * The `commandTimeout` of a store's commands, in real time, without a timer per command.
 *
 * Every command of a store has the same timeout, so the deadlines expire in the order the
 * commands were sent: they are kept in a doubly linked list in that order (settling a command
 * unlinks it in O(1)), and one timer, a fiber sleeping on the live Clock, waits for the head.
 * When it fires it times out every command that is due and sleeps until the next head; with
 * nothing pending it stops, and the next command starts it again. The timer is not stopped when
 * a command settles early, so back-to-back commands share one timer per timeout period instead
 * of starting one each; closing the store stops it, so a pending timer never keeps the process
 * alive after the store's scope closes.
 *
 * A timer per command (`AbortSignal.timeout`) or a fiber per command (`Effect.timeout`) measured
 * two to ten times slower than the round trip it guards.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/** The live clock: network timing is real time, never the caller's (possibly Test) Clock. */
const realClock: Clock.Clock = Clock.make()

/** @internal */
export class Deadline {
  prev: Deadline | undefined = undefined
  next: Deadline | undefined = undefined
  linked = true
  constructor(readonly list: Deadlines, readonly at: number, readonly onTimeout: () => void) {}

  /** Removes the deadline: the command settled or its caller was interrupted. */
  cancel(): void {
    this.list.remove(this)
  }
}

/** @internal */
export class Deadlines {
  private head: Deadline | undefined = undefined
  private tail: Deadline | undefined = undefined
  private timer: Fiber.RuntimeFiber<void> | undefined = undefined
  private closed = false

  constructor(readonly millis: number) {}

  /** The real time now, in millis. */
  now(): number {
    return realClock.unsafeCurrentTimeMillis()
  }

  /** Calls `onTimeout` `millis` from now, unless the returned deadline is cancelled first. */
  add(onTimeout: () => void): Deadline {
    const deadline = new Deadline(this, this.now() + this.millis, onTimeout)
    if (this.tail === undefined) this.head = deadline
    else {
      this.tail.next = deadline
      deadline.prev = this.tail
    }
    this.tail = deadline
    if (this.timer === undefined && !this.closed) this.arm(deadline.at)
    return deadline
  }

  remove(deadline: Deadline): void {
    if (!deadline.linked) return
    deadline.linked = false
    if (deadline.prev === undefined) this.head = deadline.next
    else deadline.prev.next = deadline.next
    if (deadline.next === undefined) this.tail = deadline.prev
    else deadline.next.prev = deadline.prev
    deadline.prev = deadline.next = undefined
  }

  /** Stops the timer; pending deadlines never fire (their commands are abandoned by then). */
  readonly close: Effect.Effect<void> = Effect.suspend(() => {
    this.closed = true
    const timer = this.timer
    this.timer = undefined
    return timer === undefined ? Effect.void : Fiber.interrupt(timer)
  })

  private arm(at: number): void {
    this.timer = Effect.runFork(
      Effect.zipRight(realClock.sleep(Duration.millis(Math.max(0, at - this.now()))), Effect.sync(this.fire))
    )
  }

  private readonly fire = (): void => {
    this.timer = undefined
    if (this.closed) return
    const now = this.now()
    let head = this.head
    while (head !== undefined && head.at <= now) {
      this.remove(head)
      head.onTimeout()
      head = this.head
    }
    if (head !== undefined && this.timer === undefined && !this.closed) this.arm(head.at)
  }
}

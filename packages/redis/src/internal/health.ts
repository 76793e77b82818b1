/**
 * Whether Redis answers, shared by every breaker and limiter of one store. Each command runs
 * under `commandTimeout`; a command that fails or times out marks Redis down, and then it is
 * tried again at most once per back-off period (10 × `commandTimeout`): the other calls are
 * answered at once by the store's `onUnavailable` policy.
 *
 * Network timing is real time, never the caller's Clock: a `TestClock` must neither stall nor
 * fire an I/O timeout. The back-off and the timeouts (`deadlines.ts`) read Effect's default
 * (live) Clock, taken explicitly (`Clock.make()`).
 */
import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as ResilienceMetrics from "@effect-resilience/core/ResilienceMetrics"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import type { RedisError } from "../RedisClient.js"
import type { Start } from "./client.js"
import { Deadlines } from "./deadlines.js"
import * as Script from "./script.js"

/** @internal */
export class CommandTimeout extends Data.TaggedError("CommandTimeout")<{ readonly millis: number }> {}

const timeouts = ResilienceMetrics.storeErrors.pipe(Metric.tagged("store", "redis"), Metric.tagged("reason", "timeout"))
const errors = ResilienceMetrics.storeErrors.pipe(Metric.tagged("store", "redis"), Metric.tagged("reason", "error"))

/** @internal */
export class Health {
  /** whether the last command failed */
  down = false
  /** while down: the real time (millis) at which one command may try Redis again */
  retryAt = 0
  readonly backoffMillis: number
  private readonly deadlines: Deadlines

  constructor(readonly policyName: string, readonly timeoutMillis: number, private readonly send: Start) {
    this.backoffMillis = 10 * timeoutMillis
    this.deadlines = new Deadlines(timeoutMillis)
  }

  /** Real millis until Redis is tried again: the `retryAfter` of a `"fail-closed"` rejection. */
  retryAfterMillis(): number {
    return Math.max(0, this.retryAt - this.deadlines.now())
  }

  /**
   * Runs `script` on `keys` and `args` (one `EVALSHA`) and answers with its reply
   * through `parse`, if Redis may be tried now; else, or when the command fails or takes longer
   * than `commandTimeout` of real time, answers with `fallback`.
   *
   * One `Effect.async` per command, and no fiber or timer of its own (see `deadlines.ts`): this
   * is every decision's path. It registers no canceler: interrupting the caller resumes it at
   * once, and its command is left to finish or time out on its own (a command already sent
   * may run in Redis anyway). What the command then resumes with is ignored, so it changes
   * nothing: every change of health (an error counted, `down`, an event) happens inside the
   * effect it resumes with, never before. A canceler would wrap every call in `onInterrupt`,
   * measured at more than half of this path's cost.
   */
  call<A>(
    script: Script.Script,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string>,
    parse: (reply: unknown) => A,
    fallback: () => Effect.Effect<A>
  ): Effect.Effect<A> {
    return Effect.async<A>((resume) => {
      if (this.down) {
        const realNow = this.deadlines.now()
        if (realNow < this.retryAt) return resume(fallback())
        // this call tries Redis; the others keep falling back until it answers
        this.retryAt = realNow + this.backoffMillis
      }
      let settled = false
      let abandon = (): void => {}
      const deadline = this.deadlines.add(() => {
        if (settled) return
        settled = true
        abandon()
        resume(this.unavailable(new CommandTimeout({ millis: this.timeoutMillis }), fallback))
      })
      abandon = Script.start(this.send, script, keys, args, (exit) => {
        if (settled) return
        settled = true
        deadline.cancel()
        if (Exit.isSuccess(exit)) {
          let value: A
          try {
            value = parse(exit.value)
          } catch (defect) {
            return resume(Effect.die(defect))
          }
          return resume(this.down ? Effect.suspend(() => Effect.as(this.recovered(), value)) : Effect.succeed(value))
        }
        const error = Cause.failureOption(exit.cause)
        // a defect or interruption of a user's client: not an outage
        resume(
          error._tag === "Some"
            ? this.unavailable(error.value, fallback)
            : Effect.failCause(Cause.stripFailures(exit.cause))
        )
      })
    })
  }

  /** Stops the timeouts' timer: the store's scope is closing. */
  get close(): Effect.Effect<void> {
    return this.deadlines.close
  }

  /** Counts `error`, marks Redis down, and answers with `fallback`: when run, not before. */
  private unavailable<A>(
    error: RedisError | CommandTimeout,
    fallback: () => Effect.Effect<A>
  ): Effect.Effect<A> {
    return Effect.suspend(() => Effect.zipRight(this.failed(error), fallback()))
  }

  private failed(error: RedisError | CommandTimeout): Effect.Effect<void> {
    const count = Metric.increment(error._tag === "CommandTimeout" ? timeouts : errors)
    if (this.down) return count
    this.down = true
    this.retryAt = this.deadlines.now() + this.backoffMillis
    return Effect.zipRight(
      count,
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        Resilience.publish(
          ResilienceEvent.StoreUnavailable({ policyName: this.policyName, store: "redis", error, at })
        ))
    )
  }

  private recovered(): Effect.Effect<void> {
    if (!this.down) return Effect.void
    this.down = false
    return Effect.flatMap(
      Clock.currentTimeMillis,
      (at) => Resilience.publish(ResilienceEvent.StoreRecovered({ policyName: this.policyName, store: "redis", at }))
    )
  }
}

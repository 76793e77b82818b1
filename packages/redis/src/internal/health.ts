/**
 * Whether Redis answers, shared by every breaker and limiter of one store. Each command runs
 * under `commandTimeout`; a command that fails or times out marks Redis down, and then it is
 * tried again at most once per back-off period (10 × `commandTimeout`): the other calls are
 * answered at once by the store's `onUnavailable` policy.
 *
 * Network timing is real time, never the caller's Clock: a `TestClock` must neither stall nor
 * fire an I/O timeout. So the timeout runs under Effect's default (live) Clock, provided
 * explicitly with `Effect.withClock`, and the back-off reads that same live Clock: no
 * `setTimeout` nor `Date.now()` in library code, and the caller's Clock is left to decisions.
 */
import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as ResilienceMetrics from "@effect-resilience/core/ResilienceMetrics"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { RedisError } from "../RedisClient.js"

/** The live clock, for network timing only. */
const realClock: Clock.Clock = Clock.make()

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
  readonly timeout: Duration.Duration

  constructor(readonly policyName: string, readonly timeoutMillis: number) {
    this.backoffMillis = 10 * timeoutMillis
    this.timeout = Duration.millis(timeoutMillis)
  }

  /** Real millis until Redis is tried again: the `retryAfter` of a `"fail-closed"` rejection. */
  retryAfterMillis(): number {
    return Math.max(0, this.retryAt - realClock.unsafeCurrentTimeMillis())
  }

  /**
   * Runs `command` if Redis may be tried now, else (or when it fails or times out) answers with
   * `fallback`. Interruption is not a failure: it propagates and changes nothing.
   */
  run<A>(command: Effect.Effect<A, RedisError>, fallback: Effect.Effect<A>): Effect.Effect<A> {
    return Effect.suspend(() => {
      const realNow = realClock.unsafeCurrentTimeMillis()
      if (this.down) {
        if (realNow < this.retryAt) return fallback
        // this call tries Redis; the others keep falling back until it answers
        this.retryAt = realNow + this.backoffMillis
      }
      return command.pipe(
        Effect.timeoutFail({
          duration: this.timeout,
          onTimeout: () => new CommandTimeout({ millis: this.timeoutMillis })
        }),
        Effect.withClock(realClock),
        Effect.matchEffect({
          onFailure: (error) => Effect.zipRight(this.failed(error), fallback),
          onSuccess: (value) => this.down ? Effect.as(this.recovered(), value) : Effect.succeed(value)
        })
      )
    })
  }

  private failed(error: RedisError | CommandTimeout): Effect.Effect<void> {
    const count = Metric.increment(error._tag === "CommandTimeout" ? timeouts : errors)
    if (this.down) return count
    this.down = true
    this.retryAt = realClock.unsafeCurrentTimeMillis() + this.backoffMillis
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

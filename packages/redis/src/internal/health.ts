/**
 * Whether Redis answers, shared by every breaker and limiter of one store. Each command runs
 * under `commandTimeout`; a command that fails or times out marks Redis down, and then it is
 * tried again at most once per back-off period (10 × `commandTimeout`): the other calls are
 * answered at once by the store's `onUnavailable` policy.
 *
 * Network timing is real time, never the caller's Clock: a `TestClock` must neither stall nor
 * fire an I/O timeout. The back-off reads Effect's default (live) Clock, taken explicitly
 * (`Clock.make()`). The timeout is `AbortSignal.timeout`, a Node timer in real time, raced
 * with the command in one `Effect.async`: `Effect.timeout` under the live Clock would do the
 * same, but its race of two fibers per command measured ten times slower (about 500 against
 * 5,000 commands per second here), far more than the round trip it guards.
 */
import * as Resilience from "@effect-resilience/core/Resilience"
import { ResilienceEvent } from "@effect-resilience/core/ResilienceEvent"
import * as ResilienceMetrics from "@effect-resilience/core/ResilienceMetrics"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { RedisError } from "../RedisClient.js"

/** The live clock, for the back-off only. */
const realClock: Clock.Clock = Clock.make()

/** @internal */
export class CommandTimeout extends Data.TaggedError("CommandTimeout")<{ readonly millis: number }> {}

/**
 * `command` failing with `CommandTimeout` once `millis` of real time have passed. The command
 * needs no context (it is a client's I/O), so it runs on its own, cancelled when the caller is
 * interrupted.
 *
 * @internal
 */
export const withTimeout = <A, E>(command: Effect.Effect<A, E>, millis: number): Effect.Effect<A, E | CommandTimeout> =>
  Effect.async<A, E | CommandTimeout>((resume) => {
    let settled = false
    const signal = AbortSignal.timeout(millis)
    const onTimeout = () => {
      if (settled) return
      settled = true
      cancel()
      resume(Effect.fail(new CommandTimeout({ millis })))
    }
    const cancel = Effect.runCallback(command, {
      onExit: (exit) => {
        if (settled) return
        settled = true
        signal.removeEventListener("abort", onTimeout)
        resume(exit)
      }
    })
    signal.addEventListener("abort", onTimeout, { once: true })
    return Effect.sync(() => {
      settled = true
      signal.removeEventListener("abort", onTimeout)
      cancel()
    })
  })

const timeouts = ResilienceMetrics.storeErrors.pipe(Metric.tagged("store", "redis"), Metric.tagged("reason", "timeout"))
const errors = ResilienceMetrics.storeErrors.pipe(Metric.tagged("store", "redis"), Metric.tagged("reason", "error"))

/** @internal */
export class Health {
  /** whether the last command failed */
  down = false
  /** while down: the real time (millis) at which one command may try Redis again */
  retryAt = 0
  readonly backoffMillis: number

  constructor(readonly policyName: string, readonly timeoutMillis: number) {
    this.backoffMillis = 10 * timeoutMillis
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
      return withTimeout(command, this.timeoutMillis).pipe(
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

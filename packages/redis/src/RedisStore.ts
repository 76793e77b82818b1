/**
 * Circuit breaker and rate limiter state on Redis, shared by every process that uses the same
 * Redis, prefix and instance name: each decision is one atomic Lua script (`EVALSHA`), one
 * round trip. A Redis
 * outage is survived, never surfaced: decisions follow `onUnavailable` until Redis answers.
 *
 * @since 0.1.0
 */
import type * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import type * as RateLimiter from "@effect-resilience/core/RateLimiter"
import type * as Resilience from "@effect-resilience/core/Resilience"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/store.js"
import type { RedisClient } from "./RedisClient.js"

/**
 * Whose clock decisions are made on:
 *
 * - `"redis"` (default): the scripts read the server's `TIME`, one clock for every process.
 *   Instants the store reports (snapshot times) are shifted into the caller's frame by the
 *   difference between the caller's `now` and the server's time measured in the same call, so
 *   the core never mixes clocks; durations (`retryAfter`, `resetAfter`) are durations.
 * - `"app"`: the caller's `Clock` (its `now` is passed to the script), for tests on `TestClock`.
 *
 * @since 0.1.0
 * @category models
 */
export type Time = "redis" | "app"

/**
 * What a decision does while Redis is unavailable (a command failed or took longer than
 * `commandTimeout`):
 *
 * - `"local"` (default): decide with an in-memory limiter of the same options whose `limit` and
 *   `burst` are divided by `localShare` and rounded up (set `localShare` to the replica count to
 *   keep the cluster-wide bound during an outage).
 * - `"fail-open"`: admit.
 * - `"fail-closed"`: reject, with `retryAfter` the time until Redis is tried again.
 *
 * @since 0.1.0
 * @category models
 */
export type OnUnavailable = "local" | "fail-open" | "fail-closed"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Prepended to every key. Default `"resilience:"`. */
  readonly prefix?: string | undefined
  /** Default `"redis"`. */
  readonly time?: Time | undefined
  /**
   * The longest a command may take before Redis counts as unavailable, in (0, 1 minute]; real
   * time, never the Effect Clock. While unavailable, Redis is tried again at most once per
   * 10 × `commandTimeout`. Default `"100 millis"`. A caller interrupted while its command is
   * in flight returns at once; the command is left to finish or time out, and its outcome is
   * ignored (an interruption is never an outage).
   */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /** Default `"local"`. */
  readonly onUnavailable?: OnUnavailable | undefined
  /** With `"local"`: the share of the limit each process keeps during an outage, a positive integer. Default 1. */
  readonly localShare?: number | undefined
  /**
   * How long a half-open probe holds its slot (its lease): a probe running longer loses it and
   * its outcome is dropped, so a crashed process's probe frees itself. Put a shorter `Timeout`
   * inside `protect`. Default `"10 seconds"`.
   */
  readonly probeLease?: Duration.DurationInput | undefined
  /**
   * How long a breaker's keys outlive its last call: a Closed breaker expires after this, an
   * Open one after its break plus this, a HalfOpen one after `probeLease` plus this; an
   * Isolated one never. Default `"1 hour"`.
   */
  readonly idleTimeToLive?: Duration.DurationInput | undefined
}

/**
 * Stores on one Redis: pass `rateLimiter` as a limiter's `store` and `circuitBreaker` as a
 * breaker's. Instances on Redis must be named (a generated name cannot be shared by
 * processes): an unnamed one dies with `ResilienceConfigError` when made.
 *
 * A breaker's state is shared by every process: across all of them at most `halfOpenMaxCalls`
 * probes hold leases, outcomes carry the generation they were admitted in (a stale one is
 * dropped), and transitions made elsewhere are seen at the next operation here and published
 * then as one transition from the last state this process saw. `initialState` applies only
 * when the breaker has no state in Redis yet.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisStore {
  readonly rateLimiter: RateLimiter.RateLimiterStore
  readonly circuitBreaker: CircuitBreaker.Store.Factory
}

/**
 * Makes the stores. Options are validated when `make` is called: a bad option throws
 * `ResilienceConfigError` at once. `StoreUnavailable` and `StoreRecovered` events go to the
 * `Resilience` registry of the calling fiber, if any; failed commands are counted in
 * `resilience_store_errors_total{store="redis", reason}`.
 *
 * Keys: `<prefix>limiter:<algorithm>:<name>:<key>` (an unkeyed limiter's key is empty), each
 * with a `PEXPIRE` at the time it is back at its fresh state; `<prefix>breaker:{<name>}` (a
 * hash) and `<prefix>breaker:{<name>}:leases` (probe leases scored by expiry), expiring after
 * `idleTimeToLive` without calls. So memory is bounded by the active keys. A keyed limiter's
 * evictions leave Redis keys to expire.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RateLimiter } from "@effect-resilience/core"
 * import { RedisClient, RedisStore } from "@effect-resilience/redis"
 *
 * const program = Effect.gen(function*() {
 *   const redis = yield* RedisStore.make({ prefix: "myapp:" })
 *   const limiter = yield* RateLimiter.make({
 *     name: "search",
 *     limit: 100,
 *     interval: "1 second",
 *     store: redis.rateLimiter
 *   })
 *   return yield* limiter.tryAcquire()
 * }).pipe(Effect.scoped, Effect.provide(RedisClient.layerNodeRedis({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<RedisStore, never, RedisClient | Scope.Scope> = internal.make

/**
 * `ResilienceLive` (registry, Config keys, events, metrics) with every circuit breaker and
 * rate limiter of the registry on Redis. Options are validated when `layer` is called.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Resilience } from "@effect-resilience/core"
 * import { RedisClient, RedisStore } from "@effect-resilience/redis"
 *
 * const Live = RedisStore.layer({ prefix: "myapp:", resilience: { defaults: { rateLimiter: { limit: 100 } } } }).pipe(
 *   Layer.provide(RedisClient.layerNodeRedis({ url: "redis://127.0.0.1:6379" }))
 * )
 *
 * const program = Effect.succeed("ok").pipe(Resilience.withRateLimiter("search"))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options?: Options & { readonly resilience?: Resilience.Resilience.Options | undefined }
) => Layer.Layer<Resilience.Resilience, ConfigError.ConfigError, RedisClient> = internal.layer

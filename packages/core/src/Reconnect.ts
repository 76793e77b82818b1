/**
 * `Reconnect`: keeps a connection-like resource alive (a socket, a database or Redis
 * connection, a WebSocket, a gRPC channel). It reconnects with a `Schedule` when the
 * connection breaks, tracks the connection's state and publishes it, and runs an operation
 * again on the new connection only where the caller says that is safe.
 *
 * Retry is for failed requests on a working connection; Reconnect is for a broken connection.
 * They compose: `Retry.retry` outside, `reconnect.use` inside.
 *
 * - **Single flight**: any number of callers failing on the same broken connection start one
 *   reconnection; callers arriving meanwhile wait for it (bounded by `maxWait`). A failure
 *   from an already replaced connection starts nothing.
 * - **One scope per connection**: `acquire` runs in a `Scope` of its own, closed (running its
 *   finalizers once, e.g. `socket.destroy()`) when the connection is dropped, replaced, or the
 *   `Reconnect`'s own scope closes. At most one connection is open at any time.
 * - **Interruption**: interrupting a caller never breaks the connection and never counts as an
 *   attempt; closing the `Reconnect`'s scope interrupts a reconnection in progress and leaves
 *   nothing running.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as Types from "effect/Types"
import * as errors from "./internal/errors.js"
import * as internal from "./internal/reconnect.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * No connection to use: `"Reconnecting"` (the wait for one took longer than `maxWait`),
 * `"Failed"` (gave up reconnecting: call `reconnect` to start again) or `"Closed"` (the
 * `Reconnect`'s scope has closed). `"Failed"` and `"Closed"` are permanent rejections:
 * `Retry.retry` does not retry them by default. `cause` is the last connection error: the
 * last failed attempt's, or the one that broke the connection when no attempt has failed yet.
 *
 * @since 0.1.0
 * @category errors
 */
export const ConnectionUnavailable: typeof errors.ConnectionUnavailable = errors.ConnectionUnavailable

/**
 * @since 0.1.0
 * @category errors
 */
export type ConnectionUnavailable = errors.ConnectionUnavailable

/**
 * The state of the connection. `attempt` counts from 1 within one (re)connection and names
 * the attempt in progress, or the one that has just failed while the next waits for its
 * delay; `generation` counts successful connections from 1; `since` is Clock millis.
 *
 * - `Connecting`: before the first connection.
 * - `Connected`: a connection is open and in use.
 * - `Reconnecting`: the connection broke; `error` is the error that broke it (`undefined`
 *   after `invalidate`), then the last failed attempt's.
 * - `Failed`: gave up after `attempts` consecutive failed attempts (`maxAttempts`, or a finite
 *   schedule that ended); `error` is the last one's.
 * - `Closed`: the `Reconnect`'s scope has closed.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionState = Data.TaggedEnum<{
  Connecting: { readonly attempt: number }
  Connected: { readonly generation: number; readonly since: number }
  Reconnecting: { readonly attempt: number; readonly error: unknown }
  Failed: { readonly attempts: number; readonly error: unknown }
  Closed: {}
}>

/**
 * Constructors, `$is` and `$match` for `ConnectionState`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ConnectionState: Data.TaggedEnum.Constructor<ConnectionState> = internal.ConnectionState

/**
 * A connection kept alive, owned by a Scope. `A` is the connection, `E` the error of `acquire`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reconnect<A, E> extends Reconnect.Variance<A, E> {
  /** The name in errors (`policyName`), events and metrics. */
  readonly name: string
  /**
   * Waits for a connection (bounded by `maxWait`) and runs `f` with it. When `f` fails with a
   * connection error (`isConnectionError`), that connection is marked broken, only if it is
   * still the current one, and one reconnection starts, shared by every caller. With
   * `retryOnReconnect` the call then waits for a connection and runs `f` once more (at most
   * once per call); otherwise the original error comes back at once. Other failures pass
   * through and leave the connection alone; so does interruption.
   */
  readonly use: <B, E2, R2>(
    f: (connection: A) => Effect.Effect<B, E2, R2>
  ) => Effect.Effect<B, E2 | ConnectionUnavailable, R2>
  /** The current connection, waiting for one as `use` does. */
  readonly get: Effect.Effect<A, ConnectionUnavailable>
  /** The state now. */
  readonly state: Effect.Effect<ConnectionState>
  /**
   * A hot stream: every change of state after subscription, once, in order. It ends after
   * publishing `Closed` (at once when subscribed after the scope has closed).
   */
  readonly changes: Stream.Stream<ConnectionState>
  /**
   * Drops the current connection (closing its scope) and reconnects, e.g. after a failed
   * health ping. Does nothing unless `Connected`.
   */
  readonly invalidate: Effect.Effect<void>
  /** From `Failed`, starts connecting again with a fresh schedule. Does nothing in any other state. */
  readonly reconnect: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Reconnect {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Variance<out A, out E> {
    readonly [TypeId]: {
      readonly _A: Types.Covariant<A>
      readonly _E: Types.Covariant<E>
    }
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options<A, E, R> {
    /** The name in errors, events and metrics. Default: a generated `"reconnect-N"`. */
    readonly name?: string | undefined
    /**
     * Opens one connection. It runs in a `Scope` of its own (its `Scope` requirement is met
     * by the `Reconnect`), closed when the connection is dropped, replaced, or the
     * `Reconnect`'s scope closes: register the connection's cleanup with
     * `Effect.acquireRelease`. A failed attempt's scope is closed at once.
     */
    readonly acquire: Effect.Effect<A, E, R>
    /**
     * Which failures of an operation mean the connection itself is broken. It receives the
     * failure, or the defect, of `use`'s operation (a predicate that throws counts as yes).
     * Default: every failure and every defect.
     */
    readonly isConnectionError?: ((error: unknown) => boolean) | undefined
    /**
     * The delays between failed connection attempts, fed each attempt's error; restarted after
     * every successful connection. The first attempt after a break runs at once; a schedule
     * that ends gives up (`Failed`). Default:
     * `Retry.exponential({ base: "100 millis", max: "5 seconds", jitter: "full" })`.
     */
    readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
    /** Consecutive failed attempts before giving up (`Failed`): an integer ≥ 1. Default: never give up. */
    readonly maxAttempts?: number | undefined
    /**
     * Whether a call whose operation failed with a connection error runs it once more on the
     * next connection. Only for idempotent operations (a `GET`, not an `INCR`). Default: false.
     */
    readonly retryOnReconnect?: boolean | undefined
    /**
     * How long each wait of a call for a connection may last while (re)connecting, before it
     * fails with `ConnectionUnavailable("Reconnecting")`: a positive duration. Default: as long
     * as it takes.
     */
    readonly maxWait?: Duration.DurationInput | undefined
    /**
     * A limit on one `acquire`: a positive duration. An attempt still running after it is
     * interrupted, its scope closed, and counted as failed with a `TimeoutError`. Default: none.
     */
    readonly connectTimeout?: Duration.DurationInput | undefined
  }
}

/**
 * Makes a `Reconnect` that lives as long as the Scope. It returns at once, in state
 * `Connecting { attempt: 1 }`, and connects in the background. Options are validated when
 * `make` is called: a bad one throws `ResilienceConfigError`.
 *
 * When the Scope closes, a reconnection in progress is interrupted, every connection's scope
 * is closed, waiters and later calls fail with `ConnectionUnavailable("Closed")`, and the
 * state becomes `Closed`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Reconnect, Retry } from "@effect-resilience/core"
 * import * as net from "node:net"
 *
 * // one TCP connection, destroyed when its scope closes
 * const connect = Effect.acquireRelease(
 *   Effect.async<net.Socket, Error>((resume) => {
 *     const socket = net.createConnection({ host: "127.0.0.1", port: 6379 })
 *     socket.once("connect", () => resume(Effect.succeed(socket)))
 *     socket.once("error", (error) => resume(Effect.fail(error)))
 *     return Effect.sync(() => socket.destroy())
 *   }),
 *   (socket) => Effect.sync(() => socket.destroy())
 * )
 *
 * const program = Effect.gen(function*() {
 *   const redis = yield* Reconnect.make({
 *     name: "redis",
 *     acquire: connect,
 *     schedule: Retry.exponential({ base: "100 millis", max: "5 seconds", jitter: "full" }),
 *     connectTimeout: "2 seconds",
 *     maxWait: "5 seconds",
 *     retryOnReconnect: true // PING is idempotent
 *   })
 *   const ping = (socket: net.Socket) => Effect.sync(() => socket.write("PING\r\n"))
 *   // Retry outside (a failed request), Reconnect inside (a broken connection)
 *   return yield* redis.use(ping).pipe(Retry.retry({ schedule: Retry.constant("50 millis", { maxRetries: 2 }) }))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A, E, R>(
  options: Reconnect.Options<A, E, R>
) => Effect.Effect<Reconnect<A, E>, never, Scope.Scope | Exclude<R, Scope.Scope>> = internal.make

/**
 * A layer holding one `Reconnect` under `tag`; its connection is closed when the layer is
 * released. Options are validated when `layer` is called.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { Reconnect } from "@effect-resilience/core"
 *
 * interface Connection {
 *   readonly query: (sql: string) => Effect.Effect<ReadonlyArray<unknown>, Error>
 * }
 *
 * class Db extends Context.Tag("Db")<Db, Reconnect.Reconnect<Connection, Error>>() {}
 *
 * const openConnection: Effect.Effect<Connection, Error> = Effect.succeed({
 *   query: () => Effect.succeed([])
 * })
 *
 * const DbLive = Reconnect.layer(Db, { name: "db", acquire: openConnection, maxWait: "2 seconds" })
 *
 * const users = Effect.flatMap(Db, (db) => db.use((connection) => connection.query("select * from users")))
 * const program = users.pipe(Effect.provide(DbLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I, A, E, R>(
  tag: Context.Tag<I, Reconnect<A, E>>,
  options: Reconnect.Options<NoInfer<A>, NoInfer<E>, R>
) => Layer.Layer<I, never, Exclude<R, Scope.Scope>> = internal.layer

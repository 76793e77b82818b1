/**
 * Health endpoints for `@effect/platform` servers: `/livez` (the process serves) and `/readyz`
 * (its dependencies answer), with `application/health+json` bodies
 * (draft-inadarei-api-health-check). Checks are cached, run one at a time and bounded by their
 * timeouts, so probes cannot hurt what they probe; the `Resilience` registry's circuit breakers
 * are reported too.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/healthCheck.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Status = "pass" | "warn" | "fail"

/**
 * One dependency check. It runs interruptibly, so its `timeout` (default 2 seconds) always
 * fires; a failed or timed-out `critical` check (the default) fails readiness, a non-critical
 * one warns.
 *
 * @since 0.1.0
 * @category models
 */
export interface Check {
  readonly name: string
  /** Succeeds when the dependency is healthy; a value it returns is reported as `observedValue`. */
  readonly check: Effect.Effect<unknown, unknown>
  readonly timeout?: Duration.DurationInput | undefined
  readonly critical?: boolean | undefined
}

/**
 * One entry of a report's `checks` (draft-inadarei-api-health-check §4): `time` is when the
 * check ran (ISO 8601, from the `Clock`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckResult {
  readonly status: Status
  readonly time: string
  readonly output?: string
  readonly observedValue?: unknown
}

/**
 * An `application/health+json` body. Answered with 200 for pass and warn, 503 for fail.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly status: Status
  readonly checks?: Readonly<Record<string, ReadonlyArray<CheckResult>>>
  readonly output?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface HealthCheck {
  readonly paths: { readonly live: string; readonly ready: string }
  /** Always `{ status: "pass" }`: liveness depends neither on dependencies nor on load. */
  readonly live: Effect.Effect<Report>
  /**
   * Runs the checks (or takes their cached results) and reads the registry's breakers; `fail`
   * at once while a `GracefulShutdown` is under way.
   */
  readonly ready: Effect.Effect<Report>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly checks?: ReadonlyArray<Check> | undefined
  /**
   * Registry breakers whose Open, HalfOpen or Isolated state fails readiness (any other breaker
   * not Closed warns). Default: none.
   */
  readonly criticalBreakers?: ReadonlyArray<string> | undefined
  /** How long each check's result (failures included) is reused. Default: 5 seconds. */
  readonly cacheFor?: Duration.DurationInput | undefined
  /** Default: `{ live: "/livez", ready: "/readyz" }`. */
  readonly paths?: { readonly live?: string | undefined; readonly ready?: string | undefined } | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export const HealthCheck: Context.Tag<HealthCheck, HealthCheck> = internal.HealthCheckTag

/**
 * Makes the health checks. A check's run belongs to the scope, not to the probe that started
 * it: 50 concurrent probes run a check once, and a probe that goes away does not cancel the run
 * the others wait for. Bad options throw `ResilienceConfigError` at once.
 *
 * @example
 * ```ts
 * import { HealthCheck } from "@effect-resilience/platform"
 * import { HttpServer, HttpServerResponse } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * const database = Effect.succeed("SELECT 1 answered")
 *
 * export const served = Layer.unwrapScoped(Effect.gen(function*() {
 *   const health = yield* HealthCheck.make({
 *     checks: [
 *       { name: "database", check: database, timeout: "1 second" },
 *       { name: "cache", check: Effect.void, critical: false }
 *     ],
 *     criticalBreakers: ["payments"],
 *     cacheFor: "5 seconds"
 *   })
 *   return HttpServer.serve(HttpServerResponse.text("ok").pipe(HealthCheck.middleware(health)))
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<HealthCheck, never, Scope.Scope> = internal.make

/**
 * `make` as a layer of the `HealthCheck` tag.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: Options) => Layer.Layer<HealthCheck> = internal.layer

/**
 * An app answering GET (and HEAD) on the two paths, 404 elsewhere: mount it where you like.
 *
 * @since 0.1.0
 * @category routes
 */
export const routes: (healthCheck: HealthCheck) => HttpApp.Default = internal.routes

/**
 * Answers the two paths and passes everything else to the app (interruptibly). Put it
 * outermost, so probes are never rate-limited, shed or refused during a shutdown.
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware: (healthCheck: HealthCheck) => <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> =
  internal.middleware

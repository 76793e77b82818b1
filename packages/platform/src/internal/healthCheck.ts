import * as Resilience from "@effect-resilience/core/Resilience"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import type * as HealthCheck from "../HealthCheck.js"
import * as gracefulShutdown from "./gracefulShutdown.js"
import * as server from "./server.js"
import * as validate from "./validate.js"

/** @internal */
export const HealthCheckTag = Context.GenericTag<HealthCheck.HealthCheck>("@effect-resilience/platform/HealthCheck")

const iso = (millis: number): string => new Date(millis).toISOString()

const describe = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (error instanceof Error) return error.message.length > 0 ? `${error.name}: ${error.message}` : error.name
  if (typeof error === "string") return error
  if (Predicate.hasProperty(error, "_tag") && typeof error._tag === "string") return error._tag
  return String(error)
}

/** One check: its result cached for `cacheFor`, one run at a time whoever asks. */
class CheckRunner {
  private cached: { readonly result: HealthCheck.CheckResult; readonly until: number } | undefined
  private running: Deferred.Deferred<HealthCheck.CheckResult> | undefined

  constructor(
    readonly check: HealthCheck.Check,
    private readonly timeout: Duration.Duration,
    private readonly critical: boolean,
    private readonly cacheMillis: number,
    private readonly scope: Scope.Scope
  ) {}

  readonly result: Effect.Effect<HealthCheck.CheckResult> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    if (this.cached !== undefined && now < this.cached.until) return Effect.succeed(this.cached.result)
    if (this.running !== undefined) return Deferred.await(this.running)
    const deferred = Deferred.unsafeMake<HealthCheck.CheckResult>(FiberId.none)
    this.running = deferred
    const run = Effect.tap(this.runOnce, (result) =>
      Effect.flatMap(Clock.currentTimeMillis, (end) => {
        this.cached = { result, until: end + this.cacheMillis }
        this.running = undefined
        return Deferred.succeed(deferred, result)
      }))
    // the run belongs to no probe: a probe that goes away does not cancel it for the others
    return Effect.zipRight(Effect.forkIn(run, this.scope), Deferred.await(deferred))
  })

  private get runOnce(): Effect.Effect<HealthCheck.CheckResult> {
    const { critical, timeout } = this
    const check = this.check.check
    return Effect.gen(function*() {
      const time = iso(yield* Clock.currentTimeMillis)
      // interruptible and disconnected, so the timeout fires even if the check ignores interruption
      const exit = yield* check.pipe(Effect.interruptible, Effect.disconnect, Effect.timeout(timeout), Effect.exit)
      if (Exit.isSuccess(exit)) {
        return exit.value === undefined
          ? { status: "pass", time }
          : { status: "pass", time, observedValue: exit.value }
      }
      const timedOut = Cause.failureOption(exit.cause).pipe(
        Option.exists((error) => Predicate.isTagged(error, "TimeoutException"))
      )
      return {
        status: critical ? "fail" : "warn",
        time,
        output: timedOut ? `timed out after ${Duration.format(timeout)}` : describe(exit.cause)
      }
    })
  }
}

const worst = (statuses: Iterable<HealthCheck.Status>): HealthCheck.Status => {
  let verdict: HealthCheck.Status = "pass"
  for (const status of statuses) {
    if (status === "fail") return "fail"
    if (status === "warn") verdict = "warn"
  }
  return verdict
}

const validateCheck = (input: unknown, index: number) => {
  const option = `checks[${index}]`
  const check = validate.object(option, input)
  const name = validate.optionalName(`${option}.name`, check.name)
  if (name === undefined) return validate.fail(`${option}.name`, "must be a non-empty string", check.name)
  if (!Effect.isEffect(check.check)) return validate.fail(`${option}.check`, "must be an Effect", check.check)
  const timeout = check.timeout === undefined
    ? Duration.seconds(2)
    : validate.duration(`${option}.timeout`, check.timeout)
  if (Duration.toMillis(timeout) <= 0) validate.fail(`${option}.timeout`, "must be positive", check.timeout)
  if (check.critical !== undefined && typeof check.critical !== "boolean") {
    validate.fail(`${option}.critical`, "must be a boolean", check.critical)
  }
  return { check: input as HealthCheck.Check, name, timeout, critical: check.critical !== false }
}

const validatePath = (option: string, value: unknown, fallback: string): string => {
  if (value === undefined) return fallback
  if (typeof value !== "string" || !value.startsWith("/")) {
    return validate.fail(option, "must be a path starting with /", value)
  }
  return value
}

const validateOptions = (input: unknown) => {
  const options = validate.optionalObject("options", input)
  if (options.checks !== undefined && !Array.isArray(options.checks)) {
    validate.fail("checks", "must be an array of checks", options.checks)
  }
  const checks = ((options.checks ?? []) as Array<unknown>).map(validateCheck)
  const names = new Set<string>()
  for (const check of checks) {
    if (names.has(check.name)) validate.fail("checks", `has two checks named "${check.name}"`, check.name)
    names.add(check.name)
  }
  const critical = options.criticalBreakers ?? []
  if (!Array.isArray(critical) || critical.some((name) => typeof name !== "string")) {
    validate.fail("criticalBreakers", "must be an array of breaker names", critical)
  }
  const cacheFor = options.cacheFor === undefined
    ? Duration.seconds(5)
    : validate.duration("cacheFor", options.cacheFor)
  const paths = validate.optionalObject("paths", options.paths)
  const live = validatePath("paths.live", paths.live, "/livez")
  const ready = validatePath("paths.ready", paths.ready, "/readyz")
  if (live === ready) validate.fail("paths", "live and ready must differ", paths)
  return { checks, criticalBreakers: new Set(critical as Array<string>), cacheFor, paths: { live, ready } }
}

/** @internal */
export const make = (options: HealthCheck.Options = {}): Effect.Effect<HealthCheck.HealthCheck, never, Scope.Scope> => {
  const config = validateOptions(options)
  return Effect.gen(function*() {
    const scope = yield* Effect.scope
    const registryAtMake = yield* Effect.serviceOption(Resilience.Resilience)
    const runners = config.checks.map((c) =>
      new CheckRunner(c.check, c.timeout, c.critical, Duration.toMillis(config.cacheFor), scope)
    )

    const breakers = Effect.gen(function*() {
      const registry = Option.orElse(yield* Effect.serviceOption(Resilience.Resilience), () => registryAtMake)
      if (Option.isNone(registry)) return []
      const time = iso(yield* Clock.currentTimeMillis)
      const list = yield* registry.value.circuitBreakers
      return yield* Effect.forEach(
        list,
        (breaker) =>
          Effect.map(breaker.state, (state): readonly [string, HealthCheck.CheckResult] => [
            `circuitBreaker:${breaker.name}`,
            {
              status: state === "Closed" ? "pass" : config.criticalBreakers.has(breaker.name) ? "fail" : "warn",
              time,
              observedValue: state
            }
          ])
      )
    })

    const ready: Effect.Effect<HealthCheck.Report> = Effect.gen(function*() {
      if (yield* gracefulShutdown.isShuttingDown) return { status: "fail", checks: {}, output: "shutting down" }
      const results = yield* Effect.forEach(runners, (runner) => runner.result, { concurrency: "unbounded" })
      const entries: Array<readonly [string, HealthCheck.CheckResult]> = runners.map((runner, i) => [
        runner.check.name,
        results[i]!
      ])
      entries.push(...(yield* breakers))
      const checks: Record<string, ReadonlyArray<HealthCheck.CheckResult>> = {}
      for (const [name, result] of entries) checks[name] = [result]
      return { status: worst(entries.map(([, result]) => result.status)), checks }
    })

    return { paths: config.paths, live: Effect.succeed({ status: "pass" }), ready }
  })
}

/** @internal */
export const layer = (options: HealthCheck.Options = {}): Layer.Layer<HealthCheck.HealthCheck> =>
  Layer.scoped(HealthCheckTag, make(options))

/**
 * draft-inadarei-api-health-check §3: `application/health+json`, `status` one of pass, fail,
 * warn; §3.1 the HTTP status: 2xx–3xx for pass and warn, 4xx–5xx for fail.
 */
const respond = (report: HealthCheck.Report): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(report, {
    status: report.status === "fail" ? 503 : 200,
    contentType: "application/health+json",
    headers: { "cache-control": "no-store" }
  })

const answer = (
  healthCheck: HealthCheck.HealthCheck,
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<HttpServerResponse.HttpServerResponse> | undefined => {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined
  const path = server.pathOf(request)
  if (path === healthCheck.paths.live) return Effect.map(healthCheck.live, respond)
  if (path === healthCheck.paths.ready) return Effect.map(healthCheck.ready, respond)
  return undefined
}

/** @internal */
export const routes = (healthCheck: HealthCheck.HealthCheck): HttpApp.Default =>
  Effect.interruptible(Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request) => answer(healthCheck, request) ?? Effect.succeed(HttpServerResponse.empty({ status: 404 }))
  ))

/** @internal */
export const middleware =
  (healthCheck: HealthCheck.HealthCheck) => <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.interruptible(Effect.flatMap(
      HttpServerRequest.HttpServerRequest,
      (request) => answer(healthCheck, request) ?? app
    ))

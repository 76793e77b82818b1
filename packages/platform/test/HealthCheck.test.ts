import * as Resilience from "@effect-resilience/core/Resilience"
import * as HealthCheck from "@effect-resilience/platform/HealthCheck"
import * as HttpRateLimit from "@effect-resilience/platform/HttpRateLimit"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { expectConfigError } from "../../core/test/utils/config.js"
import { serve } from "./utils/serve.js"
import { realSleep } from "./utils/server.js"

const probe = (url: string) =>
  Effect.gen(function*() {
    const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url))
    return {
      status: response.status,
      contentType: response.headers["content-type"],
      body: (yield* response.json) as HealthCheck.Report
    }
  })

const counted = <A, E>(effect: Effect.Effect<A, E>) => {
  const counter = { runs: 0 }
  return { counter, check: Effect.zipRight(Effect.sync(() => counter.runs++), effect) }
}

describe("HealthCheck", () => {
  it.scoped("/livez answers 200 { status: \"pass\" } as application/health+json and runs no check", () =>
    Effect.gen(function*() {
      const { check, counter } = counted(Effect.fail("down"))
      const health = yield* HealthCheck.make({ checks: [{ name: "db", check }] })
      const server = yield* serve(HealthCheck.routes(health))
      const live = yield* probe(server.url("/livez"))
      expect(live).toEqual({ status: 200, contentType: "application/health+json", body: { status: "pass" } })
      expect(counter.runs).toBe(0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("/readyz: pass with observed values; a failed critical check fails (503), a failed non-critical one warns (200)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      const passing = yield* HealthCheck.make({
        checks: [
          { name: "db", check: Effect.succeed(42) },
          { name: "cache", check: Effect.void }
        ]
      })
      const ok = yield* probe((yield* serve(HealthCheck.routes(passing))).url("/readyz"))
      expect(ok).toEqual({
        status: 200,
        contentType: "application/health+json",
        body: {
          status: "pass",
          checks: {
            db: [{ status: "pass", time: "2026-01-01T00:00:00.000Z", observedValue: 42 }],
            cache: [{ status: "pass", time: "2026-01-01T00:00:00.000Z" }]
          }
        }
      })

      const warning = yield* HealthCheck.make({
        checks: [
          { name: "db", check: Effect.void },
          { name: "search", check: Effect.fail(new Error("connection refused")), critical: false }
        ]
      })
      const warn = yield* probe((yield* serve(HealthCheck.routes(warning))).url("/readyz"))
      expect(warn.status).toBe(200)
      expect(warn.body.status).toBe("warn")
      expect(warn.body.checks!["search"]).toEqual([
        { status: "warn", time: "2026-01-01T00:00:00.000Z", output: "Error: connection refused" }
      ])

      const failing = yield* HealthCheck.make({
        checks: [{ name: "db", check: Effect.fail("no connection") }, { name: "cache", check: Effect.void }]
      })
      const fail = yield* probe((yield* serve(HealthCheck.routes(failing))).url("/readyz"))
      expect(fail.status).toBe(503)
      expect(fail.body).toMatchObject({
        status: "fail",
        checks: { db: [{ status: "fail", output: "no connection" }], cache: [{ status: "pass" }] }
      })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a check is bounded by its timeout, even one that ignores interruption", () =>
    Effect.gen(function*() {
      const health = yield* HealthCheck.make({
        checks: [
          { name: "hangs", check: Effect.never, timeout: "100 millis" },
          { name: "stubborn", check: Effect.uninterruptible(realSleep(5_000)), timeout: "100 millis", critical: false }
        ]
      })
      const server = yield* serve(HealthCheck.routes(health))
      const start = performance.now()
      const result = yield* probe(server.url("/readyz"))
      expect(performance.now() - start).toBeLessThan(2_000)
      expect(result.status).toBe(503)
      expect(result.body.checks).toMatchObject({
        hangs: [{ status: "fail", output: "timed out after 100ms" }],
        stubborn: [{ status: "warn", output: "timed out after 100ms" }]
      })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.scoped("results, failures included, are cached for cacheFor; a probe after expiry runs the check again", () =>
    Effect.gen(function*() {
      const ok = counted(Effect.void)
      const bad = counted(Effect.fail("down"))
      const health = yield* HealthCheck.make({
        checks: [{ name: "ok", check: ok.check }, { name: "bad", check: bad.check, critical: false }],
        cacheFor: "5 seconds"
      })
      const server = yield* serve(HealthCheck.routes(health))
      yield* probe(server.url("/readyz"))
      yield* TestClock.adjust("4999 millis")
      yield* probe(server.url("/readyz"))
      expect([ok.counter.runs, bad.counter.runs]).toEqual([1, 1])
      yield* TestClock.adjust("1 millis")
      yield* probe(server.url("/readyz"))
      expect([ok.counter.runs, bad.counter.runs]).toEqual([2, 2])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("50 concurrent probes run a check once", () =>
    Effect.gen(function*() {
      const slow = counted(realSleep(100))
      const health = yield* HealthCheck.make({ checks: [{ name: "slow", check: slow.check }] })
      const server = yield* serve(HealthCheck.routes(health))
      const results = yield* Effect.forEach(
        Array.from({ length: 50 }, () => probe(server.url("/readyz"))),
        (p) => p,
        { concurrency: "unbounded" }
      )
      expect(results.every((r) => r.status === 200)).toBe(true)
      expect(slow.counter.runs).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.scoped("reports the registry's breakers: not Closed warns, and fails when the breaker is critical", () =>
    Effect.gen(function*() {
      const payments = yield* Resilience.circuitBreaker("payments")
      const search = yield* Resilience.circuitBreaker("search")
      yield* Resilience.circuitBreaker("inventory")
      const health = yield* HealthCheck.make({ criticalBreakers: ["payments"] })
      const server = yield* serve(HealthCheck.routes(health))
      expect((yield* probe(server.url("/readyz"))).body.status).toBe("pass")
      yield* search.trip
      const warned = yield* probe(server.url("/readyz"))
      expect(warned.status).toBe(200)
      expect(warned.body).toMatchObject({
        status: "warn",
        checks: {
          "circuitBreaker:search": [{ status: "warn", observedValue: "Open" }],
          "circuitBreaker:inventory": [{ status: "pass", observedValue: "Closed" }]
        }
      })
      yield* payments.isolate
      const failed = yield* probe(server.url("/readyz"))
      expect(failed.status).toBe(503)
      expect(failed.body.checks!["circuitBreaker:payments"]).toMatchObject([{
        status: "fail",
        observedValue: "Isolated"
      }])
    }).pipe(Effect.provide([NodeHttpClient.layerUndici, Resilience.layer()])))

  it.scoped("routes answers 404 elsewhere; middleware answers the probes outermost (never rate-limited) and passes the rest to the app", () =>
    Effect.gen(function*() {
      const health = yield* HealthCheck.make({ paths: { live: "/health/live", ready: "/health/ready" } })
      const routes = yield* serve(HealthCheck.routes(health))
      const client = yield* HttpClient.HttpClient
      expect((yield* client.get(routes.url("/livez"))).status).toBe(404)
      expect((yield* client.get(routes.url("/health/live?verbose=1"))).status).toBe(200)

      const app = HttpServerResponse.text("app").pipe(
        HttpRateLimit.middleware({ limiter: { limit: 1, interval: "1 minute" } }),
        HealthCheck.middleware(health)
      )
      const server = yield* serve(app)
      expect(yield* (yield* client.get(server.url("/items"))).text).toBe("app")
      expect((yield* client.get(server.url("/items"))).status).toBe(429)
      for (let i = 0; i < 3; i++) {
        expect((yield* client.get(server.url("/health/ready"))).status).toBe(200)
        expect((yield* client.get(server.url("/health/live"))).status).toBe(200)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("HealthCheck.layer provides the tag", () =>
    Effect.gen(function*() {
      const health = yield* HealthCheck.HealthCheck
      expect(yield* health.live).toEqual({ status: "pass" })
      expect(health.paths).toEqual({ live: "/livez", ready: "/readyz" })
    }).pipe(Effect.provide(HealthCheck.layer({ checks: [{ name: "db", check: Effect.void }] }))))

  it("bad options throw ResilienceConfigError when made", () => {
    expectConfigError(() => HealthCheck.make({ checks: [{ name: "", check: Effect.void }] }), "checks[0].name")
    expectConfigError(() => HealthCheck.make({ checks: [{ name: "db", check: 1 as never }] }), "checks[0].check")
    expectConfigError(
      () => HealthCheck.make({ checks: [{ name: "db", check: Effect.void, timeout: "-5 millis" }] }),
      "checks[0].timeout"
    )
    expectConfigError(
      () => HealthCheck.make({ checks: [{ name: "db", check: Effect.void, timeout: 0 }] }),
      "checks[0].timeout"
    )
    expectConfigError(
      () => HealthCheck.make({ checks: [{ name: "db", check: Effect.void }, { name: "db", check: Effect.void }] }),
      "checks"
    )
    expectConfigError(() => HealthCheck.make({ cacheFor: Number.NaN }), "cacheFor")
    expectConfigError(() => HealthCheck.make({ criticalBreakers: "payments" as never }), "criticalBreakers")
    expectConfigError(() => HealthCheck.make({ paths: { live: "livez" } }), "paths.live")
    expectConfigError(() => HealthCheck.layer({ paths: { live: "/x", ready: "/x" } }), "paths")
  })
})

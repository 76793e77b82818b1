import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import type * as HttpRateLimit from "../HttpRateLimit.js"
import * as server from "./server.js"
import * as validate from "./validate.js"

interface Config {
  readonly limiter: Effect.Effect<RateLimiter.KeyedRateLimiter>
  readonly key: (request: HttpServerRequest.HttpServerRequest) => string
  readonly cost: (request: HttpServerRequest.HttpServerRequest) => number
  readonly headers: HttpRateLimit.HeadersMode
  readonly skip: ((request: HttpServerRequest.HttpServerRequest) => boolean) | undefined
}

const isKeyedLimiter = (u: unknown): u is RateLimiter.KeyedRateLimiter =>
  Predicate.hasProperty(u, "decide") && typeof u.decide === "function" && Predicate.hasProperty(u, "protect")

const validateOptions = (input: unknown): Config => {
  const options = validate.object("options", input)
  const limiterOption = validate.object("limiter", options.limiter)
  let limiter: Effect.Effect<RateLimiter.KeyedRateLimiter>
  if (isKeyedLimiter(limiterOption)) {
    if (limiterOption.onExceeded === "wait") {
      validate.fail("limiter", "must fail rather than wait (onExceeded: \"fail\")", limiterOption.onExceeded)
    }
    limiter = Effect.succeed(limiterOption)
  } else {
    if (limiterOption.onExceeded === "wait") {
      validate.fail("limiter.onExceeded", "must be \"fail\": a server answers 429 rather than wait", "wait")
    }
    // validates the limiter's options now: `keyed` throws ResilienceConfigError when called
    const make = RateLimiter.keyed({
      ...(limiterOption as unknown as RateLimiter.KeyedRateLimiter.Options),
      onExceeded: "fail"
    })
    limiter = server.onFirstUse(make)
  }
  const trustProxy = validate.optionalInteger("trustProxy", options.trustProxy, 0) ?? 0
  const key = validate.optionalFunc<Config["key"]>("key", options.key) ??
    ((request) => server.clientAddress(request, trustProxy))
  const cost = validate.optionalFunc<Config["cost"]>("cost", options.cost) ?? (() => 1)
  const headers = options.headers ?? "draft"
  if (headers !== "draft" && headers !== "legacy" && headers !== "none") {
    validate.fail("headers", "must be \"draft\", \"legacy\" or \"none\"", headers)
  }
  const skip = validate.optionalFunc<Config["skip"]>("skip", options.skip)
  return { limiter, key, cost, headers: headers as HttpRateLimit.HeadersMode, skip }
}

/**
 * A Structured Field sf-string (RFC 8941 §3.3.3): `"` and `\` escaped, printable ASCII only.
 */
const sfString = (value: string): string =>
  `"${value.replace(/[^\x20-\x7e]/g, "?").replace(/["\\]/g, (c) => `\\${c}`)}"`

/** @internal */
export const fields = (
  mode: HttpRateLimit.HeadersMode,
  limiter: RateLimiter.KeyedRateLimiter,
  decision: RateLimiter.Decision,
  now: number
): Record<string, string> => {
  const remaining = decision.allowed ? decision.remaining : 0
  const reset = server.ceilSeconds(decision.resetAfter)
  switch (mode) {
    case "draft": {
      // draft-ietf-httpapi-ratelimit-headers-09 §3 (RateLimit-Policy: a List of quota policy
      // items; q = quota §3.1, w = window in seconds §3.3) and §4 (RateLimit: r = remaining
      // §4.1, t = seconds until the quota resets §4.2), both Structured Fields (RFC 8941).
      const name = sfString(limiter.name)
      const window = Math.max(1, Math.ceil(Duration.toMillis(limiter.interval) / 1000))
      return {
        "ratelimit-policy": `${name};q=${limiter.limit};w=${window}`,
        "ratelimit": `${name};r=${remaining};t=${reset}`
      }
    }
    case "legacy":
      // what GitHub and express-rate-limit send: the reset as epoch seconds
      return {
        "x-ratelimit-limit": String(limiter.limit),
        "x-ratelimit-remaining": String(remaining),
        "x-ratelimit-reset": String(Math.ceil((now + Duration.toMillis(decision.resetAfter)) / 1000))
      }
    case "none":
      return {}
  }
}

/** @internal */
export const middleware = (options: HttpRateLimit.Options) => {
  const config = validateOptions(options)
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.interruptible(Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (config.skip !== undefined && config.skip(request)) return yield* app
      const limiter = yield* config.limiter
      const decision = yield* limiter.decide(config.key(request), config.cost(request))
      if (config.headers !== "none") {
        yield* server.addResponseHeaders(fields(config.headers, limiter, decision, yield* Clock.currentTimeMillis))
      }
      if (decision.allowed) return yield* app
      const retryAfter = server.retryAfterSeconds(decision.retryAfter)
      return server.problem(
        429,
        "Too Many Requests",
        `Rate limit "${limiter.name}" exceeded: retry after ${retryAfter} second${retryAfter === 1 ? "" : "s"}.`,
        { "retry-after": String(retryAfter) }
      )
    }))
}

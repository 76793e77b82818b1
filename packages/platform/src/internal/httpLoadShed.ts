import * as Bulkhead from "@effect-resilience/core/Bulkhead"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import type * as HttpLoadShed from "../HttpLoadShed.js"
import * as server from "./server.js"
import * as validate from "./validate.js"

const isBulkhead = (u: unknown): u is Bulkhead.Bulkhead =>
  Predicate.hasProperty(u, "protect") && typeof u.protect === "function" && Predicate.hasProperty(u, "stats")

/** @internal */
export const middleware = (options: HttpLoadShed.Options) => {
  const input = validate.object("options", options)
  const bulkheadOption = validate.object("bulkhead", input.bulkhead)
  const bulkhead: Effect.Effect<Bulkhead.Bulkhead> = isBulkhead(bulkheadOption)
    ? Effect.succeed(bulkheadOption)
    // validates the options now: `make` throws ResilienceConfigError when called
    : server.onFirstUse(Bulkhead.make(bulkheadOption as unknown as Bulkhead.Bulkhead.Options))
  const retryAfter = server.retryAfterSeconds(
    input.retryAfter === undefined ? Duration.seconds(1) : validate.duration("retryAfter", input.retryAfter)
  )
  const skip = validate.optionalFunc<(request: HttpServerRequest.HttpServerRequest) => boolean>("skip", input.skip)

  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.interruptible(Effect.gen(function*() {
      if (skip !== undefined && skip(yield* HttpServerRequest.HttpServerRequest)) return yield* app
      const instance = yield* bulkhead
      // the app's own failures travel inside the Either, so only this bulkhead's rejection is shed
      const result = yield* Effect.either(instance.protect(Effect.either(app)))
      if (Either.isRight(result)) return yield* result.right
      return server.problem(
        503,
        "Service Unavailable",
        result.left.reason === "Closed"
          ? "The server is shutting down."
          : `The server is at capacity ("${instance.name}"): retry after ${retryAfter} second${
            retryAfter === 1 ? "" : "s"
          }.`,
        { "retry-after": String(retryAfter) }
      )
    }))
}

import * as Deadline from "@effect-resilience/core/Deadline"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as HttpDeadline from "../HttpDeadline.js"
import { deadlineHeader } from "./policies.js"
import * as server from "./server.js"
import * as validate from "./validate.js"

const MILLIS = /^\d+$/

/**
 * The budget a request asks for, in milliseconds, capped by `max`; `undefined` without the
 * header or when it is not a non-negative integer (a sign, a fraction, a unit, several values).
 *
 * @internal
 */
export const requestedMillis = (value: string | undefined, max: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (!MILLIS.test(trimmed)) return undefined
  return Math.min(Number(trimmed), max)
}

const expired = (millis: number) =>
  server.problem(
    504,
    "Gateway Timeout",
    `The request's deadline (${millis} ms) passed before the server could answer.`
  )

/** @internal */
export const middleware = (options?: HttpDeadline.Options) => {
  const input = validate.optionalObject("options", options)
  const header = deadlineHeader({ header: input.header })
  const max = input.max === undefined ? Duration.seconds(30) : validate.duration("max", input.max)
  if (Duration.toMillis(max) <= 0) validate.fail("max", "must be a positive, finite duration", input.max)
  const maxMillis = Duration.toMillis(max)

  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.interruptible(Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const millis = requestedMillis(request.headers[header], maxMillis)
      if (millis === undefined) return yield* app
      if (millis === 0) return expired(millis)
      // the app's own failures travel inside the Either, so only this deadline becomes a 504
      const result = yield* Effect.either(Deadline.within(Effect.either(app), Duration.millis(millis)))
      if (Either.isRight(result)) return yield* result.right
      return expired(millis)
    }))
}

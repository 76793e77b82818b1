import * as Hedge from "@effect-resilience/core/Hedge"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dualClient } from "./dual.js"
import { isTransientOutcome } from "./outcome.js"
import * as validate from "./validate.js"

type Response = HttpClientResponse.HttpClientResponse
type Outcome = Exit.Exit<Response, unknown>

/** An attempt that did not win, carrying its outcome: the primary's is returned when none wins. */
class Lost {
  constructor(readonly outcome: Outcome) {}
}

/** @internal */
export interface HedgingConfig {
  readonly methods: ReadonlySet<string>
  readonly classify: (outcome: Outcome) => "success" | "failure"
  readonly hedge: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

const defaultClassify = (outcome: Outcome): "success" | "failure" => isTransientOutcome(outcome) ? "failure" : "success"

/** @internal */
export const validateHedging = (input: unknown): HedgingConfig => {
  const o = validate.object("options", input)
  const methods = o.methods === undefined ? new Set(["GET", "HEAD"]) : validate.methods("methods", o.methods)
  const classify = validate.optionalFunc<HedgingConfig["classify"]>("classify", o.classify) ?? defaultClassify
  // core's Hedge.hedge validates delay, maxHedges, budget and name
  const hedge = Hedge.hedge({
    delay: o.delay as Hedge.HedgeOptions["delay"],
    maxHedges: o.maxHedges as number | undefined,
    budget: o.budget as Hedge.HedgeOptions["budget"],
    name: (o.name as string | undefined) ?? "http"
  })
  return { methods, classify, hedge }
}

/**
 * Each attempt succeeds (wins) only with an outcome `classify` calls a success; any other ends
 * as a `Lost` failure, so the hedge launches the next attempt at once. Losers are interrupted by
 * the hedge, which aborts their requests. When none wins, the primary's outcome is returned.
 */
const hedgeRequest = <E, R>(
  effect: Effect.Effect<Response, E, R>,
  config: HedgingConfig
): Effect.Effect<Response, E, R> => {
  const attempt = Effect.flatMap(
    Effect.exit(effect),
    (exit) => config.classify(exit) === "success" ? Effect.succeed(exit) : Effect.fail(new Lost(exit))
  )
  return Effect.flatMap(
    Effect.exit(config.hedge(attempt)),
    (exit): Effect.Effect<Response, E> => {
      if (Exit.isSuccess(exit)) return exit.value
      const cause = exit.cause
      const lost = cause._tag === "Fail" && cause.error instanceof Lost ? cause.error : undefined
      return (lost === undefined ? exit : lost.outcome) as Effect.Effect<Response, E>
    }
  )
}

/** @internal */
export const withHedging = dualClient(
  validateHedging,
  (client, config) =>
    HttpClient.transform(
      client,
      (effect, request) =>
        config.methods.has(request.method) && request.body._tag !== "Stream" ? hedgeRequest(effect, config) : effect
    )
)

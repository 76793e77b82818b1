import * as HttpClient from "@effect/platform/HttpClient"
import * as Predicate from "effect/Predicate"

/** @internal */
export const isClient = (u: unknown): u is HttpClient.HttpClient.With<unknown, unknown> =>
  Predicate.hasProperty(u, HttpClient.TypeId)

/** @internal */
export type Client = HttpClient.HttpClient.With<unknown, unknown>

/** @internal */
export interface DualClient {
  (options?: unknown): (client: Client) => Client
  (client: Client, options?: unknown): Client
}

/**
 * `Function.dual` for combinators over a client whose options are validated when the combinator
 * is called: `retryTransient({ times: -1 })` throws at once, and the data-last form does not
 * validate again for each client it is applied to. The data-first form is told apart by its
 * first argument being a client, since options may be omitted.
 *
 * @internal
 */
export const dualClient = <Validated>(
  validate: (options: unknown) => Validated,
  body: (client: Client, validated: Validated) => Client
): DualClient =>
  function(this: unknown) {
    if (isClient(arguments[0])) return body(arguments[0], validate(arguments[1]))
    const validated = validate(arguments[0])
    return (client: unknown): Client => {
      if (!isClient(client)) throw new TypeError("expected an HttpClient")
      return body(client, validated)
    }
  } as DualClient

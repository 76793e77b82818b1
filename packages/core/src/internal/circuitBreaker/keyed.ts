/**
 * `CircuitBreaker.keyed`: one breaker per key with bounded memory. The keys' breakers share the
 * keyed instance's name and instrument (metrics by that name, never by key); their errors and
 * events carry the key.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import type * as CircuitBreaker from "../../CircuitBreaker.js"
import { keyedInstances, keyInstrument, validateLimits } from "../keyed.js"
import * as names from "../names.js"
import { instrumentFrom } from "../observer.js"
import { makeWith } from "./breaker.js"
import { validateOptions } from "./options.js"

/** What a breaker holds beyond the `CircuitBreaker` interface: its subscriptions to end. */
interface Closable {
  readonly hub: unknown
  readonly close: Effect.Effect<void>
}

/** @internal */
export const keyed = (
  options: CircuitBreaker.KeyedCircuitBreaker.Options
): Effect.Effect<CircuitBreaker.KeyedCircuitBreaker, never, Scope.Scope> => {
  const { limits, rest } = validateLimits(options)
  const config = validateOptions(rest)
  // a breaker restored Closed with no counts is as fresh as a new one
  const startsFresh = config.initialState === undefined
  const startsClosed = config.initialState === undefined || config.initialState.state === "Closed"
  return Effect.contextWith((context: Context.Context<Scope.Scope>): CircuitBreaker.KeyedCircuitBreaker => {
    const name = config.name ?? names.generate("circuit-breaker")
    const instrument = instrumentFrom(context as Context.Context<never>, "CircuitBreaker", name)
    const breakers = keyedInstances<CircuitBreaker.CircuitBreaker>({
      limits,
      scope: Context.get(context, Scope.Scope),
      create: (key, listener) => makeWith(config, name, keyInstrument(instrument, key, undefined), { key, listener }),
      created: (_, listener) => {
        if (startsClosed) listener.release(startsFresh)
      },
      forget: (breaker) => {
        const closable = breaker as unknown as Closable
        return closable.hub === undefined ? undefined : closable.close
      }
    })
    return {
      name,
      protect: (key) => (self) => Effect.flatMap(breakers.get(key), (breaker) => breaker.protect(self)),
      get: breakers.get,
      size: breakers.size
    }
  })
}

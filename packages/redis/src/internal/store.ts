/** `RedisStore.make` and `RedisStore.layer`. */
import * as Resilience from "@effect-resilience/core/Resilience"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { RedisClient } from "../RedisClient.js"
import type * as RedisStore from "../RedisStore.js"
import * as circuitBreakerStore from "./circuitBreakerStore.js"
import { starter } from "./client.js"
import { Health } from "./health.js"
import * as options from "./options.js"
import * as rateLimiterStore from "./rateLimiterStore.js"

/** @internal */
export const make = (
  storeOptions?: RedisStore.Options
): Effect.Effect<RedisStore.RedisStore, never, RedisClient | Scope.Scope> => {
  const settings = options.validate(storeOptions)
  return Effect.gen(function*() {
    const client = yield* RedisClient
    const health = new Health(`redis:${settings.prefix}`, settings.commandTimeoutMillis, starter(client))
    yield* Effect.addFinalizer(() => health.close)
    return {
      rateLimiter: rateLimiterStore.make(settings, health),
      circuitBreaker: circuitBreakerStore.make(settings, health)
    }
  })
}

/** @internal */
export const layer = (
  layerOptions?: RedisStore.Options & { readonly resilience?: Resilience.Resilience.Options | undefined }
) => {
  const { resilience, ...storeOptions } = layerOptions ?? {}
  const stores = make(storeOptions)
  return Layer.unwrapScoped(
    Effect.map(stores, (redis) =>
      Resilience.layerConfig({
        ...resilience,
        defaults: {
          ...resilience?.defaults,
          rateLimiter: { ...resilience?.defaults?.rateLimiter, store: redis.rateLimiter },
          circuitBreaker: { ...resilience?.defaults?.circuitBreaker, store: redis.circuitBreaker }
        }
      }))
  )
}

// A user's TypeScript against the installed @effect-resilience/redis, type-checked under
// moduleResolution NodeNext and Bundler by check-packages.mjs.
import type { Resilience } from "@effect-resilience/core"
import { RedisClient, RedisStore } from "@effect-resilience/redis"
import type { ConfigError, Layer, Scope } from "effect"
import { Effect } from "effect"

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
const assertType = <T extends true>(_: T) => {}

const client = RedisClient.layerNodeRedis({ url: "redis://127.0.0.1:6379" })
assertType<Equals<typeof client, Layer.Layer<RedisClient.RedisClient>>>(true)

export const store = RedisStore.make({ prefix: "app:", onUnavailable: "local", localShare: 4 })
assertType<Equals<typeof store, Effect.Effect<RedisStore.RedisStore, never, RedisClient.RedisClient | Scope.Scope>>>(
  true
)

const live = RedisStore.layer({ commandTimeout: "200 millis" })
assertType<Equals<typeof live, Layer.Layer<Resilience.Resilience, ConfigError.ConfigError, RedisClient.RedisClient>>>(
  true
)

export const program = Effect.void.pipe(Effect.provide(live), Effect.provide(client))

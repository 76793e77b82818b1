/**
 * `Bulkhead.keyed`: one bulkhead per key with bounded memory. A key is forgotten only while its
 * bulkhead has no active and no queued call. The keys' bulkheads share the keyed instance's name
 * and instrument (its `active` and `queued` gauges sum every key's); their errors and events
 * carry the key.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Scope from "effect/Scope"
import type * as Bulkhead from "../Bulkhead.js"
import { type BulkheadImpl, makeWith, needsReaper, validateOptions } from "./bulkhead.js"
import { keyedInstances, keyInstrument, Levels, validateLimits } from "./keyed.js"
import * as names from "./names.js"
import { instrumentFrom } from "./observer.js"

/** @internal */
export const keyed = (
  options: Bulkhead.KeyedBulkhead.Options
): Effect.Effect<Bulkhead.KeyedBulkhead, never, Scope.Scope> => {
  const { limits, rest } = validateLimits(options)
  const config = validateOptions(rest)
  const reaper = needsReaper(config)
  return Effect.gen(function*() {
    const context = yield* Effect.context<Scope.Scope>()
    const scope = Context.get(context, Scope.Scope)
    const name = config.name ?? names.generate("bulkhead")
    const instrument = instrumentFrom(context as Context.Context<never>, "Bulkhead", name)
    const clock = yield* Effect.clock
    const levels = new Levels()
    // each key's queue-timeout reaper, interrupted when its key is forgotten or the scope closes
    const reapers = new Map<BulkheadImpl, Fiber.RuntimeFiber<never>>()
    const stop = (bulkhead: BulkheadImpl): void => {
      const fiber = reapers.get(bulkhead)
      if (fiber === undefined) return
      reapers.delete(bulkhead)
      fiber.unsafeInterruptAsFork(FiberId.none)
    }
    const bulkheads = keyedInstances<BulkheadImpl>({
      limits,
      scope,
      create: (key, listener) =>
        Effect.suspend(() => {
          const bulkhead = makeWith(config, name, clock, keyInstrument(instrument, key, levels), key)
          bulkhead.listener = listener
          if (!reaper) return Effect.succeed(bulkhead)
          return Effect.map(Effect.forkDaemon(Effect.interruptible(bulkhead.reaper)), (fiber) => {
            reapers.set(bulkhead, fiber)
            return bulkhead
          })
        }),
      created: (_, listener) => listener.release(false),
      forget: (bulkhead) => {
        stop(bulkhead)
        return undefined
      }
    })
    yield* Scope.addFinalizer(
      scope,
      Effect.sync(() => {
        for (const bulkhead of bulkheads.instances()) {
          bulkhead.shutdown()
          stop(bulkhead)
        }
      })
    )
    return {
      name,
      protect: (key) => (self) => Effect.flatMap(bulkheads.get(key), (bulkhead) => bulkhead.protect(self)),
      get: bulkheads.get,
      size: bulkheads.size
    }
  })
}

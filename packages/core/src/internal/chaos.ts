import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Chaos from "../Chaos.js"
import { ResilienceEvent } from "../ResilienceEvent.js"
import { dualValidated } from "./dual.js"
import { withInstrument } from "./observer.js"
import { normalizeName } from "./registryConfig.js"
import * as validate from "./validate.js"

/** @internal */
export interface Common {
  readonly policyName: string
  readonly kind: Chaos.Kind
  readonly rate: number
  readonly enabled: boolean | Effect.Effect<boolean> | undefined
  /** `RESILIENCE_CHAOS_<NAME>_ENABLED`, read per call when `enabled` is not given */
  readonly configKey: string
  /** whether a value of the key that is not a boolean has been logged (once per strategy) */
  warned: boolean
}

const readCommon = (kind: Chaos.Kind, o: Record<string, unknown>): Common => {
  const name = validate.optionalName("name", o.name)
  const rate = validate.number("rate", o.rate, { min: 0, max: 1 })
  const enabled = o.enabled
  if (enabled !== undefined && typeof enabled !== "boolean" && !Effect.isEffect(enabled)) {
    validate.fail("enabled", "must be a boolean or an Effect<boolean>", enabled)
  }
  const policyName = name ?? kind
  return {
    policyName,
    kind,
    rate,
    enabled: enabled as boolean | Effect.Effect<boolean> | undefined,
    configKey: `RESILIENCE_CHAOS_${normalizeName(policyName)}_ENABLED`,
    warned: false
  }
}

/**
 * Whether the strategy is on for this call: an explicit `enabled` wins; otherwise the Config key,
 * read from the current ConfigProvider per call, off when absent or not a boolean, so nothing is
 * injected in production by accident.
 */
const isEnabled = (common: Common): Effect.Effect<boolean> => {
  if (typeof common.enabled === "boolean") return Effect.succeed(common.enabled)
  if (common.enabled !== undefined) return common.enabled
  return Effect.configProviderWith((provider) => provider.load(Config.option(Config.boolean(common.configKey)))).pipe(
    Effect.map(Option.getOrElse(() => false)),
    Effect.catchAll((error) => {
      if (common.warned) return Effect.succeed(false)
      common.warned = true
      return Effect.as(
        Effect.logWarning(
          `Chaos strategy "${common.policyName}" stays off: ${common.configKey} is not a boolean (${error.message})`
        ),
        false
      )
    })
  )
}

/** Enabled, then one draw from `Random` against `rate` (no draw while disabled). */
const decide = (common: Common): Effect.Effect<boolean> =>
  Effect.flatMap(isEnabled(common), (on) => {
    if (!on || common.rate === 0) return Effect.succeed(false)
    return Effect.map(Random.next, (r) => r < common.rate)
  })

/**
 * Runs `self`, or `inject(injection)` when the strategy fires: the `ChaosInjected` event and the
 * `resilience_chaos_injections_total` count are reported first.
 */
const run = <A, E, R>(
  common: Common,
  self: Effect.Effect<A, E, R>,
  inject: (injection: Chaos.Injection) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  withInstrument("Chaos", common.policyName, (instrument, clock) =>
    Effect.flatMap(decide(common), (fire) => {
      if (!fire) return self
      const injection: Chaos.Injection = {
        policyName: common.policyName,
        kind: common.kind,
        at: clock.unsafeCurrentTimeMillis()
      }
      if (instrument.active) instrument.emit(ResilienceEvent.ChaosInjected(injection))
      return inject(injection)
    }))

interface FaultConfig extends Common {
  readonly error: (injection: Chaos.Injection) => unknown
}

interface LatencyConfig extends Common {
  readonly delay: Duration.Duration | Effect.Effect<Duration.Duration>
}

interface OutcomeConfig extends Common {
  readonly value: (injection: Chaos.Injection) => unknown
}

interface BehaviorConfig extends Common {
  readonly effect: Effect.Effect<unknown, unknown, unknown>
}

const validateFault = (options: unknown): FaultConfig => {
  const o = validate.object("options", options)
  return { ...readCommon("fault", o), error: validate.func("error", o.error) }
}

const validateLatency = (options: unknown): LatencyConfig => {
  const o = validate.object("options", options)
  const delay = Effect.isEffect(o.delay)
    ? o.delay as Effect.Effect<Duration.Duration>
    : validate.duration("delay", o.delay)
  return { ...readCommon("latency", o), delay }
}

const validateOutcome = (options: unknown): OutcomeConfig => {
  const o = validate.object("options", options)
  return { ...readCommon("outcome", o), value: validate.func("value", o.value) }
}

const validateBehavior = (options: unknown): BehaviorConfig => {
  const o = validate.object("options", options)
  if (!Effect.isEffect(o.effect)) validate.fail("effect", "must be an Effect", o.effect)
  return { ...readCommon("behavior", o), effect: o.effect as Effect.Effect<unknown, unknown, unknown> }
}

// Each strategy keeps its own mutable `warned` flag: a data-last strategy is validated once and
// shared by every call it is applied to, so the warning is logged once per strategy.

/** @internal */
export const fault = dualValidated(
  validateFault,
  (self: Effect.Effect<unknown, unknown, unknown>, config: FaultConfig) =>
    run(config, self, (injection) => Effect.fail(config.error(injection)))
) as never

/** @internal */
export const latency = dualValidated(
  validateLatency,
  (self: Effect.Effect<unknown, unknown, unknown>, config: LatencyConfig) =>
    run(config, self, () =>
      Effect.zipRight(
        Duration.isDuration(config.delay) ? Effect.sleep(config.delay) : Effect.flatMap(config.delay, Effect.sleep),
        self
      ))
) as never

/** @internal */
export const outcome = dualValidated(
  validateOutcome,
  (self: Effect.Effect<unknown, unknown, unknown>, config: OutcomeConfig) =>
    run(config, self, (injection) => Effect.sync(() => config.value(injection)))
) as never

/** @internal */
export const behavior = dualValidated(
  validateBehavior,
  (self: Effect.Effect<unknown, unknown, unknown>, config: BehaviorConfig) =>
    run(config, self, () => Effect.zipRight(config.effect, self))
) as never

import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Bulkhead from "../Bulkhead.js"
import * as CircuitBreaker from "../CircuitBreaker.js"
import * as RateLimiter from "../RateLimiter.js"
import type * as Resilience from "../Resilience.js"
import type { ResilienceEvent } from "../ResilienceEvent.js"
import * as RetryBudget from "../RetryBudget.js"
import { ResilienceConfigError } from "./errors.js"
import { type EventHub, makeObserver, offer } from "./live.js"
import { ObserverTag } from "./observer.js"
import { type Entry, type FromConfig, type Kind, KIND_KEYS, normalizeName, read } from "./registryConfig.js"
import * as validate from "./validate.js"

/** @internal */
export const ResilienceTag = Context.GenericTag<Resilience.Resilience>("@effect-resilience/core/Resilience")

/** Used where neither code nor Config gives an option (resilience4j's and Finagle's defaults). */
const BUILT_IN = {
  bulkhead: { maxConcurrent: 25, maxQueue: 0 },
  rateLimiter: { limit: 50, interval: "1 second" },
  retryBudget: { ratio: 0.2, minPerSecond: 10, window: "10 seconds" },
  failureRate: { threshold: 0.5, minimumCalls: 100, window: { calls: 100 } }
} as const

type AnyOptions = Record<string, unknown>

interface Instances {
  readonly circuitBreaker: CircuitBreaker.CircuitBreaker
  readonly bulkhead: Bulkhead.Bulkhead
  readonly rateLimiter: RateLimiter.RateLimiter
  readonly retryBudget: RetryBudget.RetryBudget
}

type KeyedKind = "circuitBreaker" | "bulkhead" | "rateLimiter"

interface KeyedInstances {
  readonly circuitBreaker: CircuitBreaker.KeyedCircuitBreaker
  readonly bulkhead: Bulkhead.KeyedBulkhead
  readonly rateLimiter: RateLimiter.KeyedRateLimiter
}

/** A keyed instance from options (validated when called, like every constructor). */
const makeKeyed = (kind: KeyedKind, options: AnyOptions): Effect.Effect<unknown, never, Scope.Scope> => {
  switch (kind) {
    case "circuitBreaker":
      return CircuitBreaker.keyed(options as CircuitBreaker.KeyedCircuitBreaker.Options)
    case "bulkhead":
      return Bulkhead.keyed(options as unknown as Bulkhead.KeyedBulkhead.Options)
    case "rateLimiter":
      return RateLimiter.keyed(options as unknown as RateLimiter.KeyedRateLimiter.Options)
  }
}

const KINDS: ReadonlyArray<Kind> = ["circuitBreaker", "bulkhead", "rateLimiter", "retryBudget"]

const flat = (entries: Map<string, Entry> | undefined): Record<string, number | string> => {
  const values: Record<string, number | string> = {}
  entries?.forEach((entry) => {
    values[entry.spec.option] = entry.value
  })
  return values
}

/** Config overrides code; a trip policy or slow-call setting is rebuilt from both. */
const circuitBreakerOptions = (code: AnyOptions, config: Record<string, number | string>): AnyOptions => {
  const options: AnyOptions = { ...code }
  if (config.breakDuration !== undefined) options.breakDuration = config.breakDuration
  if (config.halfOpenMaxCalls !== undefined) options.halfOpenMaxCalls = config.halfOpenMaxCalls
  if (config.consecutive !== undefined) {
    options.trip = CircuitBreaker.consecutive(config.consecutive as number)
  } else if (
    ["threshold", "minimumCalls", "window.calls", "window.duration", "window.buckets"].some((o) =>
      config[o] !== undefined
    )
  ) {
    const trip = code.trip as CircuitBreaker.TripPolicy | undefined
    const base = trip?._tag === "FailureRate" ? trip as CircuitBreaker.FailureRatePolicy : BUILT_IN.failureRate
    const baseWindow = base.window as {
      readonly calls?: number
      readonly duration?: unknown
      readonly buckets?: number
    }
    const window = config["window.duration"] !== undefined
      ? { duration: config["window.duration"], buckets: config["window.buckets"] ?? baseWindow.buckets ?? 10 }
      : config["window.calls"] !== undefined
      ? { calls: config["window.calls"] }
      : config["window.buckets"] !== undefined && baseWindow.duration !== undefined
      ? { duration: baseWindow.duration, buckets: config["window.buckets"] }
      : base.window
    options.trip = CircuitBreaker.failureRate({
      threshold: (config.threshold ?? base.threshold) as number,
      minimumCalls: (config.minimumCalls ?? base.minimumCalls) as number,
      window: window as CircuitBreaker.FailureRateOptions["window"]
    })
  }
  if (config["slowCall.duration"] !== undefined || config["slowCall.rate"] !== undefined) {
    const slow = (code.slowCall ?? {}) as AnyOptions
    options.slowCall = {
      duration: config["slowCall.duration"] ?? slow.duration,
      rate: config["slowCall.rate"] ?? slow.rate
    }
  }
  return options
}

/**
 * Two names that normalize to the same Config keys would share those keys and yet be two
 * instances reporting under two metric names: the second one is a programmer error.
 */
const collision = (kind: Kind, existing: string, name: string): ResilienceConfigError =>
  new ResilienceConfigError({
    option: "name",
    rule: `must not normalize to the Config keys of another ${kind} (RESILIENCE_${KIND_KEYS[kind]}_${
      normalizeName(name)
    }_*): "${existing}" already uses them`,
    value: name
  })

/** @internal */
export interface Resolved {
  /** options per kind and normalized name, merged and validated */
  readonly options: Record<Kind, Map<string, AnyOptions>>
  readonly defaults: Record<Kind, AnyOptions>
  /** names given in code `instances`, by kind and normalized name */
  readonly codeNames: Record<Kind, Map<string, string>>
  /** code `instances` per kind and normalized name, and the Config entries: to merge a call's options */
  readonly instances: Record<Kind, Map<string, AnyOptions>>
  readonly fromConfig: FromConfig
}

const merge = (kind: Kind, code: AnyOptions, config: Record<string, number | string>): AnyOptions =>
  kind === "circuitBreaker" ? circuitBreakerOptions(code, config) : { ...code, ...config }

/** Throws a ResilienceConfigError when the options are invalid (constructors validate eagerly). */
const check = (kind: Kind, options: AnyOptions): void => {
  switch (kind) {
    case "circuitBreaker":
      CircuitBreaker.make(options as CircuitBreaker.CircuitBreaker.Options)
      return
    case "bulkhead":
      Bulkhead.make(options as unknown as Bulkhead.Bulkhead.Options)
      return
    case "rateLimiter":
      RateLimiter.make(options as unknown as RateLimiter.RateLimiter.Options)
      return
    case "retryBudget":
      RetryBudget.make(options as unknown as RetryBudget.RetryBudget.Options)
      return
  }
}

/**
 * Merges code and Config options per name and validates them all. A bad value from Config gives
 * a ConfigError naming its key; a bad value from code is a programmer error and is thrown.
 *
 * @internal
 */
export const resolve = (
  options: Resilience.Resilience.Options,
  fromConfig: FromConfig
): Resolved | ConfigError.ConfigError => {
  const defaults = {
    circuitBreaker: { ...options.defaults?.circuitBreaker },
    bulkhead: { ...BUILT_IN.bulkhead, ...options.defaults?.bulkhead },
    rateLimiter: { ...BUILT_IN.rateLimiter, ...options.defaults?.rateLimiter },
    retryBudget: { ...BUILT_IN.retryBudget, ...options.defaults?.retryBudget }
  } as Record<Kind, AnyOptions>
  const resolved: Resolved = {
    defaults,
    options: { circuitBreaker: new Map(), bulkhead: new Map(), rateLimiter: new Map(), retryBudget: new Map() },
    codeNames: { circuitBreaker: new Map(), bulkhead: new Map(), rateLimiter: new Map(), retryBudget: new Map() },
    instances: { circuitBreaker: new Map(), bulkhead: new Map(), rateLimiter: new Map(), retryBudget: new Map() },
    fromConfig
  }
  for (const kind of KINDS) {
    // the defaults themselves must be valid for names first seen at run time
    check(kind, { ...defaults[kind], name: `${kind}-defaults` })
    const instances = (options.instances?.[kind] ?? {}) as Record<string, AnyOptions>
    const names = new Map<string, string>()
    for (const name of Object.keys(instances)) {
      const normalized = normalizeName(name)
      const other = names.get(normalized)
      if (other !== undefined) throw collision(kind, other, name)
      names.set(normalized, name)
      resolved.codeNames[kind].set(normalized, name)
      resolved.instances[kind].set(normalized, instances[name])
    }
    for (const name of fromConfig[kind].keys()) if (!names.has(name)) names.set(name, name)
    for (const [normalized, name] of names) {
      const code = { ...defaults[kind], ...instances[name], name }
      const entries = fromConfig[kind].get(normalized)
      try {
        const merged = merge(kind, code, flat(entries))
        check(kind, merged)
        resolved.options[kind].set(normalized, merged)
      } catch (error) {
        if (!(error instanceof ResilienceConfigError) || entries === undefined) throw error
        const entry = Array.from(entries.values()).find((e) =>
          e.spec.option === error.option || e.spec.option.startsWith(`${error.option}.`)
        ) ?? Array.from(entries.values())[0]
        return ConfigError.InvalidData([entry.key], error.message)
      }
    }
  }
  return resolved
}

/** The event buffer is allocated when the layer is built. */
const MAX_EVENTS_CAPACITY = 1_000_000

/**
 * The options an instance named `name` is created with. A call's own `options` are this name's
 * defaults: over the kind's defaults, under code `instances` and Config. Throws a
 * `ResilienceConfigError` when the merge is invalid.
 *
 * @internal
 */
export const optionsFor = (resolved: Resolved, kind: Kind, name: string, options: object | undefined): AnyOptions => {
  const normalized = normalizeName(name)
  if (options === undefined) {
    return { ...(resolved.options[kind].get(normalized) ?? resolved.defaults[kind]), name }
  }
  const code = { ...resolved.defaults[kind], ...options, ...resolved.instances[kind].get(normalized), name }
  const merged = { ...merge(kind, code, flat(resolved.fromConfig[kind].get(normalized))), name }
  check(kind, merged)
  return merged
}

/** @internal */
export interface RegistryOptions {
  readonly metrics: boolean
  readonly events: number | false
  readonly spans: boolean
}

/** @internal */
export const validateOptions = (options: unknown): {
  readonly options: Resilience.Resilience.Options
  readonly settings: RegistryOptions
} => {
  const o = (validate.optionalObject("options", options) ?? {}) as Resilience.Resilience.Options
  const events = o.events === undefined || o.events === true
    ? 1024
    : o.events === false
    ? false
    : typeof o.events !== "object" || o.events === null
    ? validate.fail("events", "must be a boolean or { capacity }", o.events)
    : validate.integer(
      "events.capacity",
      (o.events as { readonly capacity?: unknown }).capacity,
      1,
      MAX_EVENTS_CAPACITY
    )
  for (const kind of KINDS) {
    const instances = o.instances?.[kind]
    if (instances !== undefined) validate.object(`instances.${kind}`, instances)
    const defaults = o.defaults?.[kind]
    if (defaults !== undefined) validate.object(`defaults.${kind}`, defaults)
  }
  return {
    options: o,
    settings: {
      metrics: validate.optionalBoolean("metrics", o.metrics) ?? true,
      spans: validate.optionalBoolean("spans", o.spans) ?? true,
      events
    }
  }
}

const makeRegistry = (
  settings: RegistryOptions,
  resolved: Resolved
): Effect.Effect<readonly [Resilience.Resilience, ObserverTag["Type"]], never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const hub: EventHub | undefined = settings.events === false
      ? undefined
      : { subscribers: 0, published: 0, pubsub: yield* PubSub.sliding<ResilienceEvent>(settings.events) }
    const observer = makeObserver({ metrics: settings.metrics, events: hub, spans: settings.spans })
    const created = new Map<string, unknown>()
    const pending = new Map<string, Deferred.Deferred<unknown>>()
    // the name that owns each kind's normalized Config key: names from code first, others on first use
    const owners = {} as Record<Kind, Map<string, string>>
    const keyedOwners = {} as Record<Kind, Map<string, string>>
    for (const kind of KINDS) {
      owners[kind] = new Map(resolved.codeNames[kind])
      keyedOwners[kind] = new Map(resolved.codeNames[kind])
    }

    const construct = (kind: Kind, withName: AnyOptions): Effect.Effect<unknown> => {
      switch (kind) {
        case "circuitBreaker":
          return CircuitBreaker.make(withName as CircuitBreaker.CircuitBreaker.Options).pipe(Scope.extend(scope))
        case "bulkhead":
          return Bulkhead.make(withName as unknown as Bulkhead.Bulkhead.Options).pipe(Scope.extend(scope))
        case "rateLimiter":
          return RateLimiter.make(withName as unknown as RateLimiter.RateLimiter.Options).pipe(Scope.extend(scope))
        case "retryBudget":
          return RetryBudget.make(withName as unknown as RetryBudget.RetryBudget.Options).pipe(Scope.extend(scope))
      }
    }

    // One instance per kind and name, created on first use, however many fibers ask at once.
    const instance = <A>(id: string, make: () => Effect.Effect<A>): Effect.Effect<A> =>
      Effect.suspend(() => {
        const instance = created.get(id)
        if (instance !== undefined) return Effect.succeed(instance as A)
        const waiting = pending.get(id)
        if (waiting !== undefined) return Deferred.await(waiting) as Effect.Effect<A>
        const deferred = Deferred.unsafeMake<unknown>(FiberId.none)
        pending.set(id, deferred)
        return Effect.suspend(make).pipe(
          Effect.provideService(ObserverTag, observer),
          Effect.exit,
          Effect.flatMap((exit) => {
            pending.delete(id)
            if (Exit.isSuccess(exit)) created.set(id, exit.value)
            return Effect.zipRight(Deferred.done(deferred, exit), exit)
          }),
          Effect.uninterruptible
        )
      })

    // Names must be non-empty strings, and two names of one kind must not share Config keys: the
    // first to use a normalized key owns it (names from code own theirs from the start).
    const claim = (owners: Map<string, string>, kind: Kind, name: unknown): Effect.Effect<never> | undefined => {
      if (typeof name !== "string" || name.length === 0) {
        return Effect.die(
          new ResilienceConfigError({ option: "name", rule: "must be a non-empty string", value: name })
        )
      }
      const normalized = normalizeName(name)
      const owner = owners.get(normalized)
      if (owner === undefined) owners.set(normalized, name)
      else if (owner !== name) return Effect.die(collision(kind, owner, name))
      return undefined
    }

    const getUnclaimed = <K extends Kind>(kind: K) => (name: string, options?: object): Effect.Effect<Instances[K]> => {
      const id = `${kind}\u0000${name}`
      // a call's options are validated when it is made, unless the instance exists already
      if (options === undefined || created.has(id)) {
        return instance(id, () => construct(kind, optionsFor(resolved, kind, name, undefined))) as Effect.Effect<
          Instances[K]
        >
      }
      validate.object("options", options)
      check(kind, { ...resolved.defaults[kind], ...options, name })
      return instance(id, () => construct(kind, optionsFor(resolved, kind, name, options))) as Effect.Effect<
        Instances[K]
      >
    }

    const get = <K extends Kind>(kind: K) => (name: string, options?: object): Effect.Effect<Instances[K]> => {
      // options are validated now (a programmer error throws at the call); the name when it runs
      const effect = getUnclaimed(kind)(name, options)
      return Effect.suspend(() => claim(owners[kind], kind, name) ?? effect)
    }

    // One keyed instance per kind and name, options merged as for the others: Config keys of
    // its kind and name apply to every key.
    const getKeyed =
      <K extends KeyedKind>(kind: K) => (name: string, options?: object): Effect.Effect<KeyedInstances[K]> => {
        const effect = getKeyedUnclaimed(kind)(name, options)
        return Effect.suspend(() => claim(keyedOwners[kind], kind, name) ?? effect)
      }

    const getKeyedUnclaimed =
      <K extends KeyedKind>(kind: K) => (name: string, options?: object): Effect.Effect<KeyedInstances[K]> => {
        const id = `keyed:${kind}\u0000${name}`
        if (options !== undefined && !created.has(id)) {
          validate.object("options", options)
          makeKeyed(kind, { ...resolved.defaults[kind], ...options, name })
        }
        return instance(
          id,
          () => makeKeyed(kind, optionsFor(resolved, kind, name, options)).pipe(Scope.extend(scope))
        ) as Effect.Effect<KeyedInstances[K]>
      }

    /** The instances of a kind created so far, oldest first. */
    const listing = <K extends Kind>(kind: K): Effect.Effect<ReadonlyArray<Instances[K]>> =>
      Effect.sync(() => {
        const prefix = `${kind}\u0000`
        const out: Array<Instances[K]> = []
        for (const [id, value] of created) if (id.startsWith(prefix)) out.push(value as Instances[K])
        return out
      })

    const publish = (event: ResilienceEvent): Effect.Effect<void> =>
      Effect.sync(() => {
        if (hub !== undefined) offer(hub, event)
      })

    const events: Stream.Stream<ResilienceEvent> = hub === undefined
      ? Stream.empty
      : Stream.unwrapScoped(
        Effect.map(
          Effect.acquireRelease(
            Effect.tap(PubSub.subscribe(hub.pubsub), () => Effect.sync(() => hub.subscribers++)),
            () => Effect.sync(() => hub.subscribers--)
          ),
          (dequeue) => Stream.fromQueue(dequeue)
        )
      )

    const registry: Resilience.Resilience = {
      circuitBreaker: get("circuitBreaker"),
      bulkhead: get("bulkhead"),
      rateLimiter: get("rateLimiter"),
      retryBudget: get("retryBudget"),
      keyedCircuitBreaker: getKeyed("circuitBreaker"),
      keyedBulkhead: getKeyed("bulkhead"),
      keyedRateLimiter: getKeyed("rateLimiter"),
      circuitBreakers: listing("circuitBreaker"),
      bulkheads: listing("bulkhead"),
      events,
      publish
    }
    return [registry, observer] as const
  })

const EMPTY_CONFIG: FromConfig = {
  circuitBreaker: new Map(),
  bulkhead: new Map(),
  rateLimiter: new Map(),
  retryBudget: new Map()
}

const build = (
  options: Resilience.Resilience.Options | undefined,
  fromConfig: Effect.Effect<FromConfig, ConfigError.ConfigError>
): Layer.Layer<Resilience.Resilience, ConfigError.ConfigError> => {
  const { options: validated, settings } = validateOptions(options)
  // options from code are validated now, when the layer is made: they throw like any constructor
  resolve(validated, EMPTY_CONFIG)
  return Layer.scopedContext(
    Effect.gen(function*() {
      const resolved = resolve(validated, yield* fromConfig)
      if (ConfigError.isConfigError(resolved)) return yield* Effect.fail(resolved)
      const [registry, observer] = yield* makeRegistry(settings, resolved)
      // the observer rides along in the context, so policies made anywhere below report to it
      return Context.make(ResilienceTag, registry).pipe(Context.add(ObserverTag, observer)) as Context.Context<
        Resilience.Resilience
      >
    })
  )
}

/** @internal */
export const layer = (options?: Resilience.Resilience.Options): Layer.Layer<Resilience.Resilience> =>
  build(options, Effect.succeed(EMPTY_CONFIG)) as Layer.Layer<Resilience.Resilience>

/** @internal */
export const layerConfig = (
  options?: Resilience.Resilience.Options
): Layer.Layer<Resilience.Resilience, ConfigError.ConfigError> => build(options, read)

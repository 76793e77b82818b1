/**
 * Rate limiters, admitted: `tryAcquire` (a decision) and `protect` (a decision around the call),
 * ours for each algorithm against Effect's `RateLimiter`, rate-limiter-flexible's memory limiter
 * and bottleneck's reservoir. Every limiter allows 10^12 permits per second: never throttled.
 */
import * as RateLimiter from "@effect-resilience/core/RateLimiter"
import Bottleneck from "bottleneck"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as EffectRateLimiter from "effect/RateLimiter"
import * as Ref from "effect/Ref"
import { RateLimiterMemory } from "rate-limiter-flexible"
import { build, call, disposeAtExit, fn, type Group, inFiber, perCall, settings, TARGET_ROUNDS } from "../harness.js"

export const algorithms: ReadonlyArray<RateLimiter.Algorithm> = ["token-bucket", "fixed-window", "sliding-window"]

export const oursLimiter = (algorithm: RateLimiter.Algorithm) =>
  RateLimiter.make({ algorithm, limit: settings.limit, interval: `${settings.intervalMillis} millis` })
export const effectLimiter = (algorithm: "token-bucket" | "fixed-window") =>
  EffectRateLimiter.make({ algorithm, limit: settings.limit, interval: `${settings.intervalMillis} millis` })
export const flexibleLimiter = () =>
  new RateLimiterMemory({ points: settings.limit, duration: settings.intervalMillis / 1000 })
export const bottleneckReservoir = () => new Bottleneck({ reservoir: settings.limit })

const ours = algorithms.map((algorithm) => ({ algorithm, limiter: build(oursLimiter(algorithm)) }))
const effectTokenBucket = build(effectLimiter("token-bucket"))
const effectFixedWindow = build(effectLimiter("fixed-window"))
const flexible = flexibleLimiter()
const bottleneck = disposeAtExit(bottleneckReservoir(), (limiter) => limiter.disconnect())

/** tryAcquire's own floor: one Clock read and one `Ref.modify`, the least a decision can do */
const counter = Effect.runSync(Ref.make(0))
const clockAndRef = Effect.flatMap(
  Clock.currentTimeMillis,
  (now) => Ref.modify(counter, (n): [boolean, number] => [now > 0, n + 1])
)
const CLOCK_AND_REF = "Clock read + Ref.modify"

const tryAcquireRows = (wrap: (effect: Effect.Effect<unknown>) => () => unknown) =>
  ours.map(({ algorithm, limiter }) => ({
    name: `tryAcquire ${algorithm} (ours)`,
    kind: "ours" as const,
    run: wrap(limiter.tryAcquire())
  }))

const protectRows = (wrap: (effect: Effect.Effect<unknown, unknown>) => () => unknown) => [
  ...ours.map(({ algorithm, limiter }) => ({
    name: `protect ${algorithm} (ours)`,
    kind: "ours" as const,
    run: wrap(limiter.protect(call))
  })),
  { name: "effect RateLimiter token-bucket", kind: "effect" as const, run: wrap(effectTokenBucket(call)) },
  { name: "effect RateLimiter fixed-window", kind: "effect" as const, run: wrap(effectFixedWindow(call)) }
]

export const groups: ReadonlyArray<Group> = [
  {
    id: "tryAcquire-fiber",
    title: "Rate limiter tryAcquire, admitted, in-fiber",
    mode: "in-fiber",
    floor: CLOCK_AND_REF,
    cases: [
      { name: CLOCK_AND_REF, kind: "floor", run: inFiber(clockAndRef) },
      ...tryAcquireRows(inFiber)
    ]
  },
  {
    id: "tryAcquire",
    title: "Rate limiter tryAcquire, admitted, per call",
    mode: "runPromise",
    floor: CLOCK_AND_REF,
    cases: [
      { name: CLOCK_AND_REF, kind: "floor", run: perCall(clockAndRef) },
      ...tryAcquireRows(perCall),
      { name: "rate-limiter-flexible memory consume", kind: "peer", run: () => flexible.consume("key") }
    ]
  },
  {
    id: "limiter",
    title: "Rate limiter protect, admitted, per call",
    mode: "runPromise",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: perCall(call) },
      ...protectRows(perCall),
      {
        name: "rate-limiter-flexible memory consume + fn",
        kind: "peer",
        run: () => flexible.consume("key").then(fn)
      },
      { name: "bottleneck reservoir", kind: "peer", run: () => bottleneck.schedule(fn) }
    ]
  },
  {
    id: "limiter-fiber",
    rounds: TARGET_ROUNDS,
    title: "Rate limiter protect, admitted, in-fiber",
    mode: "in-fiber",
    floor: "Effect.promise(fn)",
    cases: [
      { name: "Effect.promise(fn)", kind: "floor", run: inFiber(call) },
      ...protectRows(inFiber)
    ]
  }
]

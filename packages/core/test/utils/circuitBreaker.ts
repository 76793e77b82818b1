import * as CircuitBreaker from "@effect-resilience/core/CircuitBreaker"
import * as Effect from "effect/Effect"

/** A store with only the Effect API, so the breaker takes the generic path a remote store uses. */
export const effectfulStore: CircuitBreaker.Store.Factory = (config) =>
  Effect.map(CircuitBreaker.memoryStore()(config), (store): CircuitBreaker.Store => ({
    admit: (now) => store.admit(now),
    record: (ticket, outcome, slow, now, breakMillis) => store.record(ticket, outcome, slow, now, breakMillis),
    observe: (now) => store.observe(now),
    trip: (now, breakMillis) => store.trip(now, breakMillis),
    isolate: (now) => store.isolate(now),
    reset: (now) => store.reset(now),
    snapshot: (now) => store.snapshot(now)
  }))

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type CallOutcome, type Observer, ObserverTag, type PolicyKind } from "../../src/internal/observer.js"
import type { ResilienceEvent } from "../../src/ResilienceEvent.js"

export interface Recorded {
  readonly events: Array<ResilienceEvent>
  readonly outcomes: Array<{ readonly kind: PolicyKind; readonly name: string; readonly outcome: CallOutcome }>
  readonly instruments: Array<{ readonly kind: PolicyKind; readonly name: string }>
}

/** An observer that records what policies report, for tests of the observability seam. */
export const recording = (): { readonly recorded: Recorded; readonly layer: Layer.Layer<ObserverTag> } => {
  const recorded: Recorded = { events: [], outcomes: [], instruments: [] }
  const observer: Observer = {
    instrument: (kind, name) => {
      recorded.instruments.push({ kind, name })
      return {
        active: true,
        emit: (event) => {
          recorded.events.push(event)
        },
        record: (outcome) => {
          recorded.outcomes.push({ kind, name, outcome })
        }
      }
    }
  }
  return { recorded, layer: Layer.succeed(ObserverTag, observer) }
}

export const provideRecording = <A, E, R>(
  f: (recorded: Recorded) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, Exclude<R, ObserverTag>> => {
  const { layer, recorded } = recording()
  return Effect.provide(f(recorded), layer)
}

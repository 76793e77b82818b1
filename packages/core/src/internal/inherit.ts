/**
 * `child.inheritAll` without its cost when there is nothing to inherit.
 *
 * Joining a child's FiberRefs into its parent (`Fiber.join`, `fiber.inheritAll`) copies the
 * parent's FiberRefs and walks every one of them against the child's: 2–5 µs per call, more
 * than everything else Timeout and Hedge do on their success path. In the common case the call
 * set no FiberRef, and the join changes nothing.
 *
 * A FiberRef the child (or a descendant it joined) has set carries the child's id at the head of
 * its stack; `FiberRefs.joinAs` finds changes only in those. So when no FiberRef but the runtime
 * flags is headed by the child's id, and the child's runtime flags equal the parent's apart from
 * `Interruption` and `WindDown` (which `inheritAll` never passes on), `inheritAll` would be a no-op
 * and is skipped. Otherwise it runs as usual.
 */
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as RuntimeFlags from "effect/RuntimeFlags"

const NOT_INHERITED = RuntimeFlags.make(RuntimeFlags.Interruption, RuntimeFlags.WindDown)

/** @internal */
export const changedFiberRefs = <A, E>(child: Fiber.RuntimeFiber<A, E>, parentFlags: RuntimeFlags.RuntimeFlags) => {
  const childId = child.id()
  const refs = child.getFiberRefs()
  for (const [ref, stack] of refs.locals) {
    if (ref === FiberRef.currentRuntimeFlags) continue
    const setBy = stack[0][0]
    if (setBy === childId || Equal.equals(setBy, childId)) return true
  }
  const childFlags = FiberRefs.getOrDefault(refs, FiberRef.currentRuntimeFlags)
  return ((childFlags ^ parentFlags) & ~NOT_INHERITED) !== 0
}

/**
 * The caller's `child.inheritAll`, skipped when it would change nothing.
 *
 * @internal
 */
export const inheritAll = <A, E>(child: Fiber.RuntimeFiber<A, E>): Effect.Effect<void> =>
  Effect.withFiberRuntime((_, status) => changedFiberRefs(child, status.runtimeFlags) ? child.inheritAll : Effect.void)

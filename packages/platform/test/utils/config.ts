import { ResilienceConfigError } from "@effect-resilience/core/ResilienceError"
import { expect } from "@effect/vitest"

/** Asserts that `f` throws a `ResilienceConfigError` naming `option` (and whose rule mentions `rule`). */
export const expectConfigError = (f: () => unknown, option: string, rule?: string): void => {
  let thrown: unknown
  try {
    f()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(ResilienceConfigError)
  const error = thrown as ResilienceConfigError
  expect(error.option).toBe(option)
  if (rule !== undefined) expect(error.rule).toContain(rule)
  expect(error.message).toContain(`"${option}"`)
}

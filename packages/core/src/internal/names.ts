const counters = new Map<string, number>()

/**
 * A generated name for an unnamed instance: `"circuit-breaker-1"`, `"retry-3"`.
 *
 * @internal
 */
export const generate = (prefix: string): string => {
  const next = (counters.get(prefix) ?? 0) + 1
  counters.set(prefix, next)
  return `${prefix}-${next}`
}

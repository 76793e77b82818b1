/**
 * `Function.dual` for combinators whose options are validated once, when the combinator is
 * applied to them: `Timeout.timeout("-1 second")` throws at once, before any effect runs,
 * and the data-last form does not re-validate on each use.
 *
 * @internal
 */
export const dualValidated = <Validated>(
  validate: (options: never) => Validated,
  body: (self: never, validated: Validated) => unknown
): unknown =>
  function(this: unknown) {
    if (arguments.length >= 2) {
      return body(arguments[0] as never, validate(arguments[1] as never))
    }
    const validated = validate(arguments[0] as never)
    return (self: never) => body(self, validated)
  }

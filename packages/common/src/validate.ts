import { describeValue, message, optionName, type ErrorDetails, type MessagePart } from './errors'

/** Makes a package's own "invalid argument" error from the message and its structured fields. */
export type InvalidArgumentFactory = (parts: MessagePart[], details: ErrorDetails) => Error

/** Argument checks that throw a package's own error naming the option, the value and what was expected. */
export interface Validators {
  /** The error for `value` of `option` not being `expected` (to throw). */
  invalid(expected: string, option: string, value: unknown): Error
  positiveInteger(option: string, value: unknown): asserts value is number
  nonNegativeInteger(option: string, value: unknown): asserts value is number
  integerInRange(option: string, value: unknown, min: number, max: number): asserts value is number
  positiveNumber(option: string, value: unknown): asserts value is number
  nonNegativeNumber(option: string, value: unknown): asserts value is number
  /** A number from 0 to 1. */
  fraction(option: string, value: unknown): asserts value is number
  boolean(option: string, value: unknown): asserts value is boolean
  nonEmptyString(option: string, value: unknown): asserts value is string
  oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): asserts value is T
  signal(option: string, value: unknown): asserts value is AbortSignal
}

/** The validators of a package, throwing errors made by `invalidArgument`. */
export function createValidators(invalidArgument: InvalidArgumentFactory): Validators {
  const invalid = (expected: string, option: string, value: unknown) =>
    invalidArgument(message`Expected ${expected} for ${optionName(option)} but received ${describeValue(value)}`, { option, value, expected })
  const check = (ok: boolean, expected: string, option: string, value: unknown) => {
    if (!ok) throw invalid(expected, option, value)
  }
  const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
  return {
    invalid,
    positiveInteger: (option, value) => check(isNumber(value) && Number.isInteger(value) && value > 0, 'positive integer', option, value),
    nonNegativeInteger: (option, value) => check(isNumber(value) && Number.isInteger(value) && value >= 0, 'non-negative integer', option, value),
    integerInRange: (option, value, min, max) => check(isNumber(value) && Number.isInteger(value) && value >= min && value <= max, `integer from ${min} to ${max}`, option, value),
    positiveNumber: (option, value) => check(isNumber(value) && value > 0, 'positive number', option, value),
    nonNegativeNumber: (option, value) => check(isNumber(value) && value >= 0, 'non-negative number', option, value),
    fraction: (option, value) => check(isNumber(value) && value >= 0 && value <= 1, 'number from 0 to 1', option, value),
    boolean: (option, value) => check(typeof value === 'boolean', 'boolean', option, value),
    nonEmptyString: (option, value) => check(typeof value === 'string' && value.length > 0, 'non-empty string', option, value),
    oneOf: (option, value, allowed) => check(allowed.includes(value as never), `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, option, value),
    signal: (option, value) => check(typeof value === 'object' && value !== null && typeof (value as AbortSignal).aborted === 'boolean' && typeof (value as AbortSignal).addEventListener === 'function', 'AbortSignal', option, value),
  }
}

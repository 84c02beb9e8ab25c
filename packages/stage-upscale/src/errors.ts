/** What went wrong, as a stable code callers can branch on. */
export type UpscaleErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_MODEL_NOT_FOUND'
  | 'E_MODEL_INVALID'
  | 'E_MODEL_UNSUPPORTED'
  | 'E_INFERENCE'
  | 'E_WORKER'
  | 'E_CLOSED'

/** An error of stage-upscale: a `code` to branch on, a message that says what to do, and the `cause`. */
export class UpscaleError extends Error {
  override name = 'UpscaleError'
  readonly code: UpscaleErrorCode

  constructor(code: UpscaleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** Describes a received value for an error message: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return String(value)
}

export function invalidArgument(expected: string, name: string, value: unknown): UpscaleError {
  return new UpscaleError('E_INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${describeValue(value)}`)
}

export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw invalidArgument('positive integer', name, value)
  }
}

export function assertPositiveNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument('positive number', name, value)
  }
}

export function assertOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw invalidArgument(`one of ${allowed.map((a) => `'${a}'`).join(', ')}`, name, value)
  }
}

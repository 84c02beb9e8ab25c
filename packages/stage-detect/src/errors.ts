/** What went wrong, as a stable code callers can branch on. */
export type DetectErrorCode =
  /** An option has the wrong type or value (the message names it). */
  | 'E_INVALID_ARGUMENT'
  /** A frame is not `{ index, image: { data, width, height, channels: 3 } }` with matching sizes. */
  | 'E_INVALID_FRAME'
  /** Frames did not arrive in increasing index order. */
  | 'E_FRAME_ORDER'
  /** A custom detector module does not exist (or a package of that name is not installed). */
  | 'E_DETECTOR_NOT_FOUND'
  /** A custom detector does not export / implement the detector interface, or broke its contract. */
  | 'E_DETECTOR_INVALID'
  /** A custom detector threw or rejected: while loading, in `init`, `compare`, `close` or its operator. */
  | 'E_DETECTOR'
  /** The detection worker thread failed or its script is missing. */
  | 'E_WORKER'

/**
 * An error of stage-detect: a `code` to branch on, a message that names the detector (and the frame)
 * involved, and the original error as `cause`.
 */
export class DetectError extends Error {
  override name = 'DetectError'
  readonly code: DetectErrorCode
  /** The detector involved, when there is one: a built-in name, a module path, or a custom detector's name. */
  readonly detector?: string

  constructor(code: DetectErrorCode, message: string, options?: { cause?: unknown; detector?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options?.detector !== undefined) this.detector = options.detector
  }
}

/** Describes a received value for an error message: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object') return 'an object'
  return String(value)
}

export function invalidArgument(expected: string, name: string, value: unknown): DetectError {
  return new DetectError('E_INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${describeValue(value)}`)
}

export function assertNonNegativeNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidArgument('non-negative number', name, value)
}

export function assertNonNegativeInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidArgument('non-negative integer', name, value)
}

export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalidArgument('positive integer', name, value)
}

export function assertFraction(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) throw invalidArgument('number from 0 to 1', name, value)
}

/** The message of an error, also of one from another realm (a vm context, a worker). */
export function errorMessage(error: unknown): string {
  if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message
  return String(error)
}

/** What went wrong, as a stable code callers can branch on. */
export type SaveErrorCode =
  /** An option is missing, of the wrong type or out of range. */
  | 'E_INVALID_ARGUMENT'
  /** A frame is malformed: bad index, no image, wrong size or type, pts out of order. */
  | 'E_INVALID_FRAME'
  /** More frames are waiting for an earlier index than `reorderCapacity` allows. */
  | 'E_REORDER_OVERFLOW'
  /** The input completed while an index was still missing. */
  | 'E_MISSING_FRAME'
  /** A duplicate names a frame that is not (or no longer) in the result cache. */
  | 'E_DUPLICATE_MISSING'
  /** The input completed without a single frame. */
  | 'E_NO_FRAMES'
  /** The destination exists and `overwrite` was not given. */
  | 'E_OUTPUT_EXISTS'
  /** The output container cannot hold the chosen codec or one of the source's streams. */
  | 'E_INCOMPATIBLE_CONTAINER'
  /** The `source` file cannot be read as media. */
  | 'E_SOURCE'
  /** No ffmpeg binary could be started. */
  | 'E_FFMPEG_NOT_FOUND'
  /** ffmpeg failed: the message carries its last stderr lines. */
  | 'E_FFMPEG'
  /** The output disk is full. */
  | 'E_NO_SPACE'
  /** A file system operation of our own failed (rename, write of an image). */
  | 'E_IO'
  /** Stopped through the AbortSignal. */
  | 'E_ABORTED'

/** An error of stage-save: a `code` to branch on, a message that says what to do, and the `cause`. */
export class SaveError extends Error {
  override name = 'SaveError'
  readonly code: SaveErrorCode
  /** ffmpeg's last stderr lines, when ffmpeg was involved. */
  readonly stderr?: string

  constructor(code: SaveErrorCode, message: string, options?: { cause?: unknown; stderr?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options?.stderr !== undefined) this.stderr = options.stderr
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

export function invalidArgument(expected: string, name: string, value: unknown): SaveError {
  return new SaveError('E_INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${describeValue(value)}`)
}

export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalidArgument('positive integer', name, value)
}

export function assertNonNegativeInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidArgument('non-negative integer', name, value)
}

export function assertIntegerInRange(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`integer from ${min} to ${max}`, name, value)
  }
}

export function assertOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) throw invalidArgument(`one of ${allowed.map((a) => `'${a}'`).join(', ')}`, name, value)
}

export function assertBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgument('boolean', name, value)
}

/** The message of any thrown value (errors from other realms included). */
export function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : String(error)
}

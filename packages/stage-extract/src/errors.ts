/** What went wrong, as a stable code callers can branch on. */
export type ExtractErrorCode =
  /** An option or argument has the wrong type or value. */
  | 'E_INVALID_ARGUMENT'
  /** No usable ffmpeg / ffprobe binary. */
  | 'E_BINARY_NOT_FOUND'
  /** ffmpeg / ffprobe could not be started. */
  | 'E_SPAWN'
  /** The input file (or the folder of an image sequence) does not exist. */
  | 'E_NOT_FOUND'
  /** The input exists but cannot be read (permissions). */
  | 'E_NOT_READABLE'
  /** ffprobe cannot read the input as media (not media, or damaged beyond reading). */
  | 'E_NOT_MEDIA'
  /** The input is media but has no video stream (audio-only, or only a cover picture). */
  | 'E_NO_VIDEO'
  /** The video stream has no frames. */
  | 'E_NO_FRAMES'
  /** The video stream is in a form the ffmpeg build cannot decode (for example animated WebP). */
  | 'E_UNSUPPORTED'
  /** ffprobe failed for another reason, or printed something unreadable. */
  | 'E_PROBE'
  /** ffmpeg exited with an error or was killed by someone else; `stderr` holds its last lines. */
  | 'E_FFMPEG'
  /** ffmpeg's output ended in the middle of a frame. */
  | 'E_SHORT_READ'
  /** Fewer frames than the container announced, and ffmpeg reported read/decode errors. */
  | 'E_TRUNCATED'
  /** The frame timestamps could not be read from ffmpeg's log. */
  | 'E_TIMESTAMPS'
  /** The AbortSignal given in the options fired. */
  | 'E_ABORTED'

/**
 * An error of stage-extract: a `code` to branch on, a message that says what happened and what to
 * do, the `cause`, and for ffmpeg/ffprobe failures the tail of their stderr.
 */
export class ExtractError extends Error {
  override name = 'ExtractError'
  readonly code: ExtractErrorCode
  /** The last lines ffmpeg/ffprobe wrote to stderr, when the error comes from them. */
  readonly stderr: string[]

  constructor(code: ExtractErrorCode, message: string, options?: { cause?: unknown; stderr?: string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.stderr = options?.stderr ?? []
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

export function invalidArgument(expected: string, name: string, value: unknown): ExtractError {
  return new ExtractError('E_INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${describeValue(value)}`)
}

export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalidArgument('positive integer', name, value)
}

export function assertNonNegativeInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidArgument('non-negative integer', name, value)
}

export function assertNonEmptyString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument('non-empty string', name, value)
}

export function assertOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) throw invalidArgument(`one of ${allowed.map((a) => `'${a}'`).join(', ')}`, name, value)
}

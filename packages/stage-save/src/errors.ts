import { AnimeUpscalerError, createValidators, messageOf, type ErrorDetails, type MessagePart, type Validators } from '@anime-upscaler/common'

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

/**
 * An error of stage-save: a `code` to branch on, a message that says what to do, the `cause`, for
 * ffmpeg failures its last stderr lines, and for a bad option the structured fields `option`,
 * `value` and `expected` (see @anime-upscaler/common).
 */
export class SaveError extends AnimeUpscalerError<SaveErrorCode> {
  override name = 'SaveError'
  /** ffmpeg's last stderr lines, when ffmpeg was involved. */
  readonly stderr?: string

  constructor(code: SaveErrorCode, text: string | readonly MessagePart[], details: ErrorDetails & { stderr?: string } = {}) {
    const { stderr, ...rest } = details
    super(code, text, rest)
    if (stderr !== undefined) this.stderr = stderr
  }
}

// Each stage has its own error class and validators (stages import no other stage); they differ from
// the others' only in their codes and their extra field (stderr): a deliberate near-copy.
const check: Validators = createValidators((parts, details) => new SaveError('E_INVALID_ARGUMENT', parts, details))

export const invalidArgument = check.invalid
export const assertPositiveInteger: Validators['positiveInteger'] = check.positiveInteger
export const assertNonNegativeInteger: Validators['nonNegativeInteger'] = check.nonNegativeInteger
export const assertIntegerInRange: Validators['integerInRange'] = check.integerInRange
export const assertOneOf: Validators['oneOf'] = check.oneOf
export const assertBoolean: Validators['boolean'] = check.boolean
export { describeValue, messageOf } from '@anime-upscaler/common'

/** A file system failure of our own (not ffmpeg's), with the full disk called by its name. */
export function ioError(error: unknown, what: string): SaveError {
  const code = (error as NodeJS.ErrnoException)?.code
  const reason = messageOf(error)
  if (code === 'ENOSPC') return new SaveError('E_NO_SPACE', `The output disk is full while ${what}: free some space or choose another folder`, { cause: error })
  return new SaveError('E_IO', `Failed while ${what}: ${reason}`, { cause: error })
}

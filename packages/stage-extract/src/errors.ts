import { AnimeUpscalerError, createValidators, type ErrorDetails, type MessagePart, type Validators } from '@anime-upscaler/common'

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
 * do, the `cause`, for ffmpeg/ffprobe failures the tail of their stderr, and for a bad option the
 * structured fields `option`, `value` and `expected` (see @anime-upscaler/common).
 */
export class ExtractError extends AnimeUpscalerError<ExtractErrorCode> {
  override name = 'ExtractError'
  /** The last lines ffmpeg/ffprobe wrote to stderr, when the error comes from them. */
  readonly stderr: string[]

  constructor(code: ExtractErrorCode, text: string | readonly MessagePart[], details: ErrorDetails & { stderr?: string[] } = {}) {
    const { stderr, ...rest } = details
    super(code, text, rest)
    this.stderr = stderr ?? []
  }
}

// Each stage has its own error class and validators (stages import no other stage); they differ from
// the others' only in their codes and their extra field (stderr): a deliberate near-copy.
const check: Validators = createValidators((parts, details) => new ExtractError('E_INVALID_ARGUMENT', parts, details))

export const invalidArgument = check.invalid
export const assertPositiveInteger: Validators['positiveInteger'] = check.positiveInteger
export const assertNonNegativeInteger: Validators['nonNegativeInteger'] = check.nonNegativeInteger
export const assertNonEmptyString: Validators['nonEmptyString'] = check.nonEmptyString
export const assertOneOf: Validators['oneOf'] = check.oneOf
export { describeValue } from '@anime-upscaler/common'

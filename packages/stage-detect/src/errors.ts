import { AnimeUpscalerError, createValidators, type ErrorDetails, type MessagePart, type Validators } from '@anime-upscaler/common'

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
 * involved, the original error as `cause`, and for a bad option the structured fields `option`,
 * `value` and `expected` (see @anime-upscaler/common).
 */
export class DetectError extends AnimeUpscalerError<DetectErrorCode> {
  override name = 'DetectError'
  /** The detector involved, when there is one: a built-in name, a module path, or a custom detector's name. */
  readonly detector?: string

  constructor(code: DetectErrorCode, text: string | readonly MessagePart[], details: ErrorDetails & { detector?: string } = {}) {
    const { detector, ...rest } = details
    super(code, text, rest)
    if (detector !== undefined) this.detector = detector
  }
}

// Each stage has its own error class and validators (stages import no other stage); they differ from
// the others' only in their codes and their extra field (detector): a deliberate near-copy.
const check: Validators = createValidators((parts, details) => new DetectError('E_INVALID_ARGUMENT', parts, details))

export const invalidArgument = check.invalid
export const assertNonNegativeNumber: Validators['nonNegativeNumber'] = check.nonNegativeNumber
export const assertNonNegativeInteger: Validators['nonNegativeInteger'] = check.nonNegativeInteger
export const assertPositiveInteger: Validators['positiveInteger'] = check.positiveInteger
export const assertFraction: Validators['fraction'] = check.fraction
export { describeValue, messageOf as errorMessage } from '@anime-upscaler/common'

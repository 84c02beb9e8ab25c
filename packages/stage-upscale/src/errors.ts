import { AnimeUpscalerError, createValidators, type Validators } from '@anime-upscaler/common'

/** What went wrong, as a stable code callers can branch on. */
export type UpscaleErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_MODEL_NOT_FOUND'
  | 'E_MODEL_INVALID'
  | 'E_MODEL_UNSUPPORTED'
  | 'E_INFERENCE'
  | 'E_WORKER'
  | 'E_CLOSED'

/**
 * An error of stage-upscale: a `code` to branch on, a message that says what to do, the `cause`, and
 * for a bad option the structured fields `option`, `value` and `expected` (see @anime-upscaler/common).
 */
export class UpscaleError extends AnimeUpscalerError<UpscaleErrorCode> {
  override name = 'UpscaleError'
}

const check: Validators = createValidators((parts, details) => new UpscaleError('E_INVALID_ARGUMENT', parts, details))

export const invalidArgument = check.invalid
export const assertPositiveInteger: Validators['positiveInteger'] = check.positiveInteger
export const assertPositiveNumber: Validators['positiveNumber'] = check.positiveNumber
export const assertOneOf: Validators['oneOf'] = check.oneOf
export { describeValue } from '@anime-upscaler/common'

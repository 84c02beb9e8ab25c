/** Where in the work an error happened. */
export type Stage = 'input' | 'decode' | 'detect' | 'upscale' | 'encode' | 'output'

export type CoreErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_INPUT_NOT_FOUND'
  | 'E_NO_IMAGES'
  | 'E_INPUT_INVALID'
  | 'E_IMAGE_TOO_LARGE'
  | 'E_OUTPUT_EXISTS'
  | 'E_OUTPUT_FAILED'
  | 'E_DECODE'
  | 'E_DETECT'
  | 'E_UPSCALE'
  | 'E_ENCODE'
  | 'E_ABORTED'

/** An error of the pipeline: a stable `code`, the `stage` that failed, a message that says what to do, the `cause`. */
export class CoreError extends Error {
  override name = 'CoreError'
  readonly code: CoreErrorCode
  readonly stage: Stage

  constructor(code: CoreErrorCode, stage: Stage, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.stage = stage
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

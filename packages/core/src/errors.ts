import { AnimeUpscalerError, BinaryError, OutputError, ProcessError, messageOf, type ErrorDetails, type MessagePart } from '@anime-upscaler/common'
import { DetectError } from '@anime-upscaler/stage-detect'
import { ExtractError } from '@anime-upscaler/stage-extract'
import { SaveError } from '@anime-upscaler/stage-save'
import { UpscaleError } from '@anime-upscaler/stage-upscale'

/** Where in the work an error happened. */
export type Stage = 'input' | 'decode' | 'detect' | 'upscale' | 'encode' | 'output'

export type CoreErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_INPUT_NOT_FOUND'
  | 'E_NO_IMAGES'
  | 'E_INPUT_INVALID'
  | 'E_IMAGE_TOO_LARGE'
  | 'E_OUTPUT_TOO_LARGE'
  | 'E_OUTPUT_EXISTS'
  | 'E_OUTPUT_NOT_WRITABLE'
  | 'E_OUTPUT_FAILED'
  | 'E_MODEL'
  | 'E_DECODE'
  | 'E_DETECT'
  | 'E_UPSCALE'
  | 'E_ENCODE'
  | 'E_NO_SPACE'
  | 'E_ABORTED'
  /** A segmented job's folder belongs to another source or other settings (`resume.restart` discards it). */
  | 'E_JOB_MISMATCH'
  /** A segmented job's folder is in use by a live process. */
  | 'E_JOB_BUSY'
  /** Distributed mode: Redis cannot be reached or refuses us at the start. */
  | 'E_REDIS_UNREACHABLE'
  /** Distributed mode: Redis went away mid-job for longer than the job waits for it. */
  | 'E_REDIS_LOST'
  /** Distributed mode: a segment failed on every attempt its job allows. */
  | 'E_SEGMENT_FAILED'

/**
 * An error of the pipeline: a stable `code`, the `stage` that failed, a message that says what to
 * do, the structured fields of @anime-upscaler/common (`option` names core's own option, such as
 * `encoder.crf`, so callers can word it as a flag or a setting) and, when ffmpeg failed, its last
 * lines in `detail`.
 */
export class CoreError extends AnimeUpscalerError<CoreErrorCode> {
  override name = 'CoreError'
  readonly stage: Stage
  /** Technical detail apart from the message: ffmpeg's last stderr lines. */
  readonly detail?: string

  constructor(code: CoreErrorCode, stage: Stage, text: string | readonly MessagePart[], details: ErrorDetails & { detail?: string } = {}) {
    const { detail, ...rest } = details
    super(code, text, rest)
    this.stage = stage
    if (detail) this.detail = detail
  }
}

export function errorMessage(error: unknown): string {
  return messageOf(error)
}

/** Errors a user fixes by changing the request (exit 2 on the command line), as opposed to failures of the work. */
export const REQUEST_ERRORS: ReadonlySet<CoreErrorCode> = new Set([
  'E_INVALID_ARGUMENT',
  'E_INPUT_NOT_FOUND',
  'E_INPUT_INVALID',
  'E_NO_IMAGES',
  'E_IMAGE_TOO_LARGE',
  'E_OUTPUT_TOO_LARGE',
  'E_OUTPUT_EXISTS',
  'E_OUTPUT_NOT_WRITABLE',
  'E_MODEL',
  'E_JOB_MISMATCH',
  'E_JOB_BUSY',
  'E_REDIS_UNREACHABLE',
])

/** stage-save options that core sets itself, by the name of core's option they come from. */
const SAVE_OPTION_OF: Record<string, string> = {
  output: 'output',
  overwrite: 'overwrite',
  keepPartial: 'keepPartial',
  size: 'target',
  source: 'input',
  reorderCapacity: 'capacity',
  ffmpegPath: 'ffmpegPath',
  signal: 'signal',
}

/** Each stage's option names as core's options name them. */
function coreOptionName(error: unknown): (option: string) => string {
  if (error instanceof SaveError) return (option) => SAVE_OPTION_OF[option] ?? `encoder.${option}`
  if (error instanceof DetectError) return (option) => `dedup.${option}`
  if (error instanceof UpscaleError) return (option) => (['scale', 'width', 'height'].includes(option) ? `target.${option}` : option)
  return (option) => option
}

/** What a stage's error code means for core: code and stage, when it is about the request rather than a failure. */
const MAPPED: Partial<Record<string, { code: CoreErrorCode; stage?: Stage }>> = {
  E_NOT_FOUND: { code: 'E_INPUT_NOT_FOUND', stage: 'input' },
  E_NOT_READABLE: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_NOT_MEDIA: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_NO_VIDEO: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_NO_FRAMES: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_UNSUPPORTED: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_OUTPUT_EXISTS: { code: 'E_OUTPUT_EXISTS', stage: 'output' },
  E_OUTPUT_NOT_WRITABLE: { code: 'E_OUTPUT_NOT_WRITABLE', stage: 'output' },
  E_INCOMPATIBLE_CONTAINER: { code: 'E_INVALID_ARGUMENT', stage: 'output' },
  E_INVALID_ARGUMENT: { code: 'E_INVALID_ARGUMENT', stage: 'input' },
  E_DETECTOR_NOT_FOUND: { code: 'E_INVALID_ARGUMENT', stage: 'detect' },
  E_DETECTOR_INVALID: { code: 'E_INVALID_ARGUMENT', stage: 'detect' },
  E_MODEL_NOT_FOUND: { code: 'E_MODEL', stage: 'upscale' },
  E_MODEL_INVALID: { code: 'E_MODEL', stage: 'upscale' },
  E_MODEL_UNSUPPORTED: { code: 'E_MODEL', stage: 'upscale' },
  E_NO_SPACE: { code: 'E_NO_SPACE', stage: 'output' },
  E_ABORTED: { code: 'E_ABORTED' },
}

/** The stage an error of this class fails, and the code of such failures. */
function failureOf(error: unknown): { code: CoreErrorCode; stage: Stage } {
  if (error instanceof ExtractError) return { code: 'E_DECODE', stage: 'decode' }
  if (error instanceof DetectError) return { code: 'E_DETECT', stage: 'detect' }
  if (error instanceof SaveError || error instanceof OutputError) return { code: 'E_ENCODE', stage: 'encode' }
  if (error instanceof BinaryError || error instanceof ProcessError) return { code: 'E_DECODE', stage: 'decode' }
  return { code: 'E_UPSCALE', stage: 'upscale' }
}

function stderrOf(error: unknown): string | undefined {
  const stderr = (error as { stderr?: unknown }).stderr
  const text = (Array.isArray(stderr) ? stderr.join('\n') : typeof stderr === 'string' ? stderr : '').trim()
  return text === '' ? undefined : text
}

/**
 * Any error of the stages as a CoreError: the code says what kind of problem it is, the stage
 * where, the options are core's, ffmpeg's words go to `detail`.
 */
export function toCoreError(error: unknown): CoreError {
  if (error instanceof CoreError) return error
  if (!(error instanceof AnimeUpscalerError)) return new CoreError('E_UPSCALE', 'upscale', messageOf(error), { cause: error })
  const failure = failureOf(error)
  const mapped = MAPPED[error.code]
  const { parts, ...details } = error.details(coreOptionName(error))
  return new CoreError(mapped?.code ?? failure.code, mapped?.stage ?? failure.stage, parts, { ...details, detail: stderrOf(error) })
}

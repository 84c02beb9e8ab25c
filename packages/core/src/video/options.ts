import type { Observable } from 'rxjs'
import { createValidators, message, optionName, type Validators } from '@anime-upscaler/common'
import type { DetectOptions } from '@anime-upscaler/stage-detect'
import type { DecodedFrame } from '@anime-upscaler/stage-extract'
import type { SaveOptions } from '@anime-upscaler/stage-save'
import type { TargetSize, UpscalerOptions } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from '../defaults'
import { resolveQueue, type QueueOptions, type ResolvedQueue } from './distributed/queue-run'
import { CoreError } from '../errors'
import { resolveReuse, type ReuseMode, type ReuseRequest } from './reuse'

export const PIPELINE_MODES = ['concurrent', 'sequential', 'auto'] as const
/**
 * `concurrent`: every stage works at once, frames flow through bounded buffers.
 * `sequential`: one frame at a time through every stage, no overlap (the baseline).
 * `auto`: sequential below `autoThreshold` frames, concurrent otherwise.
 */
export type PipelineMode = (typeof PIPELINE_MODES)[number]

export const FRAME_FORMATS = ['auto', 'rgb'] as const
/**
 * How upscaled frames reach the encoder. `auto`: as Y'CbCr 4:2:0 converted inside the model when
 * the output is 8- or 10-bit 4:2:0 (yuv420p, yuv420p10le) and one model pass does (the usual case;
 * less work for both the model and the encoder), RGB otherwise. `rgb`: always RGB, converted by ffmpeg.
 */
export type FrameFormat = (typeof FRAME_FORMATS)[number]

/** Encoder settings passed to stage-save (the output, source, timing and lifecycle are core's). */
export type EncoderOptions = Omit<
  SaveOptions,
  'output' | 'size' | 'source' | 'sourceStreams' | 'mode' | 'overwrite' | 'keepPartial' | 'signal' | 'firstIndex' | 'reorderCapacity' | 'frameRate' | 'ffmpegPath'
>

export interface UpscaleVideoOptions extends UpscalerOptions {
  /** Output size of every frame (default: the model's native scale). */
  target?: TargetSize
  mode?: PipelineMode
  /** Frame count below which `auto` runs sequentially (the original app used 100). */
  autoThreshold?: number
  /** Most frames between the decoder and the encoder at once. Default 16, lowered to fit `bufferMemory`. */
  capacity?: number
  /** Bytes the frames in flight may take (a 4K RGB frame is 25 MB). Default 1 GiB. */
  bufferMemory?: number
  /** Largest output frame, in pixels; larger targets are refused before any work. Default: from this machine's memory (`DEFAULTS.maxOutputPixels`). */
  maxOutputPixels?: number
  /** Encoder settings; `pixFmt` defaults to the source's depth (10-bit sources give yuv420p10le). */
  encoder?: EncoderOptions
  /** Default `auto`. */
  frameFormat?: FrameFormat
  /**
   * Duplicate-frame detection (stage-detect): frames that repeat a kept frame are not upscaled; the
   * encoder repeats that frame's result at their own timestamps. Default: the mpdecimate-like
   * detector with its measured thresholds; `{ detector: 'off' }` upscales every frame. Its
   * `references` and `tiles` are set by the reuse options.
   */
  dedup?: DedupOptions
  /**
   * Reuse of earlier results. `off`: duplicates repeat the last kept frame. `frames`: they may repeat
   * any of the last `reuseRefs` kept frames. `tiles` (default): that, and each kept frame upscales
   * only its tiles whose source changed (with the model's receptive halo) against the source that
   * produced their current output; the other tiles keep it. Tile reuse needs a model that states
   * its receptive radius (built-in ones and ncnn imports do) and does not pool over the whole
   * picture; with the default mode, other models reuse frames.
   */
  reuse?: ReuseMode
  /** Kept frames a frame is compared with (and whose results are held). Default 8, lowered to fit `bufferMemory`; more than fit is refused. */
  reuseRefs?: number
  /** Tile side in source pixels for `tiles`, a multiple of 8. Default 48. */
  reuseTileSize?: number
  /** `tiles`: an 8x8 block whose sum of absolute differences against the tile's reference is above this refreshes the tile. Default 192 (mpdecimate's `lo`). */
  reuseThreshold?: number
  overwrite?: boolean
  /** On stop or error, finalise a playable file of what was encoded instead of deleting it. */
  keepPartial?: boolean
  /** true pauses (no new frame is decoded; frames in flight finish), false resumes. */
  paused?: Observable<boolean>
  /**
   * Stops everything. The stream then ends with an E_ABORTED CoreError once ffmpeg has exited,
   * temporary files are gone and the model workers are closed. (Unsubscribing stops too, but cleans
   * up in the background.)
   */
  signal?: AbortSignal
  /** Writes the JSON processing plan (per frame decision and timing, totals) to this file. */
  planFile?: string
  /** A damaged or truncated source: upscale the frames that decode instead of failing. Default false. */
  allowTruncated?: boolean
  ffmpegPath?: string
  ffprobePath?: string
  /**
   * Splits the video into segments of about `seconds` (default 60), cut at keyframes: each is
   * upscaled and encoded to its own file, then one stream copy joins them with the source's other
   * streams. The output has the same frames at the same times as without segments. The first frame
   * of every segment is upscaled (duplicate detection starts anew in each). `true`: the defaults.
   */
  segments?: boolean | SegmentOptions
  /**
   * With `segments`: the job folder (hidden, beside the output) keeps the finished segments, so the
   * same call after a crash, a kill or a stop continues where it was (default true). `false`: the
   * folder is removed however the job ends. See `ResumeOptions`.
   */
  resume?: boolean | ResumeOptions
  /**
   * Distributed mode: the segments (`segments` is implied) are upscaled by workers on any number of
   * machines (`runSegmentWorker`, `anime-upscaler worker`) through a Redis queue; this process plans,
   * follows and joins. Input, output and job folder must be on storage every machine reaches at the
   * same path. See docs/distributed.md.
   */
  queue?: QueueOptions
}

export interface SegmentOptions {
  /** Target length of a segment in seconds (cuts go to the keyframe nearest each target). Default 60. */
  seconds?: number
  /** Most segments in flight, sharing the model's workers: the next starts when the one before has decoded its last frame (default: 2, at most `workers`). */
  concurrency?: number
}

export interface ResumeOptions {
  /** Discard an earlier run's job folder instead of continuing it (a changed source or settings needs this). */
  restart?: boolean
  /** The job folder (default: `.<output name>.job` beside the output). */
  folder?: string
  /** Anything JSON the caller wants back from `listInterruptedJobs` (the request, to resume it from elsewhere). */
  request?: unknown
}

/** The segmented mode's options, resolved. */
export interface ResolvedSegments {
  seconds: number
  /** undefined: 2, at most the model's workers. */
  concurrency?: number
  /** Keep the job folder for a later run when this one fails or stops. */
  resume: boolean
  restart: boolean
  folder?: string
  request?: unknown
}

/** stage-detect's options as core takes them: the references and tiles come from the reuse options. */
export type DedupOptions = Omit<DetectOptions<DecodedFrame>, 'references' | 'tiles'>

/** The options with their defaults, validated. */
export interface ResolvedVideoOptions {
  target: TargetSize
  mode: PipelineMode
  autoThreshold: number
  capacity: number
  capacityGiven: boolean
  bufferMemory: number
  maxOutputPixels: number
  encoder: EncoderOptions
  frameFormat: FrameFormat
  dedup: DedupOptions
  reuse: ReuseRequest
  overwrite: boolean
  keepPartial: boolean
  paused?: Observable<boolean>
  signal?: AbortSignal
  planFile?: string
  allowTruncated: boolean
  ffmpegPath?: string
  ffprobePath?: string
  /** Set for a segmented job. */
  segments?: ResolvedSegments
  /** Set for a distributed job. */
  queue?: ResolvedQueue
  /** What goes to stage-upscale's worker pool. */
  pool: UpscalerOptions
}

/** core's argument checks: E_INVALID_ARGUMENT errors naming the option. */
export const check: Validators = createValidators((parts, details) => new CoreError('E_INVALID_ARGUMENT', 'input', parts, details))

/** Validates core's own options (the stages validate theirs) and fills in the defaults. */
export function resolveVideoOptions(options: UpscaleVideoOptions): ResolvedVideoOptions {
  const { target = {}, mode = DEFAULTS.mode, autoThreshold = DEFAULTS.autoThreshold, capacity, bufferMemory = DEFAULTS.bufferMemory, maxOutputPixels = DEFAULTS.maxOutputPixels } = options
  const { encoder = {}, frameFormat = DEFAULTS.frameFormat, dedup = {}, overwrite = false, keepPartial = false, paused, signal, planFile, allowTruncated = false, ffmpegPath, ffprobePath } = options
  check.oneOf('mode', mode, PIPELINE_MODES)
  check.oneOf('frameFormat', frameFormat, FRAME_FORMATS)
  if (capacity !== undefined) check.positiveInteger('capacity', capacity)
  check.positiveInteger('autoThreshold', autoThreshold)
  check.positiveInteger('bufferMemory', bufferMemory)
  check.positiveInteger('maxOutputPixels', maxOutputPixels)
  check.boolean('overwrite', overwrite)
  check.boolean('keepPartial', keepPartial)
  check.boolean('allowTruncated', allowTruncated)
  if (signal !== undefined) check.signal('signal', signal)
  if (planFile !== undefined) check.nonEmptyString('planFile', planFile)
  checkDedup(dedup)
  const reuse = resolveReuse(options, check)
  const pool = poolOptionsOf(options)
  const queue = options.queue === undefined ? undefined : resolveQueue(options.queue)
  const segments = resolveSegments(queue ? { ...options, segments: options.segments || true } : options)
  return {
    target, mode, autoThreshold, capacity: capacity ?? DEFAULTS.capacity, capacityGiven: capacity !== undefined, bufferMemory, maxOutputPixels,
    encoder, frameFormat, dedup, reuse, overwrite, keepPartial, paused, signal, planFile, allowTruncated, ffmpegPath, ffprobePath, pool,
    ...(segments ? { segments } : {}),
    ...(queue ? { queue } : {}),
  }
}

/** `dedup.references` and `dedup.tiles` would contradict the reuse options that set them. */
function checkDedup(dedup: DedupOptions): void {
  const reuseOption: Record<string, string> = { references: 'reuseRefs', tiles: 'reuse' }
  for (const [key, instead] of Object.entries(reuseOption)) {
    if (dedup !== null && typeof dedup === 'object' && key in dedup) {
      throw new CoreError('E_INVALID_ARGUMENT', 'input', message`${optionName(`dedup.${key}`)} is set by ${optionName(instead)}`, { option: `dedup.${key}`, value: (dedup as Record<string, unknown>)[key], hint: message`give ${optionName(instead)} instead` })
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `segments` and `resume`, checked; undefined without segments (then `resume` must not be asked for). */
function resolveSegments({ segments, resume, keepPartial }: UpscaleVideoOptions): ResolvedSegments | undefined {
  if (segments !== undefined && typeof segments !== 'boolean' && !isPlainObject(segments)) throw check.invalid('boolean or { seconds, concurrency }', 'segments', segments)
  if (resume !== undefined && typeof resume !== 'boolean' && !isPlainObject(resume)) throw check.invalid('boolean or { restart, folder, request }', 'resume', resume)
  if (!segments) {
    if (resume) throw new CoreError('E_INVALID_ARGUMENT', 'input', message`${optionName('resume')} needs ${optionName('segments')}: only a segmented job can be resumed`, { option: 'resume', value: resume })
    return undefined
  }
  if (keepPartial) throw new CoreError('E_INVALID_ARGUMENT', 'input', message`${optionName('keepPartial')} does not apply to a segmented job: its finished segments are kept for ${optionName('resume')} instead`, { option: 'keepPartial', value: true })
  const { seconds = DEFAULTS.segmentSeconds, concurrency } = segments === true ? {} : segments
  check.positiveNumber('segments.seconds', seconds)
  if (concurrency !== undefined) check.positiveInteger('segments.concurrency', concurrency)
  const { restart = false, folder, request } = isPlainObject(resume) ? (resume as ResumeOptions) : {}
  check.boolean('resume.restart', restart)
  if (folder !== undefined) check.nonEmptyString('resume.folder', folder)
  return { seconds, ...(concurrency !== undefined ? { concurrency } : {}), resume: resume !== false, restart, ...(folder !== undefined ? { folder } : {}), ...(request !== undefined ? { request } : {}) }
}

/** The options that belong to stage-upscale's pool. */
function poolOptionsOf(options: UpscaleVideoOptions): UpscalerOptions {
  const { target: _t, mode: _m, autoThreshold: _a, capacity: _c, bufferMemory: _b, maxOutputPixels: _x, encoder: _e, frameFormat: _f, dedup: _d, overwrite: _o, keepPartial: _k, paused: _p, signal: _s, planFile: _pf, allowTruncated: _at, ffmpegPath: _fm, ffprobePath: _fp, ...rest } = options
  const { segments: _sg, resume: _rs, queue: _q, reuse: _r, reuseRefs: _rr, reuseTileSize: _rt, reuseThreshold: _rth, ...pool } = rest
  return pool
}

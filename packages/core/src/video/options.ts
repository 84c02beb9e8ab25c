import type { Observable } from 'rxjs'
import { createValidators, message, optionName, type Validators } from '@anime-upscaler/common'
import type { DetectOptions } from '@anime-upscaler/stage-detect'
import type { DecodedFrame } from '@anime-upscaler/stage-extract'
import type { SaveOptions } from '@anime-upscaler/stage-save'
import type { TargetSize, UpscalerOptions } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from '../defaults'
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
  /** What goes to stage-upscale's worker pool. */
  pool: UpscalerOptions
}

const check: Validators = createValidators((parts, details) => new CoreError('E_INVALID_ARGUMENT', 'input', parts, details))

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
  return {
    target, mode, autoThreshold, capacity: capacity ?? DEFAULTS.capacity, capacityGiven: capacity !== undefined, bufferMemory, maxOutputPixels,
    encoder, frameFormat, dedup, reuse, overwrite, keepPartial, paused, signal, planFile, allowTruncated, ffmpegPath, ffprobePath, pool,
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

/** The options that belong to stage-upscale's pool. */
function poolOptionsOf(options: UpscaleVideoOptions): UpscalerOptions {
  const { target: _t, mode: _m, autoThreshold: _a, capacity: _c, bufferMemory: _b, maxOutputPixels: _x, encoder: _e, frameFormat: _f, dedup: _d, overwrite: _o, keepPartial: _k, paused: _p, signal: _s, planFile: _pf, allowTruncated: _at, ffmpegPath: _fm, ffprobePath: _fp, ...rest } = options
  const { reuse: _r, reuseRefs: _rr, reuseTileSize: _rt, reuseThreshold: _rth, ...pool } = rest
  return pool
}

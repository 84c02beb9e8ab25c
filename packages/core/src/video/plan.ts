import type { Rational } from '@anime-upscaler/common'
import type { MediaInfo } from '@anime-upscaler/stage-extract'
import { COLOR_PRIMARIES, COLOR_TRANSFERS, withSize, type PixFmt, type SaveOptions, type SavePlan } from '@anime-upscaler/stage-save'
import { YUV_MATRICES, planOutput, type ModelInfo, type TargetSize, type YuvColor } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from '../defaults'
import { checkOutputSize } from '../limits'
import type { ResolvedVideoOptions } from './options'
import { planReuse, type VideoReuse } from './reuse'

/** The source as the start event and the plan describe it. */
export interface VideoSummary {
  width: number
  height: number
  frames: number
  framesExact: boolean
  frameRate: string
  variableFrameRate: boolean
  duration: number
  bitDepth: number
}

/**
 * One description of a video job, computed once before the first frame and handed to every stage:
 * nothing is probed twice and no stage's decision is predicted by another.
 */
export interface VideoPlan {
  input: string
  output: string
  info: MediaInfo
  source: VideoSummary
  mode: 'concurrent' | 'sequential'
  model: ModelInfo
  workers: number
  threads: number
  /** Model passes, and the size they produce. */
  passes: number
  upscaled: { width: number; height: number }
  /** The encoded size (the encoder scales the model's result to it when they differ). */
  outputSize: { width: number; height: number }
  /** Set when the model outputs Y'CbCr 4:2:0 for the encoder itself. */
  yuv420?: YuvColor
  /** Most frames between the decoder and the encoder. */
  capacity: number
  /** Bytes of one frame in flight (its decoded source and its result); a held reference costs as much. */
  frameBytes: number
  /** What earlier results are reused: references held, tiles. */
  reuse: VideoReuse
  /** Constant rate of the source (frames keep a grid), undefined for variable rate. */
  frameRate?: Rational
  save: SavePlan
}

export function summarize(info: MediaInfo): VideoSummary {
  const { video } = info
  return {
    width: video.displayWidth,
    height: video.displayHeight,
    frames: video.frameCount,
    framesExact: video.frameCountExact,
    frameRate: `${video.frameRate.num}/${video.frameRate.den}`,
    variableFrameRate: video.variableFrameRate,
    duration: info.duration,
    bitDepth: video.bitDepth,
  }
}

/**
 * What core asks of stage-save for this source: the user's encoder settings, with the source's
 * depth kept by default (10-bit in, 10-bit out) and its primaries and transfer (upscaling changes
 * neither; only the matrix is chosen anew for the output size).
 */
export function encoderRequest(info: MediaInfo, options: ResolvedVideoOptions): Omit<SaveOptions, 'output'> {
  const { primaries, transfer } = info.video.color
  const pixFmt: PixFmt = options.encoder.pixFmt ?? (info.video.bitDepth > 8 ? DEFAULTS.encoder.highBitDepthPixFmt : DEFAULTS.encoder.pixFmt)
  return {
    ...(primaries && (COLOR_PRIMARIES as readonly string[]).includes(primaries) ? { colorPrimaries: primaries } : {}),
    ...(transfer && (COLOR_TRANSFERS as readonly string[]).includes(transfer) ? { colorTransfer: transfer } : {}),
    ...options.encoder,
    pixFmt,
  }
}

/** The size a target gives for this source before any model is loaded, when the target alone decides it. */
export function targetSize(width: number, height: number, target: TargetSize, knownScale: number | undefined): { width: number; height: number } | undefined {
  if (target.width === undefined && target.height === undefined && target.scale === undefined && knownScale === undefined) return undefined
  const { width: w, height: h } = planOutput(width, height, knownScale ?? 2, target)
  return { width: w, height: h }
}

/** Rounds odd sides down (one pixel) where the pixel format's chroma subsampling needs even ones. */
function evenFor(save: SavePlan, width: number, height: number): { width: number; height: number } {
  const { evenWidth, evenHeight } = save.evenSides
  return { width: evenWidth ? Math.max(2, width - (width % 2)) : width, height: evenHeight ? Math.max(2, height - (height % 2)) : height }
}

/** Encoded pixel formats the model can output itself, with their depth. */
const MODEL_FORMATS: Partial<Record<string, 8 | 10>> = { yuv420p: 8, yuv420p10le: 10 }

/**
 * The Y'CbCr the model should output, or undefined for RGB: `auto`, a model that can, one pass, and
 * an 8- or 10-bit 4:2:0 encode whose matrix (chosen by stage-save for the output size) the model knows.
 */
function modelColor(options: ResolvedVideoOptions, model: ModelInfo, passes: number, save: SavePlan, size: { width: number; height: number }): YuvColor | undefined {
  const bitDepth = MODEL_FORMATS[save.options.video?.pixFmt ?? '']
  if (options.frameFormat !== 'auto' || !model.yuv420 || passes !== 1 || bitDepth === undefined) return undefined
  const { colorspace, range } = save.outputColor(size.width, size.height)
  const matrix = YUV_MATRICES.find((name) => name === colorspace)
  return matrix ? { matrix, range, bitDepth } : undefined
}

/** The least capacity of a concurrent job: one frame decoding while another is upscaled. */
const MIN_CAPACITY = 2

/** Bytes of one frame between the decoder and the encoder: its decoded source and its result. */
function frameBytes(info: MediaInfo, upscaled: { width: number; height: number }, yuv420: boolean): number {
  const bytesPerSample = info.video.bitDepth > 8 ? 2 : 1
  const source = info.video.displayWidth * info.video.displayHeight * 3 * bytesPerSample
  return source + upscaled.width * upscaled.height * (yuv420 ? 1.5 : 3) * bytesPerSample
}

/**
 * Most frames in flight: the requested capacity, lowered to fit what `bufferMemory` leaves beside
 * the held references. References hold no credits (their frames were written), only memory.
 */
function capacityFor(options: ResolvedVideoOptions, mode: 'concurrent' | 'sequential', bytes: number, heldBytes: number): number {
  if (mode === 'sequential') return 1
  return Math.max(MIN_CAPACITY, Math.min(options.capacity, Math.floor((options.bufferMemory - heldBytes) / bytes)))
}

/**
 * Most frames in flight in each segment when up to `concurrency` segments overlap (one decoding,
 * the others draining): the job's capacity, lowered so that `bufferMemory` holds the frames and the
 * references of all of them (each segment's pipeline holds its own).
 */
export function segmentCapacity(plan: VideoPlan, bufferMemory: number, concurrency: number): number {
  const fitting = Math.floor((bufferMemory - concurrency * plan.reuse.heldBytes) / (concurrency * plan.frameBytes))
  return Math.max(MIN_CAPACITY, Math.min(plan.capacity, fitting))
}

/** The mode a job runs in: `auto` decides by the source's frame count. */
export function pipelineMode(options: ResolvedVideoOptions, info: MediaInfo): 'concurrent' | 'sequential' {
  if (options.mode !== 'auto') return options.mode
  return info.video.frameCount < options.autoThreshold ? 'sequential' : 'concurrent'
}

export interface PlanInputs {
  input: string
  output: string
  info: MediaInfo
  options: ResolvedVideoOptions
  upscaler: { info: ModelInfo; workers: number; threads: number }
  save: SavePlan
}

/** The job's plan (pure: everything it needs was probed, loaded and checked before). */
export function planVideo({ input, output, info, options, upscaler, save }: PlanInputs): VideoPlan {
  const source = summarize(info)
  const mode = pipelineMode(options, info)
  const model = upscaler.info
  const planned = planOutput(source.width, source.height, model.scale, options.target)
  const size = evenFor(save, planned.width, planned.height)
  checkOutputSize(size.width, size.height, options.maxOutputPixels)
  const passesScale = model.scale ** planned.passes
  const upscaled = { width: source.width * passesScale, height: source.height * passesScale }
  const yuv420 = modelColor(options, model, planned.passes, save, size)
  const bytes = frameBytes(info, upscaled, !!yuv420)
  const minInFlight = mode === 'sequential' ? 1 : MIN_CAPACITY
  const reuse = planReuse(options.reuse, { model, passes: planned.passes, frameBytes: bytes, bufferMemory: options.bufferMemory, minInFlight, outputSize: size })
  return {
    input,
    output,
    info,
    source,
    mode,
    model,
    workers: mode === 'sequential' ? 1 : upscaler.workers,
    threads: upscaler.threads,
    passes: planned.passes,
    upscaled,
    outputSize: size,
    ...(yuv420 ? { yuv420 } : {}),
    capacity: capacityFor(options, mode, bytes, reuse.heldBytes),
    frameBytes: bytes,
    reuse,
    ...(info.video.variableFrameRate ? {} : { frameRate: info.video.frameRate }),
    save: withDuplicateCache(withSize(save, size), reuse.references),
  }
}

/** stage-save holds the results of as many kept frames as a duplicate may repeat. */
function withDuplicateCache(save: SavePlan, references: number): SavePlan {
  return { ...save, options: { ...save.options, duplicateCacheSize: references } }
}

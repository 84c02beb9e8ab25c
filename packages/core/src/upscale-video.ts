import { writeFile } from 'node:fs/promises'
import { BehaviorSubject, Observable, Subject, catchError, concat, connect, filter, map, merge, of, tap, throwError, type Subscription } from 'rxjs'
import { DetectError, detectDuplicates, type DetectOptions } from '@anime-upscaler/stage-detect'
import { ExtractError, extractFrames, probe, type DecodedFrame, type MediaInfo } from '@anime-upscaler/stage-extract'
import { COLOR_PRIMARIES, COLOR_TRANSFERS, SaveError, evenSides, resolveColor, resolveOptions, saveFrames, type SaveImage, type SaveOptions } from '@anime-upscaler/stage-save'
import {
  UpscaleError,
  YUV_MATRICES,
  createUpscaler,
  planOutput,
  upscale,
  type ModelInfo,
  type TargetSize,
  type Upscaler,
  type UpscalerOptions,
  type YuvColor,
} from '@anime-upscaler/stage-upscale'
import { writeAtomically } from './atomic-write'
import { CoreError, errorMessage, type CoreErrorCode, type Stage } from './errors'
import { existingOutputs } from './image-jobs'

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
 * the output is 8-bit yuv420p and one model pass does (the usual case; less work for both the model
 * and the encoder), RGB otherwise. `rgb`: always RGB, converted by ffmpeg.
 */
export type FrameFormat = (typeof FRAME_FORMATS)[number]

/** Encoder settings passed to stage-save (the output, source and lifecycle are core's). */
export type EncoderOptions = Omit<SaveOptions, 'output' | 'size' | 'source' | 'mode' | 'overwrite' | 'keepPartial' | 'signal' | 'firstIndex' | 'reorderCapacity' | 'frameRate' | 'ffmpegPath'>

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
  encoder?: EncoderOptions
  /** Default `auto`. */
  frameFormat?: FrameFormat
  /**
   * Duplicate-frame detection (stage-detect): frames that repeat the last kept frame are not
   * upscaled; the encoder repeats that frame's result at their own timestamps. Default: the
   * mpdecimate-like detector with its measured thresholds; `{ detector: 'off' }` upscales every frame.
   */
  dedup?: DetectOptions<DecodedFrame>
  overwrite?: boolean
  /** On stop or error, finalise a playable file of what was encoded instead of deleting it. */
  keepPartial?: boolean
  /** true pauses (no new frame is decoded; frames in flight finish), false resumes. */
  paused?: Observable<boolean>
  /** Stops everything: ffmpeg processes end, temporary files go. */
  signal?: AbortSignal
  /** Writes the JSON processing plan (per frame decision and timing, totals) to this file. */
  planFile?: string
  ffmpegPath?: string
  ffprobePath?: string
}

export interface VideoSummary {
  width: number
  height: number
  frames: number
  framesExact: boolean
  frameRate: string
  variableFrameRate: boolean
  duration: number
}

export interface StageCounts {
  decoded: number
  /** Decoded frames kept for upscaling, and those found to repeat the last kept one. */
  unique: number
  duplicates: number
  upscaled: number
  encoded: number
}

export type VideoEvent =
  | {
      type: 'start'
      input: string
      output: string
      source: VideoSummary
      outputWidth: number
      outputHeight: number
      mode: 'concurrent' | 'sequential'
      capacity: number
      /** What the upscaler hands the encoder: 'yuv420p' when the model converts, else 'rgb'. */
      frameFormat: 'yuv420p' | 'rgb'
      model: ModelInfo
      workers: number
      threads: number
    }
  | ({ type: 'progress'; total: number; percent: number; fps: number; etaSeconds: number | undefined; paused: boolean; skippedShare: number } & StageCounts)
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; output: string; frames: number; seconds: number; fps: number; partial: boolean; unique: number; duplicates: number }

/** One frame's entry in the processing plan; times in ms since the start. */
interface PlannedFrame {
  index: number
  pts: number
  /** `upscale`, or `duplicate` of the kept frame `duplicateOf` (its result is repeated). */
  decision: 'upscale' | 'duplicate'
  duplicateOf?: number
  decodedAt?: number
  upscaledAt?: number
  encodedAt?: number
}

/**
 * 16 frames keep every stage busy on 2 cores: hero_360p.webm with anime4k-l ran as fast as with 64
 * (27.1-27.4 s vs 27.5-30.2 s with duplicates skipped) with ~150 MiB less memory (docs/speed.md).
 */
const DEFAULT_CAPACITY = 16
const DEFAULT_AUTO_THRESHOLD = 100
const DEFAULT_BUFFER_MEMORY = 1024 ** 3

/** Stage errors that are about the user's input or request, not a failure of the stage itself. */
const CODE_OF: Partial<Record<string, { code: CoreErrorCode; stage?: Stage }>> = {
  E_NOT_FOUND: { code: 'E_INPUT_NOT_FOUND', stage: 'input' },
  E_NOT_READABLE: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_NOT_MEDIA: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_NO_VIDEO: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_NO_FRAMES: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_UNSUPPORTED: { code: 'E_INPUT_INVALID', stage: 'input' },
  E_OUTPUT_EXISTS: { code: 'E_OUTPUT_EXISTS', stage: 'output' },
  E_INCOMPATIBLE_CONTAINER: { code: 'E_INVALID_ARGUMENT' },
  E_INVALID_ARGUMENT: { code: 'E_INVALID_ARGUMENT' },
  E_ABORTED: { code: 'E_ABORTED' },
}

/** Names the stage an error comes from, keeping ffmpeg's last stderr lines in the message. */
export function toPipelineError(error: unknown): CoreError {
  if (error instanceof CoreError) return error
  if (error instanceof DetectError) {
    // A detector that cannot be loaded or used is the user's to fix, like a bad option.
    const usage = ['E_INVALID_ARGUMENT', 'E_DETECTOR_NOT_FOUND', 'E_DETECTOR_INVALID'].includes(error.code)
    return new CoreError(usage ? 'E_INVALID_ARGUMENT' : 'E_DETECT', 'detect', `detect failed: ${error.message}`, { cause: error })
  }
  if (error instanceof ExtractError || error instanceof SaveError) {
    const failedStage: Stage = error instanceof ExtractError ? 'decode' : 'encode'
    const mapped = CODE_OF[error.code]
    const stderr = (Array.isArray(error.stderr) ? error.stderr.join('\n') : (error.stderr ?? '')).trim()
    const detail = stderr === '' ? '' : `\nffmpeg said:\n${stderr}`
    return new CoreError(mapped?.code ?? (failedStage === 'decode' ? 'E_DECODE' : 'E_ENCODE'), mapped?.stage ?? failedStage, `${failedStage} failed: ${error.message}${detail}`, {
      cause: error,
    })
  }
  if (error instanceof UpscaleError) {
    return new CoreError(error.code === 'E_INVALID_ARGUMENT' ? 'E_INVALID_ARGUMENT' : 'E_UPSCALE', 'upscale', `upscale failed: ${error.message}`, { cause: error })
  }
  return new CoreError('E_UPSCALE', 'upscale', errorMessage(error), { cause: error })
}

function assertPositiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
    throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected positive integer for ${name} but received ${String(value)}`)
  }
}

function summarize(info: MediaInfo): VideoSummary {
  const { video } = info
  return {
    width: video.displayWidth,
    height: video.displayHeight,
    frames: video.frameCount,
    framesExact: video.frameCountExact,
    frameRate: `${video.frameRate.num}/${video.frameRate.den}`,
    variableFrameRate: video.variableFrameRate,
    duration: info.duration,
  }
}

/**
 * The source's primaries and transfer, where stage-save can write them: upscaling changes neither
 * (only the RGB↔YUV matrix is chosen anew for the output size). Unknown or untagged: stage-save's default.
 */
function sourceColorTags(info: MediaInfo): Pick<SaveOptions, 'colorPrimaries' | 'colorTransfer'> {
  const { primaries, transfer } = info.video.color
  return {
    ...(primaries && (COLOR_PRIMARIES as readonly string[]).includes(primaries) ? { colorPrimaries: primaries } : {}),
    ...(transfer && (COLOR_TRANSFERS as readonly string[]).includes(transfer) ? { colorTransfer: transfer } : {}),
  }
}

/**
 * The Y'CbCr the model should output for this encode, or undefined for RGB: one model pass, an
 * 8-bit yuv420p video output (of `size`), and a model that can convert. 10-bit sources qualify too:
 * the model reads their 16-bit RGB and rounds once, to the output's 8 bits.
 */
function modelColor(frameFormat: FrameFormat, encoder: EncoderOptions, output: string, model: ModelInfo, passes: number, size: { width: number; height: number }): YuvColor | undefined {
  if (frameFormat !== 'auto' || !model.yuv420 || passes !== 1) return undefined
  const { mode, video } = resolveOptions({ ...encoder, output })
  if (mode !== 'video' || video?.pixFmt !== 'yuv420p') return undefined
  const { colorspace, range } = resolveColor(video.color, size.width, size.height)
  const matrix = YUV_MATRICES.find((name) => name === colorspace)
  return matrix ? { matrix, range } : undefined
}

/** yuv420p and yuv422p need even sizes: round an odd target side down (one pixel) rather than fail. */
function evenFor(pixFmt: string | undefined, width: number, height: number): { width: number; height: number } {
  const { evenWidth, evenHeight } = evenSides(pixFmt ?? 'yuv420p')
  return { width: evenWidth ? Math.max(2, width - (width % 2)) : width, height: evenHeight ? Math.max(2, height - (height % 2)) : height }
}

/**
 * Upscales a video: ffmpeg decodes (stage-extract), the model upscales in worker threads
 * (stage-upscale), ffmpeg encodes with the source's audio, subtitles and timestamps (stage-save),
 * all at once and in memory. Backpressure is credit-based: the decoder may run at most `capacity`
 * frames ahead of the encoder, and every frame the encoder accepts returns one credit.
 */
export function upscaleVideo(input: string, output: string, options: UpscaleVideoOptions = {}): Observable<VideoEvent> {
  return new Observable<VideoEvent>((subscriber) => {
    const {
      target = {},
      mode: requestedMode = 'concurrent',
      frameFormat = 'auto',
      autoThreshold = DEFAULT_AUTO_THRESHOLD,
      capacity: requestedCapacity,
      bufferMemory = DEFAULT_BUFFER_MEMORY,
      encoder = {},
      dedup = {},
      overwrite = false,
      keepPartial = false,
      paused,
      signal,
      planFile,
      ffmpegPath,
      ffprobePath,
      ...poolOptions
    } = options
    let upscaler: Upscaler | undefined
    let pipeline: Subscription | undefined
    let pauseSubscription: Subscription | undefined
    let finished = false
    const stop = new AbortController()
    const onAbort = () => stop.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    const fail = (error: unknown) => {
      if (finished) return
      finished = true
      subscriber.error(toPipelineError(error))
    }

    const run = async () => {
      if (!PIPELINE_MODES.includes(requestedMode)) {
        throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected mode 'concurrent', 'sequential' or 'auto' but received '${String(requestedMode)}'`)
      }
      assertPositiveInteger('capacity', requestedCapacity)
      assertPositiveInteger('autoThreshold', autoThreshold)
      assertPositiveInteger('bufferMemory', bufferMemory)
      if (!FRAME_FORMATS.includes(frameFormat)) {
        throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected frameFormat 'auto' or 'rgb' but received '${String(frameFormat)}'`)
      }
      if (!overwrite && (await existingOutputs([{ input, output, format: 'png' }])).length > 0) {
        throw new CoreError('E_OUTPUT_EXISTS', 'output', `Output already exists: ${output}; pass --overwrite to replace`)
      }
      const info = await probe(input, { ffprobePath, signal: stop.signal })
      const source = summarize(info)
      const mode = requestedMode === 'auto' ? (source.frames < autoThreshold ? 'sequential' : 'concurrent') : requestedMode
      upscaler = await createUpscaler(mode === 'sequential' ? { ...poolOptions, workers: 1 } : poolOptions)
      // Starting the workers cannot be interrupted: a stop that came meanwhile is honoured here.
      if (stop.signal.aborted) throw new CoreError('E_ABORTED', 'upscale', 'Stopped before the first frame; nothing was written')
      const planned = planOutput(source.width, source.height, upscaler.info.scale, target)
      const size = evenFor(encoder.pixFmt, planned.width, planned.height)
      // The model runs whole passes; the encoder's scaler brings the result to any other size, in the
      // pass that converts it to YUV (lanczos; far cheaper than resampling in JavaScript).
      const passesScale = upscaler.info.scale ** planned.passes
      const upscaled = { width: source.width * passesScale, height: source.height * passesScale }
      const yuv420 = modelColor(frameFormat, encoder, output, upscaler.info, planned.passes, size)
      const bytesPerSample = info.video.bitDepth > 8 ? 2 : 1
      const frameBytes = source.width * source.height * 3 * bytesPerSample + upscaled.width * upscaled.height * (yuv420 ? 1.5 : 3 * bytesPerSample)
      const capacity = mode === 'sequential' ? 1 : Math.max(2, Math.min(requestedCapacity ?? DEFAULT_CAPACITY, Math.floor(bufferMemory / frameBytes)))
      subscriber.next({
        type: 'start',
        input,
        output,
        source,
        outputWidth: size.width,
        outputHeight: size.height,
        mode,
        capacity,
        frameFormat: yuv420 ? 'yuv420p' : 'rgb',
        model: upscaler.info,
        workers: upscaler.workers,
        threads: upscaler.threads,
      })

      const started = performance.now()
      const elapsed = () => performance.now() - started
      const counts: StageCounts = { decoded: 0, unique: 0, duplicates: 0, upscaled: 0, encoded: 0 }
      const frames: PlannedFrame[] = []
      const isPaused = new BehaviorSubject(false)
      let total = source.frames
      const progress = () => {
        const seconds = elapsed() / 1000
        const fps = counts.encoded / Math.max(seconds, 1e-3)
        total = Math.max(total, counts.decoded)
        subscriber.next({
          type: 'progress',
          ...counts,
          total,
          percent: Math.min(100, (100 * counts.encoded) / Math.max(total, 1)),
          fps,
          etaSeconds: counts.encoded === 0 ? undefined : Math.max(0, total - counts.encoded) / fps,
          paused: isPaused.value,
          skippedShare: counts.decoded === 0 ? 0 : counts.duplicates / counts.decoded,
        })
      }

      // Credits: the decoder may emit `capacity` frames, then one more per frame the encoder accepted.
      // While paused, returned credits are held back, so decoding stops and nothing is lost.
      const credits = new Subject<number>()
      let heldCredits = 0
      pauseSubscription = paused?.subscribe((pause) => {
        if (pause === isPaused.value) return
        isPaused.next(pause)
        subscriber.next({ type: pause ? 'paused' : 'resumed' })
        if (!pause && heldCredits > 0) {
          credits.next(heldCredits)
          heldCredits = 0
        }
        progress()
      })
      const returnCredit = () => {
        if (isPaused.value) heldCredits++
        else credits.next(1)
      }

      const frameRate = info.video.variableFrameRate ? undefined : source.frameRate
      pipeline = extractFrames(input, { info, ffmpegPath, demand: concat(of(capacity), credits), signal: stop.signal })
        .pipe(
          tap((frame) => {
            counts.decoded++
            frames[frame.index] = { index: frame.index, pts: frame.pts, decision: 'upscale', decodedAt: elapsed() }
          }),
          detectDuplicates(dedup),
          // Kept frames go through the model; duplicates skip it and carry only their index and time.
          connect((detected) =>
            merge(
              detected.pipe(
                filter((frame) => frame.duplicateOf === undefined),
                tap(() => counts.unique++),
                (kept): Observable<{ index: number; pts: number; image: SaveImage }> => {
                  const concurrency = mode === 'sequential' ? 1 : undefined
                  // The decoder's frames are RGB: the encoder gets the model's Y'CbCr, or RGB.
                  return yuv420
                    ? kept.pipe(upscale({ upscaler, yuv420, concurrency }), map(({ index, pts, image }) => ({ index, pts, image })))
                    : kept.pipe(upscale({ upscaler, target: { scale: passesScale }, concurrency }), map(({ index, pts, image }) => ({ index, pts, image: { ...image, channels: 3 as const } })))
                },
                tap((frame) => {
                  counts.upscaled++
                  frames[frame.index].upscaledAt = elapsed()
                }),
              ),
              detected.pipe(
                filter((frame) => frame.duplicateOf !== undefined),
                map(({ index, pts, duplicateOf }) => {
                  counts.duplicates++
                  Object.assign(frames[index], { decision: 'duplicate', duplicateOf })
                  return { index, pts, duplicateOf }
                }),
              ),
            ),
          ),
          saveFrames({ ...sourceColorTags(info), ...encoder, size, output, source: input, frameRate, overwrite, keepPartial, signal: stop.signal, reorderCapacity: capacity, ffmpegPath }),
          filter((event) => event.type === 'written' || event.type === 'finished'),
          catchError((error: unknown) => throwError(() => toPipelineError(error))),
        )
        .subscribe({
          next: (event) => {
            if (event.type === 'written') {
              counts.encoded++
              frames[event.index].encodedAt = elapsed()
              returnCredit()
              progress()
              return
            }
            if (event.type !== 'finished') return
            const seconds = elapsed() / 1000
            const report = async () => {
              if (planFile) {
                const skippedShare = counts.decoded === 0 ? 0 : counts.duplicates / counts.decoded
                await writePlan(planFile, { input, output, mode, capacity, model: upscaler!.info.id, seconds, ...counts, skippedShare, frames })
              }
              finished = true
              const { unique, duplicates } = counts
              subscriber.next({ type: 'done', output: event.output, frames: event.frames, seconds, fps: event.frames / seconds, partial: event.partial, unique, duplicates })
              subscriber.complete()
            }
            report().catch(fail)
          },
          error: fail,
        })
    }

    run().catch(fail)
    return () => {
      finished = true
      signal?.removeEventListener('abort', onAbort)
      pauseSubscription?.unsubscribe()
      // Unsubscribing the pipeline ends both ffmpeg processes and removes stage-save's temporary file.
      pipeline?.unsubscribe()
      stop.abort()
      void upscaler?.close()
    }
  })
}

async function writePlan(file: string, plan: Record<string, unknown>): Promise<void> {
  await writeAtomically(file, true, (temporary) => writeFile(temporary, `${JSON.stringify(plan, null, 2)}\n`))
}

/** Runs `upscaleVideo` to the end; resolves with the final event. */
export function upscaleVideoToFile(input: string, output: string, options: UpscaleVideoOptions = {}): Promise<Extract<VideoEvent, { type: 'done' }>> {
  return new Promise((resolve, reject) => {
    upscaleVideo(input, output, options)
      .pipe(filter((event): event is Extract<VideoEvent, { type: 'done' }> => event.type === 'done'))
      .subscribe({ next: resolve, error: reject })
  })
}

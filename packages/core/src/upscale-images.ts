import { BehaviorSubject, Observable, filter, firstValueFrom, lastValueFrom, type Subscriber, type Subscription } from 'rxjs'
import { planOutput, type ModelInfo, type TargetSize, type Upscaler, type UpscalerOptions } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from './defaults'
import { CoreError, toCoreError, type CoreErrorCode, type Stage } from './errors'
import { readImage, writeImage, type DecodedImage } from './image-io'
import { refuseExistingOutputs, type ImageJob } from './image-jobs'
import { checkOutputSize } from './limits'
import { startWorkers } from './start-workers'
import { WorkClock } from './work-clock'

export interface UpscaleImagesOptions extends UpscalerOptions {
  /** Output size (default: the model's native scale). */
  target?: TargetSize
  /** Replace existing outputs; without it, any existing output refuses the whole batch before work starts. */
  overwrite?: boolean
  /** Encoder quality for jpg/webp/avif, 1-100. */
  quality?: number
  /** Inputs above this many pixels are refused from their header. Default 16384². */
  maxPixels?: number
  /** Outputs above this many pixels are refused before the image is upscaled. Default: from this machine's memory. */
  maxOutputPixels?: number
  /** true pauses (no new image is started; images in flight finish), false resumes. */
  paused?: Observable<boolean>
  /** Stops the batch: the stream ends with E_ABORTED once workers are closed and no partial file is left. */
  signal?: AbortSignal
}

export interface ImageResult {
  input: string
  output: string
  width: number
  height: number
  sourceWidth: number
  sourceHeight: number
  milliseconds: number
}

export interface ImageFailure {
  input: string
  code: CoreErrorCode
  stage: Stage
  message: string
  /** The error itself, for callers that word it their own way (not sent over JSON). */
  error?: CoreError
}

/** What `upscaleImages` reports, in order: start, then image/failed + progress per image, then done; paused/resumed and warnings when they happen. */
export type ImageEvent =
  | { type: 'start'; total: number; model: ModelInfo; workers: number; threads: number }
  | ({ type: 'image' } & ImageResult)
  | ({ type: 'failed' } & ImageFailure)
  | { type: 'warning'; input: string; message: string }
  | {
      type: 'progress'
      done: number
      failed: number
      total: number
      percent: number
      /** Over the time the batch was not paused. */
      imagesPerSecond: number
      etaSeconds: number | undefined
      paused: boolean
    }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; results: ImageResult[]; failures: ImageFailure[]; seconds: number }

function toFailure(input: string, error: unknown): ImageFailure {
  const coreError = toCoreError(error)
  return { input, code: coreError.code, stage: coreError.stage, message: coreError.message, error: coreError }
}

/**
 * Upscales a batch of images with one worker pool, several images at a time. An image that fails
 * is reported and the rest go on; errors that concern the whole batch (model, existing outputs)
 * end the stream with a CoreError before any work. The stream ends only once the workers are closed.
 */
export function upscaleImages(jobs: ImageJob[], options: UpscaleImagesOptions = {}): Observable<ImageEvent> {
  return new Observable<ImageEvent>((subscriber) => {
    const batch = new ImageBatch(jobs, options, subscriber)
    void batch.run()
    return () => batch.teardown()
  })
}

/** Upscales one image file to `output`; resolves with its result or rejects with a CoreError. */
export async function upscaleImage(job: ImageJob, options: UpscaleImagesOptions = {}): Promise<ImageResult> {
  const done = await lastValueFrom(upscaleImages([job], options).pipe(filter((event): event is Extract<ImageEvent, { type: 'done' }> => event.type === 'done')))
  const failure = done.failures[0]
  if (failure) throw failure.error ?? new CoreError(failure.code, failure.stage, failure.message)
  return done.results[0]
}

/** One run of `upscaleImages`. */
class ImageBatch {
  private upscaler?: Upscaler
  private stopped = false
  private readonly paused = new BehaviorSubject(false)
  private pauseSubscription?: Subscription
  private readonly results: ImageResult[] = []
  private readonly failures: ImageFailure[] = []
  private clock?: WorkClock
  private readonly onAbort = () => void this.stop()

  constructor(
    private readonly jobs: ImageJob[],
    private readonly options: UpscaleImagesOptions,
    private readonly subscriber: Subscriber<ImageEvent>,
  ) {}

  async run(): Promise<void> {
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true })
    try {
      if (this.options.signal?.aborted) throw aborted()
      await refuseExistingOutputs(this.jobs, this.options.overwrite)
      const { target: _target, overwrite: _overwrite, quality: _quality, maxPixels: _maxPixels, maxOutputPixels: _max, paused: _paused, signal: _signal, ...pool } = this.options
      this.upscaler = await startWorkers(pool, this.options.signal, aborted)
      if (this.stopped) throw aborted()
      this.startBatch(this.upscaler)
      await this.processAll(this.upscaler)
      if (this.stopped) throw aborted()
      await this.end({ type: 'done', results: this.results, failures: this.failures, seconds: this.clock!.elapsedMs() / 1000 })
    } catch (error) {
      await this.end(error)
    }
  }

  private startBatch(upscaler: Upscaler): void {
    this.clock = new WorkClock()
    this.subscriber.next({ type: 'start', total: this.jobs.length, model: upscaler.info, workers: upscaler.workers, threads: upscaler.threads })
    this.pauseSubscription = this.options.paused?.subscribe((pause) => {
      if (pause === this.paused.value) return
      this.clock!.setPaused(pause)
      this.paused.next(pause)
      this.subscriber.next({ type: pause ? 'paused' : 'resumed' })
      this.progress()
    })
  }

  /** One image more than workers keeps every worker busy while the next image decodes. */
  private async processAll(upscaler: Upscaler): Promise<void> {
    let next = 0
    const lane = async () => {
      while (!this.stopped && next < this.jobs.length) {
        await firstValueFrom(this.paused.pipe(filter((pause) => !pause)), { defaultValue: false })
        if (this.stopped || next >= this.jobs.length) break
        await this.processJob(this.jobs[next++], upscaler)
      }
    }
    await Promise.all(Array.from({ length: Math.min(upscaler.workers + 1, this.jobs.length) }, lane))
  }

  private async processJob(job: ImageJob, upscaler: Upscaler): Promise<void> {
    const started = performance.now()
    try {
      const decoded = await readImage(job.input, this.options.maxPixels ?? DEFAULTS.maxInputPixels)
      this.warnAboutFrames(job, decoded)
      const target = this.options.target ?? {}
      const size = planOutput(decoded.image.width, decoded.image.height, upscaler.info.scale, target)
      checkOutputSize(size.width, size.height, this.options.maxOutputPixels ?? DEFAULTS.maxOutputPixels)
      if (this.stopped) return
      const image = await upscaler.upscale(decoded.image, target)
      if (this.stopped) return
      await writeImage(image, job.output, { format: job.format, overwrite: this.options.overwrite ?? false, quality: this.options.quality, source: decoded.source })
      const result = { input: job.input, output: job.output, width: image.width, height: image.height, sourceWidth: decoded.image.width, sourceHeight: decoded.image.height, milliseconds: performance.now() - started }
      this.results.push(result)
      this.subscriber.next({ type: 'image', ...result })
    } catch (error) {
      if (this.stopped) return
      const failure = toFailure(job.input, error)
      this.failures.push(failure)
      this.subscriber.next({ type: 'failed', ...failure })
    }
    this.progress()
  }

  /** An animated image becomes its first frame: say so (a video output upscales every frame). */
  private warnAboutFrames(job: ImageJob, decoded: DecodedImage): void {
    const pages = decoded.source.pages ?? 1
    if (pages > 1) {
      this.subscriber.next({ type: 'warning', input: job.input, message: `${job.input} is animated (${pages} frames): only its first frame is upscaled into ${job.output}; give a video output (.mkv, .mp4, .webm) to upscale every frame` })
    }
  }

  private progress(): void {
    const done = this.results.length + this.failures.length
    const total = this.jobs.length
    const rate = done / this.clock!.workingSeconds()
    this.subscriber.next({
      type: 'progress',
      done,
      failed: this.failures.length,
      total,
      percent: total === 0 ? 100 : (100 * done) / total,
      imagesPerSecond: rate,
      etaSeconds: done === 0 ? undefined : (total - done) / rate,
      paused: this.clock!.paused,
    })
  }

  private stop(): void {
    this.stopped = true
    // Lanes waiting for a resume give up; the workers stop after their current call.
    this.paused.next(false)
    void this.upscaler?.close()
  }

  /** Closes the workers, then delivers the end. */
  private async end(outcome: Extract<ImageEvent, { type: 'done' }> | unknown): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.onAbort)
    this.pauseSubscription?.unsubscribe()
    this.paused.complete()
    await this.upscaler?.close()
    if (this.subscriber.closed) return
    if (isDone(outcome)) {
      this.subscriber.next(outcome)
      this.subscriber.complete()
    } else this.subscriber.error(toCoreError(outcome))
  }

  teardown(): void {
    this.stop()
    this.options.signal?.removeEventListener('abort', this.onAbort)
    this.pauseSubscription?.unsubscribe()
    void this.upscaler?.close()
  }
}

function isDone(outcome: unknown): outcome is Extract<ImageEvent, { type: 'done' }> {
  return typeof outcome === 'object' && outcome !== null && (outcome as { type?: unknown }).type === 'done' && Array.isArray((outcome as { results?: unknown }).results)
}

function aborted(): CoreError {
  return new CoreError('E_ABORTED', 'upscale', 'Stopped before the batch was done; no partial file was written')
}


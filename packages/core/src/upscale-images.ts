import { BehaviorSubject, Observable, filter, firstValueFrom, lastValueFrom, type Subscription } from 'rxjs'
import { createUpscaler, type ModelInfo, type TargetSize, type Upscaler, type UpscalerOptions } from '@anime-upscaler/stage-upscale'
import { CoreError, errorMessage, type CoreErrorCode, type Stage } from './errors'
import { DEFAULT_MAX_INPUT_PIXELS, readImage, writeImage } from './image-io'
import { existingOutputs, type ImageJob } from './image-jobs'

export interface UpscaleImagesOptions extends UpscalerOptions {
  /** Output size (default: the model's native scale). */
  target?: TargetSize
  /** Replace existing outputs; without it, any existing output refuses the whole batch before work starts. */
  overwrite?: boolean
  /** Encoder quality for jpg/webp/avif, 1-100. */
  quality?: number
  /** Inputs above this many pixels are refused from their header. Default 16384². */
  maxPixels?: number
  /** true pauses (no new image is started; images in flight finish), false resumes. */
  paused?: Observable<boolean>
  /** Stops the batch: workers end, no partial file is left. */
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
}

/** What `upscaleImages` reports, in order: start, then image/failed + progress per image, then done; paused/resumed when asked. */
export type ImageEvent =
  | { type: 'start'; total: number; model: ModelInfo; workers: number; threads: number }
  | ({ type: 'image' } & ImageResult)
  | ({ type: 'failed' } & ImageFailure)
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
  if (error instanceof CoreError) return { input, code: error.code, stage: error.stage, message: error.message }
  return { input, code: 'E_UPSCALE', stage: 'upscale', message: errorMessage(error) }
}

/**
 * Upscales a batch of images with one worker pool, several images at a time. An image that fails
 * is reported and the rest go on; errors that concern the whole batch (model, existing outputs)
 * end the stream with a CoreError before any work.
 */
export function upscaleImages(jobs: ImageJob[], options: UpscaleImagesOptions = {}): Observable<ImageEvent> {
  return new Observable<ImageEvent>((subscriber) => {
    const { target = {}, overwrite = false, quality, maxPixels = DEFAULT_MAX_INPUT_PIXELS, signal, paused, ...poolOptions } = options
    let upscaler: Upscaler | undefined
    let stopped = false
    const isPaused = new BehaviorSubject(false)
    let pausedMs = 0
    let pausedSince = 0
    let pauseSubscription: Subscription | undefined
    const abort = () => {
      stopped = true
      subscriber.error(new CoreError('E_ABORTED', 'upscale', 'Stopped before the batch was done; no partial file was written'))
    }
    signal?.addEventListener('abort', abort, { once: true })

    const run = async () => {
      if (!overwrite) {
        const existing = await existingOutputs(jobs)
        if (existing.length > 0) {
          const listed = existing.slice(0, 3).join(', ') + (existing.length > 3 ? ` and ${existing.length - 3} more` : '')
          throw new CoreError('E_OUTPUT_EXISTS', 'output', `Output already exists: ${listed}; pass --overwrite to replace`)
        }
      }
      try {
        upscaler = await createUpscaler(poolOptions)
      } catch (error) {
        throw new CoreError('E_UPSCALE', 'upscale', errorMessage(error), { cause: error })
      }
      if (stopped) return
      subscriber.next({ type: 'start', total: jobs.length, model: upscaler.info, workers: upscaler.workers, threads: upscaler.threads })
      const started = performance.now()
      const results: ImageResult[] = []
      const failures: ImageFailure[] = []
      const progress = () => {
        const done = results.length + failures.length
        const pausedNow = isPaused.value ? performance.now() - pausedSince : 0
        const seconds = (performance.now() - started - pausedMs - pausedNow) / 1000
        const rate = done / Math.max(seconds, 1e-3)
        subscriber.next({
          type: 'progress',
          done,
          failed: failures.length,
          total: jobs.length,
          percent: jobs.length === 0 ? 100 : (100 * done) / jobs.length,
          imagesPerSecond: rate,
          etaSeconds: done === 0 ? undefined : (jobs.length - done) / rate,
          paused: isPaused.value,
        })
      }
      pauseSubscription = paused?.subscribe((pause) => {
        if (pause === isPaused.value) return
        if (pause) pausedSince = performance.now()
        else pausedMs += performance.now() - pausedSince
        isPaused.next(pause)
        subscriber.next({ type: pause ? 'paused' : 'resumed' })
        progress()
      })
      // Resolves at once when running; while paused, on resume (or on teardown, which completes isPaused).
      const running = () => firstValueFrom(isPaused.pipe(filter((pause) => !pause)), { defaultValue: false })
      const processJob = async (job: ImageJob, pool: Upscaler) => {
        const jobStarted = performance.now()
        try {
          const decoded = await readImage(job.input, maxPixels)
          if (stopped) return
          const image = await pool.upscale(decoded.image, target).catch((error: unknown) => {
            throw new CoreError('E_UPSCALE', 'upscale', `Could not upscale ${job.input}: ${errorMessage(error)}`, { cause: error })
          })
          if (stopped) return
          await writeImage(image, job.output, { format: job.format, overwrite, quality, source: decoded.source })
          const result: ImageResult = {
            input: job.input,
            output: job.output,
            width: image.width,
            height: image.height,
            sourceWidth: decoded.image.width,
            sourceHeight: decoded.image.height,
            milliseconds: performance.now() - jobStarted,
          }
          results.push(result)
          subscriber.next({ type: 'image', ...result })
        } catch (error) {
          if (stopped) return
          const failure = toFailure(job.input, error)
          failures.push(failure)
          subscriber.next({ type: 'failed', ...failure })
        }
        progress()
      }
      // One image more than workers keeps every worker busy while the next image decodes.
      const lanes = upscaler.workers + 1
      let next = 0
      const pool = upscaler
      await Promise.all(
        Array.from({ length: Math.min(lanes, jobs.length) }, async () => {
          while (!stopped && next < jobs.length) {
            await running()
            if (stopped || next >= jobs.length) break
            await processJob(jobs[next++], pool)
          }
        }),
      )
      if (stopped) return
      subscriber.next({ type: 'done', results, failures, seconds: (performance.now() - started) / 1000 })
      subscriber.complete()
    }

    run().catch((error: unknown) => {
      if (!stopped) subscriber.error(error)
    })
    return () => {
      stopped = true
      signal?.removeEventListener('abort', abort)
      pauseSubscription?.unsubscribe()
      isPaused.complete()
      void upscaler?.close()
    }
  })
}

/** Upscales one image file to `output`; resolves with its result or rejects with a CoreError. */
export async function upscaleImage(job: ImageJob, options: UpscaleImagesOptions = {}): Promise<ImageResult> {
  const done = await lastValueFrom(
    upscaleImages([job], options).pipe(
      filter((event): event is Extract<ImageEvent, { type: 'done' }> => event.type === 'done'),
    ),
  )
  const failure = done.failures[0]
  if (failure) throw new CoreError(failure.code, failure.stage, failure.message)
  return done.results[0]
}

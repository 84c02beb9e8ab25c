import { message, optionName } from '@anime-upscaler/common'
import { probe } from '@anime-upscaler/stage-extract'
import { BehaviorSubject, Observable, filter, firstValueFrom, type Subscriber, type Subscription } from 'rxjs'
import sharp from 'sharp'
import type { BatchEvent, BatchFailure, BatchFile, BatchResult, BatchVideoEvent } from './batch-events'
import { CoreError, toCoreError } from './errors'
import { assertImageFormat, refuseExistingOutputs, type ImageJob } from './image-jobs'
import { mapLimited } from './map-limited'
import type { MediaJob } from './media-jobs'
import { inputKind } from './media-kind'
import { upscaleImages, type ImageEvent, type UpscaleImagesOptions } from './upscale-images'
import type { VideoEvent } from './video/events'
import { check, resolveVideoOptions, type UpscaleVideoOptions } from './video/options'
import { upscaleVideo } from './video/upscale-video'
import { WorkClock } from './work-clock'

export interface UpscaleBatchOptions extends Omit<UpscaleVideoOptions, 'planFile'> {
  /** Images: encoder quality for jpg/webp/avif, 1-100. */
  quality?: number
  /** Images: inputs above this many pixels are refused from their header. Default 16384². */
  maxPixels?: number
}

/** Files measured at once before the batch starts (a header read or an ffprobe each). */
const MEASURE_CONCURRENCY = 4

/**
 * Upscales a batch of images and videos (see `resolveMediaJobs`): the images first, with one worker
 * pool, then each video through `upscaleVideo`. A file that fails is reported (`failed`) and the
 * batch goes on; errors that concern every file (an existing output without `overwrite`, the model,
 * a bad option) end the stream with a CoreError, before any work when they can be known then.
 * `signal` stops the whole batch: the stream ends with E_ABORTED once the file in progress has left
 * nothing behind (no partial file, no temporary file, no process); files finished before stay.
 * `paused` holds the file in progress and keeps the next one from starting.
 */
export function upscaleBatch(jobs: MediaJob[], options: UpscaleBatchOptions = {}): Observable<BatchEvent> {
  return new Observable<BatchEvent>((subscriber) => {
    const batch = new MediaBatch(jobs, options, subscriber)
    void batch.run()
    return () => batch.teardown()
  })
}

type FileJob = BatchFile & { job: MediaJob }

function checkJobs(jobs: unknown): asserts jobs is MediaJob[] {
  if (!Array.isArray(jobs)) throw check.invalid('an array of jobs (see resolveMediaJobs)', 'jobs', jobs)
  for (const job of jobs as Array<Partial<MediaJob> | undefined>) {
    check.oneOf('jobs[].kind', job?.kind, ['image', 'video'])
    check.nonEmptyString('jobs[].input', job?.input)
    check.nonEmptyString('jobs[].output', job?.output)
    if (job?.kind === 'image') assertImageFormat(job.format)
  }
}

/** Validates the options once for every file, and splits them into the images' and the videos'. */
function splitOptions(options: UpscaleBatchOptions): { images: UpscaleImagesOptions; videos: UpscaleVideoOptions } {
  if ((options as UpscaleVideoOptions).planFile !== undefined) {
    throw new CoreError('E_INVALID_ARGUMENT', 'input', message`${optionName('planFile')} names one file: plan one video at a time`, { option: 'planFile' })
  }
  const { quality, maxPixels, paused: _paused, signal, ...videos } = options
  if (quality !== undefined) check.integerInRange('quality', quality, 1, 100)
  if (maxPixels !== undefined) check.positiveInteger('maxPixels', maxPixels)
  if (signal !== undefined) check.signal('signal', signal)
  const resolved = resolveVideoOptions(videos)
  return { images: { ...resolved.pool, target: resolved.target, overwrite: resolved.overwrite, maxOutputPixels: resolved.maxOutputPixels, quality, maxPixels }, videos }
}

/** Errors that would fail every file alike: they end the batch. */
function endsBatch(error: CoreError): boolean {
  return error.code === 'E_ABORTED' || error.code === 'E_MODEL' || (error.code === 'E_INVALID_ARGUMENT' && error.stage !== 'output')
}

function aborted(): CoreError {
  return new CoreError('E_ABORTED', 'upscale', 'Stopped before the batch was done: the files finished before the stop are kept, nothing partial was written')
}

/** A file's work in source pixels (x frames for a video), read from its header; 0 when it cannot be read (it fails soon enough). */
async function measure({ job }: FileJob, options: UpscaleBatchOptions): Promise<number> {
  try {
    if (job.kind === 'image') {
      const { width = 0, height = 0 } = await sharp(job.input, { limitInputPixels: false }).metadata()
      return width * height
    }
    const { video } = await probe(job.input, { scanPackets: 0, ffprobePath: options.ffprobePath, signal: options.signal })
    return video.frameCount * video.width * video.height
  } catch {
    return 0
  }
}

/** The batch's work done, for its percent and ETA. */
class BatchWork {
  private finished = 0
  private inProgress = 0
  private readonly total: number

  constructor(private readonly units: readonly number[]) {
    this.total = units.reduce((sum, units) => sum + units, 0)
  }

  finish(file: number): void {
    this.finished += this.units[file - 1]
    this.inProgress = 0
  }

  advance(file: number, fraction: number): void {
    this.inProgress = this.units[file - 1] * fraction
  }

  percent(): number {
    return this.total === 0 ? 0 : (100 * (this.finished + this.inProgress)) / this.total
  }

  etaSeconds(clock: WorkClock): number | undefined {
    const done = this.finished + this.inProgress
    return done === 0 ? undefined : (this.total - done) / (done / clock.workingSeconds())
  }
}

/** One run of `upscaleBatch`. */
class MediaBatch {
  private files: FileJob[] = []
  private readonly paused = new BehaviorSubject(false)
  private pauseSubscription?: Subscription
  private running?: Subscription
  private readonly results: BatchResult[] = []
  private readonly failures: BatchFailure[] = []
  private clock = new WorkClock()
  private work = new BatchWork([])
  /** The file in progress, its percent (videos) and output size. */
  private current?: { file: FileJob; percent?: number; width?: number; height?: number }
  private stopped = false
  private ended = false
  private readonly onAbort = () => {
    this.stopped = true
    // A wait for a resume gives up; the file in progress stops on the same signal.
    this.paused.next(false)
  }

  constructor(
    private readonly jobs: MediaJob[],
    private readonly options: UpscaleBatchOptions,
    private readonly subscriber: Subscriber<BatchEvent>,
  ) {}

  async run(): Promise<void> {
    try {
      checkJobs(this.jobs)
      const split = splitOptions(this.options)
      this.options.signal?.addEventListener('abort', this.onAbort, { once: true })
      this.throwIfStopped()
      await refuseExistingOutputs(this.jobs, this.options.overwrite)
      const ordered = [...this.jobs.filter((job) => job.kind === 'image'), ...this.jobs.filter((job) => job.kind === 'video')]
      this.files = ordered.map((job, i) => ({ file: i + 1, files: ordered.length, kind: job.kind, input: job.input, output: job.output, job }))
      this.work = new BatchWork(await mapLimited(this.files, MEASURE_CONCURRENCY, (file) => measure(file, this.options)))
      this.throwIfStopped()
      this.startBatch()
      await this.runImages(split.images)
      for (const file of this.files.filter((f) => f.kind === 'video')) await this.runVideo(file, split.videos)
      this.throwIfStopped()
      this.end({ done: { type: 'done', results: this.results, failures: this.failures, seconds: this.clock.elapsedMs() / 1000 } })
    } catch (error) {
      this.end({ error })
    }
  }

  private throwIfStopped(): void {
    if (this.stopped || this.options.signal?.aborted) throw aborted()
  }

  private startBatch(): void {
    this.clock = new WorkClock()
    const images = this.files.filter((f) => f.kind === 'image').length
    this.emit({ type: 'start', files: this.files.length, images, videos: this.files.length - images })
    this.pauseSubscription = this.options.paused?.subscribe((pause) => {
      if (pause === this.paused.value || this.stopped) return
      this.clock.setPaused(pause)
      this.paused.next(pause)
      this.emit({ type: pause ? 'paused' : 'resumed' })
      this.emitProgress()
    })
  }

  /** Follows a run of one or more files until it ends; rejects with its error. */
  private follow<T>(events: Observable<T>, next: (event: T) => void): Promise<void> {
    this.throwIfStopped()
    return new Promise((resolve, reject) => {
      this.running = events.subscribe({ next, error: reject, complete: resolve })
    })
  }

  private async runImages(options: UpscaleImagesOptions): Promise<void> {
    const images = this.files.filter((f) => f.kind === 'image')
    if (images.length === 0) return
    const byInput = new Map(images.map((file) => [file.input, file]))
    const jobs = images.map(({ job }) => ({ input: job.input, output: job.output, format: (job as ImageJob).format }))
    await this.follow(upscaleImages(jobs, { ...options, paused: this.paused, signal: this.options.signal }), (event) => this.onImageEvent(event, byInput))
  }

  private onImageEvent(event: ImageEvent, byInput: Map<string, FileJob>): void {
    if (event.type === 'start') this.emit({ type: 'images', images: event.total, model: event.model, workers: event.workers, threads: event.threads })
    else if (event.type === 'warning') this.emit(event)
    else if (event.type === 'image') {
      const file = byInput.get(event.input)!
      this.current = { file }
      this.written({ ...fileOf(file), width: event.width, height: event.height, seconds: event.milliseconds / 1000 })
    } else if (event.type === 'failed') {
      const file = byInput.get(event.input)!
      this.current = { file }
      this.fail(file, event.error ?? new CoreError(event.code, event.stage, event.message))
    }
  }

  /** One video; its failure is the file's unless it concerns every file or the batch was stopped. */
  private async runVideo(file: FileJob, options: UpscaleVideoOptions): Promise<void> {
    await firstValueFrom(this.paused.pipe(filter((pause) => !pause)), { defaultValue: false })
    this.current = { file, percent: 0 }
    try {
      // Its content first: text named .mkv is said to be text, not "invalid data".
      await inputKind(file.input, { ffprobePath: options.ffprobePath })
      await this.follow(upscaleVideo(file.input, file.output, { ...options, paused: this.paused, signal: this.options.signal }), (event) => this.onVideoEvent(file, event))
    } catch (error) {
      const failure = toCoreError(error)
      if (this.stopped || endsBatch(failure)) throw failure
      this.fail(file, failure)
    }
  }

  private onVideoEvent(file: FileJob, event: VideoEvent): void {
    if (event.type === 'paused' || event.type === 'resumed') return
    this.emit({ type: 'video', ...fileOf(file), event: event as BatchVideoEvent })
    if (event.type === 'start') this.current = { file, percent: 0, width: event.outputWidth, height: event.outputHeight }
    else if (event.type === 'progress') {
      this.current = { ...this.current!, percent: event.percent }
      this.work.advance(file.file, event.total === 0 ? 0 : event.encoded / event.total)
      this.emitProgress()
    } else if (event.type === 'done') this.videoDone(file, event)
  }

  private videoDone(file: FileJob, event: Extract<VideoEvent, { type: 'done' }>): void {
    if (event.partial) {
      // Only with keepPartial: the video stopped or failed, and what was encoded is kept.
      if (!this.stopped) this.fail(file, new CoreError('E_ENCODE', 'encode', `${file.input} did not finish: a partial file of ${event.frames} frames was kept at ${event.output}`))
    } else {
      this.written({ ...fileOf(file), width: this.current?.width ?? 0, height: this.current?.height ?? 0, seconds: event.seconds, frames: event.frames })
    }
  }

  private written(result: BatchResult): void {
    this.results.push(result)
    this.work.finish(result.file)
    this.emit({ type: 'written', ...result })
    this.emitProgress()
  }

  private fail(file: FileJob, error: CoreError): void {
    const failure: BatchFailure = { ...fileOf(file), code: error.code, stage: error.stage, message: error.message, error }
    this.failures.push(failure)
    this.work.finish(file.file)
    this.emit({ type: 'failed', ...failure })
    this.emitProgress()
  }

  private emitProgress(): void {
    const current = this.current ?? { file: this.files[0] }
    this.emit({
      type: 'progress',
      file: current.file.file,
      files: this.files.length,
      input: current.file.input,
      filePercent: current.percent,
      done: this.results.length,
      failed: this.failures.length,
      percent: this.work.percent(),
      etaSeconds: this.work.etaSeconds(this.clock),
      paused: this.clock.paused,
    })
  }

  private emit(event: BatchEvent): void {
    if (!this.ended) this.subscriber.next(event)
  }

  /** Delivers the end; every file's run has already ended (its cleanup done) by then. */
  private end(outcome: { done: Extract<BatchEvent, { type: 'done' }> } | { error: unknown }): void {
    if (this.ended) return
    this.release()
    if ('done' in outcome) {
      this.subscriber.next(outcome.done)
      this.subscriber.complete()
    } else this.subscriber.error(toCoreError(outcome.error))
  }

  private release(): void {
    this.ended = true
    this.options.signal?.removeEventListener('abort', this.onAbort)
    this.pauseSubscription?.unsubscribe()
    this.paused.complete()
  }

  /** The caller left: the file in progress stops (its cleanup goes on in the background) and no other starts. */
  teardown(): void {
    this.stopped = true
    if (this.ended) return
    this.release()
    this.running?.unsubscribe()
  }
}

function fileOf({ job: _job, ...file }: FileJob): BatchFile {
  return file
}

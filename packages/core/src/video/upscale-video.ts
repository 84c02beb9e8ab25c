import { waitForExit } from '@anime-upscaler/common'
import type { Upscaler } from '@anime-upscaler/stage-upscale'
import { Observable, filter, type Subscriber, type Subscription } from 'rxjs'
import { toCoreError } from '../errors'
import { CreditGate } from './credit-gate'
import type { VideoEvent } from './events'
import { resolveVideoOptions, type ResolvedVideoOptions, type UpscaleVideoOptions } from './options'
import { framePipeline } from './pipeline'
import type { VideoPlan } from './plan'
import { loadModel, probeVideo } from './prepare'
import { ProgressRecorder } from './progress'
import { reuseSummary } from './reuse'
import { describeJob } from './segments/job'
import { LocalSegmentedRun } from './segments/local-run'
import { checkRedis } from './distributed/redis'

/**
 * Upscales a video: ffmpeg decodes (stage-extract), repeated frames are found (stage-detect), the
 * model upscales the others in worker threads (stage-upscale), ffmpeg encodes with the source's
 * audio, subtitles and timestamps (stage-save), all at once and in memory. A CreditGate bounds the
 * frames between decoder and encoder (see docs/architecture.md).
 *
 * The stream ends (complete or error) only once everything is cleaned up: ffmpeg has exited, no
 * temporary file is left and the model workers are closed. Errors are CoreErrors naming the stage.
 */
export function upscaleVideo(input: string, output: string, options: UpscaleVideoOptions = {}): Observable<VideoEvent> {
  return new Observable<VideoEvent>((subscriber) => {
    const job = new VideoJob(input, output, subscriber)
    void job.run(options)
    return () => job.teardown()
  })
}

/** Runs `upscaleVideo` to the end; resolves with the final event. */
export function upscaleVideoToFile(input: string, output: string, options: UpscaleVideoOptions = {}): Promise<Extract<VideoEvent, { type: 'done' }>> {
  return new Promise((resolve, reject) => {
    upscaleVideo(input, output, options)
      .pipe(filter((event): event is Extract<VideoEvent, { type: 'done' }> => event.type === 'done'))
      .subscribe({ next: resolve, error: reject })
  })
}

/** One run of `upscaleVideo`: prepare (check, probe, plan), wire, report, and clean up before the end. */
class VideoJob {
  private upscaler?: Upscaler
  private pipeline?: Subscription
  private pause?: Subscription
  private ended = false
  /** The decoder's pid, to wait for its exit before the end is told. */
  private decoder?: number
  /** A segmented job (`segments`): its folder is open from the preparation on. */
  private segmented?: LocalSegmentedRun
  /** Aborts the probe while preparing; the pipeline gets the caller's signal itself. */
  private readonly preparing = new AbortController()

  constructor(
    private readonly input: string,
    private readonly output: string,
    private readonly subscriber: Subscriber<VideoEvent>,
  ) {}

  async run(options: UpscaleVideoOptions): Promise<void> {
    let resolved: ResolvedVideoOptions | undefined
    try {
      resolved = resolveVideoOptions(options)
      const onAbort = () => this.preparing.abort()
      resolved.signal?.addEventListener('abort', onAbort, { once: true })
      const plan = await this.prepare(resolved).finally(() => resolved!.signal?.removeEventListener('abort', onAbort))
      if (this.segmented) this.startSegmented(plan, resolved, this.segmented)
      else this.start(plan, resolved)
    } catch (error) {
      await this.end({ error })
    }
  }

  /** Every check that can fail before any work, the probe, the segments and the job folder (segmented), then the workers and the plan. */
  private async prepare(options: ResolvedVideoOptions): Promise<VideoPlan> {
    // Distributed: an unusable Redis is said before anything else takes time.
    if (options.queue) await checkRedis(options.queue.target)
    const probed = await probeVideo(this.input, this.output, options, this.preparing.signal)
    if (options.segments) {
      const job = await describeJob(this.input, this.output, probed.info, options, this.preparing.signal)
      this.segmented = await LocalSegmentedRun.open(job, { ...options, segments: options.segments })
    }
    const { plan, upscaler } = await loadModel(this.input, this.output, probed, coordinatorModel(options), this.preparing.signal)
    this.upscaler = upscaler
    return plan
  }

  /** The workers stop after their current call (closing is idempotent: every caller waits for the same end). */
  private closeWorkers(): Promise<void> {
    return this.upscaler?.close() ?? Promise.resolve()
  }

  /** Wires the stages and reports progress; the end comes from stage-save, after its cleanup. */
  private start(plan: VideoPlan, options: ResolvedVideoOptions): void {
    const gate = new CreditGate(plan.capacity)
    const recorder = new ProgressRecorder(plan)
    this.emit(startEvent(plan))
    this.watchPause(options, recorder, (paused) => gate.setPaused(paused))
    const parts = { plan, upscaler: this.upscaler!, gate, recorder, dedup: options.dedup, ffmpegPath: options.ffmpegPath, allowTruncated: options.allowTruncated }
    this.pipeline = framePipeline({ ...parts, onDecoderStart: (pid) => (this.decoder = pid) }).subscribe({
      next: (event) => {
        if (event.type === 'written') {
          recorder.encoded(event.index)
          gate.release()
          this.emit(recorder.progress())
        } else if (event.type === 'finished') {
          void this.finish(recorder, options.planFile, event.output, event.frames, event.partial)
        }
      },
      error: (error: unknown) => void this.end({ error }),
    })
    // A stop: the workers start closing at once (a stop is honoured within 2 s) while stage-save,
    // told first, cleans up; its E_ABORTED is the end, not the frames the closing fails.
    options.signal?.addEventListener('abort', () => void this.closeWorkers(), { once: true })
  }

  /** Segments in turn, a few at once, then the join; the end comes after the join (or the failure) and its cleanup. */
  private startSegmented(plan: VideoPlan, options: ResolvedVideoOptions, run: LocalSegmentedRun): void {
    const recorder = new ProgressRecorder(plan)
    this.emit(startEvent(plan, run.progress, options.queue?.target.display))
    let pausedNow = false
    this.watchPause(options, recorder, (paused) => paused !== pausedNow && ((pausedNow = paused), true))
    options.signal?.addEventListener('abort', () => void this.closeWorkers(), { once: true })
    const onWarning = options.pool.onWarning ?? (() => undefined)
    run.run({ plan, upscaler: this.upscaler!, recorder, onEncoded: () => this.emit(recorder.progress()), emit: (event) => this.emit(event), onWarning }).then(
      ({ output, frames }) => this.finish(recorder, options.planFile, output, frames, false),
      (error: unknown) => this.end({ error }),
    )
  }

  /**
   * Tells pauses and resumes (`change` applies one and says whether the state changed), with a
   * progress event; not for a queue run: its counts include the frames of segments in progress on
   * the workers, which only its coordinator knows (its next progress event, within 0.5 s, says paused).
   */
  private watchPause(options: ResolvedVideoOptions, recorder: ProgressRecorder, change: (paused: boolean) => boolean): void {
    this.pause = options.paused?.subscribe((paused) => {
      if (!change(paused)) return
      recorder.setPaused(paused)
      this.emit({ type: paused ? 'paused' : 'resumed' })
      if (!options.queue) this.emit(recorder.progress())
    })
  }

  private async finish(recorder: ProgressRecorder, planFile: string | undefined, output: string, frames: number, partial: boolean): Promise<void> {
    try {
      if (planFile) await recorder.writePlan(planFile)
      await this.end({ done: recorder.done(output, frames, partial) })
    } catch (error) {
      await this.end({ error })
    }
  }

  private emit(event: VideoEvent): void {
    if (!this.ended) this.subscriber.next(event)
  }

  /**
   * Closes the workers and waits for the decoder, then delivers the end: no ffmpeg and no file of
   * the job is left when the caller hears of it. A model call in progress is not waited for (see
   * stage-upscale's `close`): it ends in the background.
   */
  private async end(outcome: { done: Extract<VideoEvent, { type: 'done' }> } | { error: unknown }): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.pause?.unsubscribe()
    this.pipeline?.unsubscribe()
    await Promise.all([this.closeWorkers(), this.decoder === undefined ? undefined : waitForExit(this.decoder), this.segmented?.release()])
    if ('done' in outcome) {
      this.subscriber.next(outcome.done)
      this.subscriber.complete()
    } else this.subscriber.error(toCoreError(outcome.error))
  }

  /** The caller left: stop everything (ffmpeg and temporary files are cleaned up in the background). */
  teardown(): void {
    this.preparing.abort()
    if (this.ended) return
    this.ended = true
    this.pause?.unsubscribe()
    this.pipeline?.unsubscribe()
    this.segmented?.cancel()
    void this.closeWorkers()
  }
}

/** A distributed job's coordinator loads the model only to plan (its size, its colour output): one session of one thread. */
function coordinatorModel(options: ResolvedVideoOptions): ResolvedVideoOptions {
  return options.queue ? { ...options, pool: { ...options.pool, workers: 1, threads: 1 } } : options
}

function startEvent(plan: VideoPlan, segments?: { count: number; done: number; folder: string }, redis?: string): VideoEvent {
  return {
    ...(segments ? { segments } : {}),
    ...(redis ? { queue: { redis } } : {}),
    type: 'start',
    input: plan.input,
    output: plan.output,
    source: plan.source,
    outputWidth: plan.outputSize.width,
    outputHeight: plan.outputSize.height,
    mode: plan.mode,
    capacity: plan.capacity,
    frameFormat: plan.yuv420 ? (plan.yuv420.bitDepth === 10 ? 'yuv420p10le' : 'yuv420p') : 'rgb',
    pixFmt: plan.save.options.video!.pixFmt,
    model: plan.model,
    workers: plan.workers,
    threads: plan.threads,
    reuse: reuseSummary(plan.reuse),
  }
}

import { checkOutputPath, waitForExit } from '@anime-upscaler/common'
import { probe, type MediaInfo } from '@anime-upscaler/stage-extract'
import { planSave, type SavePlan } from '@anime-upscaler/stage-save'
import { createUpscaler, listModels, type Upscaler } from '@anime-upscaler/stage-upscale'
import { Observable, filter, type Subscriber, type Subscription } from 'rxjs'
import { DEFAULTS } from '../defaults'
import { CoreError, toCoreError } from '../errors'
import { CreditGate } from './credit-gate'
import type { VideoEvent } from './events'
import { resolveVideoOptions, type ResolvedVideoOptions, type UpscaleVideoOptions } from './options'
import { framePipeline } from './pipeline'
import { checkOutputSize } from '../limits'
import { encoderRequest, pipelineMode, planVideo, targetSize, type VideoPlan } from './plan'
import { ProgressRecorder } from './progress'
import { reuseSummary } from './reuse'

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

/** The scale of a built-in model, known without loading it. */
function builtinScale(model: string | undefined): number | undefined {
  return listModels().find((m) => m.id === (model ?? DEFAULTS.model))?.scale
}

/** One run of `upscaleVideo`: prepare (check, probe, plan), wire, report, and clean up before the end. */
class VideoJob {
  private upscaler?: Upscaler
  private pipeline?: Subscription
  private pause?: Subscription
  private ended = false
  /** The decoder's pid, to wait for its exit before the end is told. */
  private decoder?: number
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
      this.start(plan, resolved)
    } catch (error) {
      await this.end({ error })
    }
  }

  /** Every check that can fail before any work, then the probe, the save plan, the workers and the plan. */
  private async prepare(options: ResolvedVideoOptions): Promise<VideoPlan> {
    await checkOutputPath(this.output, { option: 'output', overwrite: options.overwrite })
    if (options.planFile) await checkOutputPath(options.planFile, { option: 'planFile', overwrite: true })
    const info = await probe(this.input, { ffprobePath: options.ffprobePath, signal: this.preparing.signal })
    const early = targetSize(info.video.displayWidth, info.video.displayHeight, options.target, builtinScale(options.pool.model))
    if (early) checkOutputSize(early.width, early.height, options.maxOutputPixels)
    const save = await this.planSave(info, options)
    const mode = pipelineMode(options, info)
    this.upscaler = await createUpscaler(mode === 'sequential' ? { ...options.pool, workers: 1 } : options.pool)
    // Starting the workers cannot be interrupted: a stop that came meanwhile is honoured here.
    if (this.preparing.signal.aborted || options.signal?.aborted) throw new CoreError('E_ABORTED', 'upscale', 'Stopped before the first frame; nothing was written')
    return planVideo({ input: this.input, output: this.output, info, options, upscaler: this.upscaler, save })
  }

  /** stage-save's decisions for this source, checked: container against the source's streams, destination. */
  private planSave(info: MediaInfo, options: ResolvedVideoOptions): Promise<SavePlan> {
    return planSave({
      ...encoderRequest(info, options),
      output: this.output,
      source: this.input,
      sourceStreams: info.streams.map(({ index, type, codec, language }) => ({ index, type: type === 'unknown' ? 'data' : type, codec, ...(language ? { language } : {}) })),
      ...(info.video.variableFrameRate ? {} : { frameRate: `${info.video.frameRate.num}/${info.video.frameRate.den}` }),
      overwrite: options.overwrite,
      keepPartial: options.keepPartial,
      reorderCapacity: options.capacity,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
    })
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
    this.pause = options.paused?.subscribe((paused) => {
      if (!gate.setPaused(paused)) return
      recorder.setPaused(paused)
      this.emit({ type: paused ? 'paused' : 'resumed' })
      this.emit(recorder.progress())
    })
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

  /** Closes the workers and waits for the decoder, then delivers the end: nothing is left running when the caller hears of it. */
  private async end(outcome: { done: Extract<VideoEvent, { type: 'done' }> } | { error: unknown }): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.pause?.unsubscribe()
    this.pipeline?.unsubscribe()
    await Promise.all([this.closeWorkers(), this.decoder === undefined ? undefined : waitForExit(this.decoder)])
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
    void this.closeWorkers()
  }
}

function startEvent(plan: VideoPlan): VideoEvent {
  return {
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

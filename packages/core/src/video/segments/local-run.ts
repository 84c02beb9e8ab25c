import { joinSegments } from '@anime-upscaler/stage-save'
import type { Upscaler } from '@anime-upscaler/stage-upscale'
import { BehaviorSubject, type Subscription } from 'rxjs'
import { CoreError } from '../../errors'
import type { ResolvedSegments, ResolvedVideoOptions } from '../options'
import { segmentCapacity, type VideoPlan } from '../plan'
import type { ProgressRecorder } from '../progress'
import type { VideoEvent } from '../events'
import { upscaleOnQueue } from '../distributed/queue-run'
import { JobFolder, defaultJobFolder, removePartialSegments, type SegmentDone } from './job-folder'
import { segmentContext, type SegmentedJob } from './job'
import type { SegmentRange } from './plan-segments'
import { relay } from './relay'
import { runSegment, type SegmentContext } from './run-segment'

/** Segments in flight at most by default: while one drains (its last frames in the model, the encoder's flush), the next keeps the workers busy. */
const DEFAULT_CONCURRENCY = 2

type SegmentedOptions = ResolvedVideoOptions & { segments: ResolvedSegments }

export interface LocalRunParts {
  plan: VideoPlan
  upscaler: Upscaler
  recorder: ProgressRecorder
  /** A frame was encoded (progress to tell). */
  onEncoded(): void
  /** Distributed mode: its progress and workers events, and its warnings (Redis away, a worker refusing). */
  emit(event: VideoEvent): void
  onWarning(message: string): void
}

/**
 * A segmented job on this machine: its job folder opened (continuing an earlier run's finished
 * segments, verified by checksum), the other segments upscaled a few at a time with the one pool
 * of model workers, each into its own file, then joined. On success the job folder is removed; on
 * failure or stop it stays for the next run (with `resume`) or is removed (without).
 */
export class LocalSegmentedRun {
  private readonly stop = new AbortController()
  private readonly paused = new BehaviorSubject(false)
  private pauseSubscription?: Subscription
  private failure?: unknown
  /** Set once the folder is closed or removed. */
  private released?: Promise<void>

  private constructor(
    private readonly job: SegmentedJob,
    private readonly options: SegmentedOptions,
    private readonly folder: JobFolder,
    /** Segments an earlier run finished, verified: they are not done again. */
    private readonly done: ReadonlyMap<number, SegmentDone>,
  ) {}

  /**
   * Opens the job folder (before the model loads: a folder of another job is refused at once),
   * holds its lock until `run` ends or `release`, removes the partial files of a killed run and
   * verifies the finished segments.
   */
  static async open(job: SegmentedJob, options: SegmentedOptions): Promise<LocalSegmentedRun> {
    const { segments } = options
    const description = { ...job, ...(segments.request !== undefined ? { request: segments.request } : {}) }
    const folder = await JobFolder.open(segments.folder ?? defaultJobFolder(job.output), description, { restart: segments.restart })
    try {
      await removePartialSegments(folder)
      return new LocalSegmentedRun(job, options, folder, await folder.verifiedDone())
    } catch (error) {
      await folder.close()
      throw error
    }
  }

  /** The job's segments, and how many an earlier run finished (for the start event). */
  get progress(): { count: number; done: number; folder: string } {
    return { count: this.job.segments.length, done: this.done.size, folder: this.folder.folder }
  }

  async run(parts: LocalRunParts): Promise<{ output: string; frames: number }> {
    const { job, options, folder } = this
    const onAbort = () => this.stop.abort(options.signal?.reason)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    this.pauseSubscription = options.paused?.subscribe((paused) => this.paused.next(paused))
    try {
      await this.upscalePending(parts)
      await joinSegments({ plan: parts.plan.save, segments: job.segments.map((s) => folder.segmentFile(s.index)), signal: this.stop.signal })
      this.released = folder.remove()
      await this.released
      return { output: job.output, frames: job.frames }
    } catch (error) {
      await this.release()
      throw options.signal?.aborted ? new CoreError('E_ABORTED', 'upscale', `Stopped; the finished segments are kept in '${folder.folder}' for the next run`, { cause: error }) : error
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      this.pauseSubscription?.unsubscribe()
    }
  }

  /** The job ends unfinished: the folder's lock goes and its segments stay (`resume`), or the folder goes. */
  release(): Promise<void> {
    this.released ??= this.options.segments.resume ? this.folder.close() : this.folder.remove()
    return this.released
  }

  /** The caller left: stop the segments in flight (their files are cleaned up in the background). */
  cancel(): void {
    this.stop.abort()
    void this.release()
  }

  /**
   * Upscales the segments not done yet as a relay: a segment starts once the one before it has
   * decoded its last frame (or ended), while fewer than `concurrency` are in flight. So one segment
   * at a time decodes and fills the whole capacity, as an unsegmented run does, and the next overlaps
   * only the previous one's drain. The first failure stops the others.
   */
  private async upscalePending(parts: LocalRunParts): Promise<void> {
    const { job, options, done } = this
    const { plan, upscaler, recorder } = parts
    for (const segment of done.values()) recorder.reused(segment)
    const pending = job.segments.filter((s) => !done.has(s.index))
    if (options.queue) return upscaleOnQueue({ job, folder: this.folder, done, pending, options: { ...options, queue: options.queue }, recorder, paused: this.paused, signal: this.stop.signal, emit: parts.emit, onWarning: parts.onWarning })
    const concurrency = Math.min(options.segments.concurrency ?? Math.min(DEFAULT_CONCURRENCY, plan.workers), Math.max(1, pending.length))
    const context = segmentContext(job, plan, upscaler, options, segmentCapacity(plan, options.bufferMemory, concurrency))
    await relay(pending, concurrency, (range, onDecoded) => this.upscaleOne(parts, context, range, onDecoded), () => this.stop.signal.aborted)
    if (this.failure !== undefined) throw this.failure
  }

  private async upscaleOne({ recorder, onEncoded }: LocalRunParts, context: SegmentContext, range: SegmentRange, onDecoded: () => void): Promise<void> {
    const { folder } = this
    try {
      await folder.started(range.index, 'local')
      const hooks = { recorder: recorder.at(range.first), paused: this.paused, signal: this.stop.signal, onEncoded, onDecoded }
      const result = await runSegment(context, range, folder.segmentFile(range.index), hooks)
      await folder.finished({ index: range.index, ...result, worker: 'local' })
    } catch (error) {
      this.failure ??= error
      this.stop.abort(error)
    }
  }
}

import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import type { Observable } from 'rxjs'
import { createValidators, type Validators } from '@anime-upscaler/common'
import { CoreError } from '../../errors'
import { WorkClock } from '../../work-clock'
import type { VideoEvent } from '../events'
import type { ResolvedVideoOptions } from '../options'
import type { ProgressRecorder, SegmentCounts } from '../progress'
import { sha256File } from '../segments/checksums'
import type { JobFolder } from '../segments/job-folder'
import type { SegmentedJob } from '../segments/job'
import type { SegmentRange } from '../segments/plan-segments'
import { distributeSegments, type WorkerShare } from './coordinator'
import { taskOptions } from './local-config'
import type { SegmentReport, SegmentTask } from './protocol'
import { parseRedisUrl, type RedisTarget } from './redis'

/** `upscaleVideo`'s `queue` option: segments go to workers through Redis instead of this machine's model. */
export interface QueueOptions {
  /** `redis://host:6379`, `rediss://:password@host:6380/0` (TLS). */
  redis: string
  /** Attempts of a segment that fails with an error, on any workers (default 3); a dead worker's segment is retried apart from these (twice). */
  attempts?: number
  /**
   * Seconds a job outlives a coordinator that stopped answering (killed, its machine down); default
   * 60. Then its workers stop its segments and take no more of them; the same command run again
   * continues the job from its folder.
   */
  coordinatorTimeout?: number
}

export interface ResolvedQueue {
  target: RedisTarget
  attempts: number
  coordinatorTimeout: number
}

const check: Validators = createValidators((parts, details) => new CoreError('E_INVALID_ARGUMENT', 'input', parts, details))

export function resolveQueue(queue: QueueOptions): ResolvedQueue {
  if (typeof queue !== 'object' || queue === null) throw check.invalid('{ redis, attempts, coordinatorTimeout }', 'queue', queue)
  check.nonEmptyString('queue.redis', queue.redis)
  const { attempts = 3, coordinatorTimeout = 60 } = queue
  check.positiveInteger('queue.attempts', attempts)
  check.positiveNumber('queue.coordinatorTimeout', coordinatorTimeout)
  return { target: parseRedisUrl(queue.redis, 'queue.redis'), attempts, coordinatorTimeout }
}

/** The queue's id of a job: the same folder, source and settings give the same id on every run (a rerun finds its segments). */
export function queueJobId(job: SegmentedJob, folder: string): string {
  return createHash('sha256').update(JSON.stringify([folder, job.source, job.settings, job.output])).digest('hex').slice(0, 16)
}

/** Counts of the whole job for its progress events: finished segments, the segments in progress on workers, speed. */
class DistributedProgress {
  private readonly clock = new WorkClock()
  /** Finished segments: their frames, kept and repeated frames (of this run's), and the sum of their frames' upscaled shares. */
  private done = { frames: 0, unique: 0, duplicates: 0, shares: 0 }
  /** Frames of segments finished before this run (not in the speed). */
  private earlier = 0

  constructor(private readonly total: number) {}

  reused({ frames, modelWork }: Pick<SegmentCounts, 'frames' | 'modelWork'>): void {
    this.earlier += frames
    this.finished({ frames, unique: 0, duplicates: 0, modelWork })
  }

  finished(report: SegmentCounts): void {
    const { done } = this
    this.done = { frames: done.frames + report.frames, unique: done.unique + report.unique, duplicates: done.duplicates + report.duplicates, shares: done.shares + report.modelWork * report.frames }
  }

  setPaused(paused: boolean): void {
    this.clock.setPaused(paused)
  }

  event(inProgress: number): Extract<VideoEvent, { type: 'progress' }> {
    const encoded = this.done.frames + inProgress
    const fps = (encoded - this.earlier) / this.clock.workingSeconds()
    const decoded = this.done.unique + this.done.duplicates
    return {
      type: 'progress',
      decoded: encoded,
      unique: this.done.unique,
      duplicates: this.done.duplicates,
      upscaled: encoded,
      encoded,
      total: this.total,
      percent: Math.min(100, (100 * encoded) / Math.max(1, this.total)),
      fps,
      etaSeconds: fps > 0 ? Math.max(0, this.total - encoded) / fps : undefined,
      paused: this.clock.paused,
      skippedShare: decoded === 0 ? 0 : this.done.duplicates / decoded,
      // Of the finished segments: workers report a segment's model work when it is done.
      modelWork: this.done.frames === 0 ? 0 : this.done.shares / this.done.frames,
    }
  }
}

export interface QueueRunParts {
  job: SegmentedJob
  folder: JobFolder
  /** Segments the job folder holds already, verified. */
  done: ReadonlyMap<number, Pick<SegmentCounts, 'frames' | 'modelWork'>>
  pending: readonly SegmentRange[]
  /** The job's options (the tasks carry them as JSON, without what belongs to this machine). */
  options: ResolvedVideoOptions & { queue: ResolvedQueue }
  /** Told of each segment another machine made (the run's totals and speed). */
  recorder: Pick<ProgressRecorder, 'remote'>
  paused?: Observable<boolean>
  signal: AbortSignal
  emit(event: VideoEvent): void
  onWarning(message: string): void
}

/** A worker's report checked against the file on the shared storage: a segment is journaled only once it is there, whole. */
async function checkReport(file: string, report: SegmentReport): Promise<void> {
  const size = await stat(file).then((s) => s.size, () => -1)
  if (size !== report.bytes || (await sha256File(file)) !== report.sha256) {
    throw new CoreError('E_SEGMENT_FAILED', 'upscale', `Worker ${report.worker} reported segment file '${file}', but this machine ${size < 0 ? 'does not see it' : 'reads other content there'}: the job folder must be on storage every machine reaches at the same path`)
  }
}

/**
 * Upscales a job's pending segments on the queue's workers: each finished segment is checked
 * (size, SHA-256) where this machine sees it and journaled in the job folder once. Progress events
 * count every worker's frames; `workers` events say what each does.
 */
export async function upscaleOnQueue(parts: QueueRunParts): Promise<void> {
  const { job, folder, pending, emit } = parts
  const progress = new DistributedProgress(job.frames)
  for (const segment of parts.done.values()) progress.reused(segment)
  const jobId = queueJobId(job, folder.folder)
  const options = taskOptions(parts.options)
  const tasks: SegmentTask[] = pending.map((range) => ({ jobId, job, index: range.index, file: folder.segmentFile(range.index), options }))
  const pause = parts.paused?.subscribe((paused) => progress.setPaused(paused))
  try {
    await distributeSegments({
      target: parts.options.queue.target,
      jobId,
      tasks,
      attempts: parts.options.queue.attempts,
      leaseMs: parts.options.queue.coordinatorTimeout * 1000,
      ...(parts.paused ? { paused: parts.paused } : {}),
      signal: parts.signal,
      onSegmentDone: async (index, report) => {
        await checkReport(folder.segmentFile(index), report)
        await folder.finished({ index, ...report })
        progress.finished(report)
        parts.recorder.remote(report)
      },
      onProgress: (inProgress: number, workers: WorkerShare[]) => {
        emit(progress.event(inProgress))
        emit({ type: 'workers', workers })
      },
      onWarning: parts.onWarning,
    })
  } finally {
    pause?.unsubscribe()
  }
}

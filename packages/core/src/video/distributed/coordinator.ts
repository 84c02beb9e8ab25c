import type { Job, Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Observable, Subscription } from 'rxjs'
import { CoreError } from '../../errors'
import { MAX_STALLS } from './worker'
import { bullConnection, checkRedis, redisClient, redisLibraries, type RedisTarget } from './redis'
import { SEGMENT_QUEUE, controlKey, segmentJobId, type SegmentProgress, type SegmentReport, type SegmentTask } from './protocol'

/** How often the coordinator reads the segments' states. */
const POLL_MS = 500
/** How long a job waits for Redis to come back before it fails (a restart takes a second or two). */
const REDIS_PATIENCE_MS = 60_000
/** How long a stop waits for the workers to hand their segments back. */
const STOP_WAIT_MS = 15_000
/** How long finished and failed segment entries stay in the queue: a job rerun within it finds them. */
const ENTRY_AGE_S = 7 * 24 * 3600

/** What a worker is doing for this job, for the display. */
export interface WorkerShare {
  worker: string
  /** Segments of this job it finished. */
  segments: number
  /** Frames it encoded for this job (finished segments and the one in progress). */
  frames: number
  /** Its speed on its current segment (0 when idle). */
  fps: number
  /** The segment it works on now. */
  current?: number
}

export interface DistributeOptions {
  target: RedisTarget
  jobId: string
  /** The segments still to do. */
  tasks: readonly SegmentTask[]
  /** Attempts a segment gets when it fails (errors) before the job fails; stalls are counted apart. */
  attempts: number
  /** How long the job's state stays in Redis without the coordinator renewing it (see QueueOptions.coordinatorTimeout). */
  leaseMs: number
  paused?: Observable<boolean>
  signal?: AbortSignal
  /** A segment's file is in place; called once per segment, in the order they finish. */
  onSegmentDone(index: number, report: SegmentReport): Promise<void>
  /** Frames encoded by workers for segments in progress, and what each worker does. */
  onProgress(inProgress: number, workers: WorkerShare[]): void
  onWarning(message: string): void
}

function aborted(): CoreError {
  return new CoreError('E_ABORTED', 'upscale', 'Stopped: the segments were taken back from the workers; the finished ones stay in the job folder')
}

/**
 * The coordinator's side of the distributed mode: adds the segments to the queue (each once: the
 * segment's BullMQ id is fixed), follows them until every one is done, and tells the caller about
 * each finished segment exactly once. Pause and stop go to every worker through the job's state
 * in Redis. Redis may go away for a while (a restart): the job is kept there (append-only file)
 * and the coordinator waits for it.
 */
export async function distributeSegments(options: DistributeOptions): Promise<void> {
  await checkRedis(options.target)
  const run = await Distribution.connect(options)
  try {
    await run.start()
    await run.follow()
  } finally {
    await run.close()
  }
}

class Distribution {
  private readonly outstanding: Map<number, SegmentTask>
  private readonly shares = new Map<string, WorkerShare>()
  private readonly refusals = new Set<string>()
  private pause?: Subscription
  private redisDownSince?: number
  private state: 'running' | 'paused' = 'running'

  private constructor(
    private readonly options: DistributeOptions,
    private readonly queue: Queue<SegmentTask, SegmentReport>,
    private readonly control: Redis,
    private readonly jobs: typeof Job,
  ) {
    this.outstanding = new Map(options.tasks.map((task) => [task.index, task]))
  }

  static async connect(options: DistributeOptions): Promise<Distribution> {
    const [bullmq] = await redisLibraries()
    // Commands fail fast while Redis is away (the loop waits for it); reconnection never gives up.
    const connection = { maxRetriesPerRequest: 1, retryStrategy: () => 500 }
    const queue = new bullmq.Queue<SegmentTask, SegmentReport>(SEGMENT_QUEUE, { connection: bullConnection(options.target, connection) })
    queue.on('error', () => undefined)
    const control = await redisClient(options.target, connection)
    control.on('error', () => undefined)
    return new Distribution(options, queue, control, bullmq.Job)
  }

  private get key(): string {
    return controlKey(this.options.jobId)
  }

  async start(): Promise<void> {
    await this.renewState()
    await this.forgetFailures()
    await this.queue.addBulk(
      this.options.tasks.map((task) => ({
        name: `segment ${task.index}`,
        data: task,
        opts: { jobId: segmentJobId(task.jobId, task.index), attempts: this.options.attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: ENTRY_AGE_S }, removeOnFail: { age: ENTRY_AGE_S } },
      })),
    )
    this.pause = this.options.paused?.subscribe((paused) => {
      this.state = paused ? 'paused' : 'running'
      void this.renewState().catch(() => undefined)
    })
  }

  /**
   * Writes the job's state with a lease: a coordinator that dies stops renewing it, the state
   * expires and the workers stop the job's segments (a Redis that lost its data gets it back).
   */
  private async renewState(): Promise<void> {
    await this.control.multi().hset(this.key, 'state', this.state).pexpire(this.key, this.options.leaseMs).exec()
  }

  /** Segments an earlier run of this job let fail are tried afresh (their ids would otherwise keep the failure). */
  private async forgetFailures(): Promise<void> {
    for (const task of this.options.tasks) {
      const job = await this.jobs.fromId(this.queue, segmentJobId(task.jobId, task.index))
      if (job && (await job.getState()) === 'failed') await job.remove()
    }
  }

  /** Reads the segments until all are done; fails on a segment out of attempts, a stop, or Redis gone too long. */
  async follow(): Promise<void> {
    const { signal } = this.options
    while (this.outstanding.size > 0) {
      if (signal?.aborted) throw aborted()
      try {
        await this.readSegments()
        await this.readRefusals()
        await this.renewState()
        this.redisIsBack()
      } catch (error) {
        if (error instanceof CoreError) throw error
        this.redisIsDown(error)
      }
      await sleep(POLL_MS, signal)
    }
  }

  private async readSegments(): Promise<void> {
    let inProgress = 0
    for (const share of this.shares.values()) {
      share.fps = 0
      share.current = undefined
    }
    for (const [index, task] of [...this.outstanding]) {
      const job = await this.jobs.fromId<SegmentTask, SegmentReport>(this.queue, segmentJobId(task.jobId, index))
      if (!job) {
        // Lost (a Redis without its data): queued again; the worker's copy, if any, is kept.
        await this.queue.add(`segment ${index}`, task, { jobId: segmentJobId(task.jobId, index), attempts: this.options.attempts })
        continue
      }
      const state = await job.getState()
      if (state === 'completed') await this.completed(index, job.returnvalue)
      else if (state === 'failed') this.failed(index, job)
      else if (state === 'active' && typeof job.progress === 'object' && job.progress !== null) inProgress += this.track(index, job.progress as unknown as SegmentProgress)
    }
    this.options.onProgress(inProgress, [...this.shares.values()])
  }

  private share(worker: string): WorkerShare {
    let share = this.shares.get(worker)
    if (!share) this.shares.set(worker, (share = { worker, segments: 0, frames: 0, fps: 0 }))
    return share
  }

  private track(index: number, progress: SegmentProgress): number {
    const share = this.share(progress.worker)
    share.current = index
    share.fps = progress.fps
    return progress.encoded
  }

  private async completed(index: number, report: SegmentReport): Promise<void> {
    // Told once: the segment leaves `outstanding` before anything else can read it again.
    this.outstanding.delete(index)
    const share = this.share(report.worker)
    share.segments++
    share.frames += report.frames
    await this.options.onSegmentDone(index, report)
  }

  private failed(index: number, job: Job<SegmentTask, SegmentReport>): void {
    const stalls = /stalled more than allowable limit/i.test(job.failedReason ?? '') ? ` (its worker stopped answering ${MAX_STALLS + 1} times)` : ''
    throw new CoreError('E_SEGMENT_FAILED', 'upscale', `Segment ${index} failed on every attempt${stalls}: ${job.failedReason}`)
  }

  /** Workers that refused the job (another version or model) are named once each. */
  private async readRefusals(): Promise<void> {
    const fields = await this.control.hgetall(this.key)
    for (const [field, reason] of Object.entries(fields)) {
      if (!field.startsWith('refused:') || this.refusals.has(field)) continue
      this.refusals.add(field)
      this.options.onWarning(`Worker ${field.slice('refused:'.length)} refused this job: ${reason}. Its segments wait for a worker that matches.`)
    }
  }

  private redisIsDown(error: unknown): void {
    const now = Date.now()
    if (this.redisDownSince === undefined) {
      this.redisDownSince = now
      this.options.onWarning(`Redis at ${this.options.target.display} does not answer (${error instanceof Error ? error.message : String(error)}); waiting for it`)
    } else if (now - this.redisDownSince > REDIS_PATIENCE_MS) {
      throw new CoreError('E_REDIS_LOST', 'upscale', `Redis at ${this.options.target.display} has not answered for ${REDIS_PATIENCE_MS / 1000} s; the finished segments stay in the job folder`)
    }
  }

  private redisIsBack(): void {
    if (this.redisDownSince === undefined) return
    this.redisDownSince = undefined
    this.options.onWarning(`Redis at ${this.options.target.display} answers again`)
  }

  /**
   * Ends the job in Redis: on a stop, the job is marked stopped (workers end its segments), the
   * queued segments are removed and the active ones once their workers let go; then nothing of
   * the job stays in Redis.
   */
  async close(): Promise<void> {
    this.pause?.unsubscribe()
    try {
      await this.control.hset(this.key, 'state', 'stopped')
      const deadline = Date.now() + STOP_WAIT_MS
      const ids = this.options.tasks.map((task) => segmentJobId(task.jobId, task.index))
      while (!(await this.removeAll(ids)) && Date.now() < deadline) await sleep(POLL_MS)
      await this.control.del(this.key)
    } catch (error) {
      this.options.onWarning(`Could not clear the job from Redis: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      await this.queue.close().catch(() => undefined)
      this.control.disconnect()
    }
  }

  /** Removes the segments' entries; false while a worker still holds one. */
  private async removeAll(ids: readonly string[]): Promise<boolean> {
    let all = true
    for (const id of ids) {
      const job = await this.jobs.fromId(this.queue, id)
      if (!job) continue
      if ((await job.getState()) === 'active') all = false
      else await job.remove().catch(() => (all = false))
    }
    return all
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}

import { link, rename, rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import type { Job, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { BehaviorSubject } from 'rxjs'
import { LIBRARY_WORDING, createValidators, describeError, type Validators } from '@anime-upscaler/common'
import { CoreError } from '../../errors'
import { sha256File } from '../segments/checksums'
import { bullConnection, checkRedis, parseRedisUrl, redisClient, redisLibraries, type RedisTarget } from './redis'
import { Refusal, localOptions, type WorkerResources } from './local-config'
import { SEGMENT_QUEUE, controlKey, type JobState, type SegmentProgress, type SegmentReport, type SegmentTask } from './protocol'
import { SegmentContexts, type Lease, type PoolChoice } from './segment-contexts'

export interface SegmentWorkerOptions extends WorkerResources {
  /** `redis://host:6379`, `rediss://:password@host:6380/0`. */
  redis: string
  /** Segments this process works on at once (default 1; each has its own decoder and encoder, they share the model workers). */
  concurrency?: number
  /** This machine's model workers, threads and provider (default: from its CPU count). */
  pool?: PoolChoice
  /**
   * Seconds without news from a worker after which its segment is retried elsewhere (BullMQ's lock
   * duration; the lock is renewed at half of it). Default 30.
   */
  stallTimeout?: number
  /** Stops the worker: segments in progress go back to the queue, not failed. */
  signal?: AbortSignal
  onEvent?(event: WorkerEvent): void
}

/** What a worker does, for its display. */
export type WorkerEvent =
  | { type: 'ready'; worker: string; redis: string }
  | { type: 'segment'; jobId: string; index: number; frames: number; input: string }
  | { type: 'segment-done'; jobId: string; index: number; frames: number; seconds: number }
  | { type: 'segment-failed'; jobId: string; index: number; message: string }
  | { type: 'refused'; jobId: string; index: number; reason: string }
  | { type: 'redis-error'; message: string }

/** How often a worker reads the state (pause, stop) of the jobs it works on. */
const CONTROL_POLL_MS = 400
/** Least time between two progress reports of a segment. */
const PROGRESS_EVERY_MS = 500
/** How often a worker tries to reach Redis again when it went away. */
const RECONNECT_MS = 1000
/** How long a refused task waits before any worker takes it again. */
const REFUSED_DELAY_MS = 2000
/** Most segment attempts lost to dead workers before the segment fails (each stall counts). */
export const MAX_STALLS = 2

const check: Validators = createValidators((parts, details) => new CoreError('E_INVALID_ARGUMENT', 'input', parts, details))

/** This process, as the coordinator's display names it. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`
}

/** A segment in progress on this worker: its pause switch and its stop. */
interface ActiveSegment {
  jobId: string
  paused: BehaviorSubject<boolean>
  stop: AbortController
}

/**
 * A worker of the distributed mode: takes segment tasks from the queue in Redis, checks each
 * against its own models and version (refused tasks go back to the queue for other workers, and
 * the coordinator is told why), upscales the segment into the job folder on the shared storage
 * (under a temporary name, put in place without replacing another worker's copy) and reports its
 * checksum. Runs until `signal` aborts; segments in progress then go back to the queue.
 */
export async function runSegmentWorker(options: SegmentWorkerOptions): Promise<void> {
  const { concurrency = 1, stallTimeout = 30 } = options
  check.positiveInteger('concurrency', concurrency)
  check.positiveNumber('stallTimeout', stallTimeout)
  const target = parseRedisUrl(options.redis)
  await checkRedis(target)
  const run = new WorkerRun(target, options, await redisClient(target, { maxRetriesPerRequest: 1, retryStrategy: () => RECONNECT_MS }))
  await run.start(concurrency, stallTimeout * 1000)
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve()
    options.signal?.addEventListener('abort', () => resolve(), { once: true })
  })
  await run.close()
}

class WorkerRun {
  readonly name = workerName()
  private worker?: Worker<SegmentTask, SegmentReport>
  private readonly active = new Map<string, ActiveSegment>()
  private readonly contexts: SegmentContexts
  private poller?: NodeJS.Timeout
  private closing = false
  /** BullMQ's errors that put a job back in the queue (now, or later) without counting an attempt. */
  private handBack: new () => Error = Error
  private delayed: new () => Error = Error
  /** BullMQ's error that fails a job at once, without its other attempts. */
  private unrecoverable: new (message: string) => Error = Error
  /** Jobs this worker cannot make, and why. */
  private readonly refusals = new Map<string, string>()

  constructor(
    private readonly target: RedisTarget,
    private readonly options: SegmentWorkerOptions,
    private readonly control: Redis,
  ) {
    this.control.on('error', () => undefined)
    this.contexts = new SegmentContexts(options.pool ?? {})
  }

  private emit(event: WorkerEvent): void {
    this.options.onEvent?.(event)
  }

  async start(concurrency: number, lockDuration: number): Promise<void> {
    const [bullmq] = await redisLibraries()
    this.handBack = bullmq.WaitingError
    this.delayed = bullmq.DelayedError
    this.unrecoverable = bullmq.UnrecoverableError
    this.worker = new bullmq.Worker<SegmentTask, SegmentReport>(SEGMENT_QUEUE, (job, token) => this.process(job, token), {
      // Reconnects every second (BullMQ's default backs off to 20 s): a Redis restart costs the job little.
      connection: bullConnection(this.target, { maxRetriesPerRequest: null, retryStrategy: () => RECONNECT_MS }),
      concurrency,
      lockDuration,
      stalledInterval: lockDuration,
      maxStalledCount: MAX_STALLS,
      autorun: false,
    })
    this.worker.on('error', (error) => this.emit({ type: 'redis-error', message: error.message }))
    this.worker.on('failed', (job, error) => {
      if (job && error.name !== 'WaitingError' && error.name !== 'DelayedError') this.emit({ type: 'segment-failed', jobId: job.data.jobId, index: job.data.index, message: error.message })
    })
    this.poller = setInterval(() => void this.pollControl(), CONTROL_POLL_MS)
    void this.worker.run()
    await this.worker.waitUntilReady()
    this.emit({ type: 'ready', worker: this.name, redis: this.target.display })
  }

  /** Reads each active job's state: pause holds its decoders, stop (or a job gone) ends its segments. */
  private async pollControl(): Promise<void> {
    for (const jobId of new Set([...this.active.values()].map((a) => a.jobId))) {
      const state = (await this.control.hget(controlKey(jobId), 'state').catch(() => 'unknown')) as JobState | 'unknown' | null
      if (state === 'unknown') continue
      for (const segment of this.active.values()) {
        if (segment.jobId !== jobId) continue
        if (state === null || state === 'stopped') segment.stop.abort(new Error('stopped by its coordinator'))
        else if (segment.paused.value !== (state === 'paused')) segment.paused.next(state === 'paused')
      }
    }
  }

  private async process(job: Job<SegmentTask, SegmentReport>, token: string | undefined): Promise<SegmentReport> {
    const task = job.data
    await this.jobState(task.jobId)
    const lease = await this.lease(task).catch(async (error: unknown) => {
      if (!(error instanceof Refusal)) throw error
      await this.refuse(job, token, error.message)
      throw new this.delayed()
    })
    // Read again once the model is there: loading it can take seconds, and a pause meanwhile holds this segment too.
    const state = await this.jobState(task.jobId).catch((error: unknown) => {
      lease.release()
      throw error
    })
    const segment: ActiveSegment = { jobId: task.jobId, paused: new BehaviorSubject(state === 'paused'), stop: new AbortController() }
    this.active.set(job.id!, segment)
    const range = task.job.segments[task.index]
    this.emit({ type: 'segment', jobId: task.jobId, index: task.index, frames: range.frames, input: task.job.input })
    const started = performance.now()
    try {
      await whileHeld(segment)
      const report = await this.upscale(job, lease, segment)
      this.emit({ type: 'segment-done', jobId: task.jobId, index: task.index, frames: report.frames, seconds: (performance.now() - started) / 1000 })
      return report
    } catch (error) {
      // A worker that is shutting down hands its segments back: that is not a failed attempt.
      if (this.closing) {
        await job.moveToWait(token).catch(() => undefined)
        throw new this.handBack()
      }
      throw error
    } finally {
      lease.release()
      this.active.delete(job.id!)
    }
  }

  /** The job's state; a job stopped or gone is an error (its task is not worked on). */
  private async jobState(jobId: string): Promise<JobState> {
    const state = (await this.control.hget(controlKey(jobId), 'state')) as JobState | null
    // Its coordinator stopped it, or died (the state's lease ran out): other attempts would fail alike.
    if (state === null || state === 'stopped') throw new this.unrecoverable(`The job ${jobId} was stopped or its coordinator is gone`)
    return state
  }

  /** The job's model on this worker; a job this worker cannot make exactly (another version, model or setting) is a Refusal, remembered. */
  private async lease(task: SegmentTask): Promise<Lease> {
    const known = this.refusals.get(task.jobId)
    if (known) throw new Refusal(known)
    try {
      return await this.contexts.acquire(task, localOptions(task.options, this.options))
    } catch (error) {
      const refusal = error instanceof Refusal ? error : error instanceof CoreError && error.code === 'E_JOB_MISMATCH' ? new Refusal(describeError(error, LIBRARY_WORDING)) : undefined
      if (!refusal) throw error
      this.refusals.set(task.jobId, refusal.message)
      throw refusal
    }
  }

  /**
   * Tells the coordinator why (once per job) and puts the task back, a little later: other workers
   * take it meanwhile, and this one does not spin on a job it cannot do.
   */
  private async refuse(job: Job<SegmentTask, SegmentReport>, token: string | undefined, reason: string): Promise<void> {
    const field = `refused:${this.name}`
    const told = await this.control.hexists(controlKey(job.data.jobId), field).catch(() => 0)
    if (!told) {
      this.emit({ type: 'refused', jobId: job.data.jobId, index: job.data.index, reason })
      await this.control.hset(controlKey(job.data.jobId), field, reason).catch(() => undefined)
    }
    await job.moveToDelayed(Date.now() + REFUSED_DELAY_MS, token)
  }

  private async upscale(job: Job<SegmentTask, SegmentReport>, lease: Lease, segment: ActiveSegment): Promise<SegmentReport> {
    const task = job.data
    const frames = task.job.segments[task.index].frames
    const partial = `${task.file.replace(/\.seg$/, '')}.partial-${hostname()}-${process.pid}-${job.attemptsMade}.seg`
    let encoded = 0
    const started = performance.now()
    const report = throttled(PROGRESS_EVERY_MS, () => {
      const progress: SegmentProgress = { worker: this.name, encoded, frames, fps: encoded / ((performance.now() - started) / 1000) }
      void job.updateProgress(progress).catch(() => undefined)
    })
    try {
      const result = await lease.run(task.index, partial, {
        paused: segment.paused,
        signal: segment.stop.signal,
        onEncoded: () => {
          encoded++
          report.request(encoded === frames)
        },
      })
      return { ...(await placeSegment(partial, task.file, result)), worker: this.name }
    } finally {
      report.cancel()
      await rm(partial, { force: true })
    }
  }

  /** Stops taking tasks, hands the segments in progress back to the queue, and closes everything. */
  async close(): Promise<void> {
    this.closing = true
    clearInterval(this.poller)
    for (const segment of this.active.values()) segment.stop.abort(new Error('the worker is stopping'))
    await this.worker?.close()
    await this.contexts.close()
    this.control.disconnect()
  }
}

/**
 * Calls `send` at most once per `everyMs`; a request in between is sent at the end of the interval,
 * so the last count always goes out (a paused segment's coordinator sees where it really stopped).
 */
function throttled(everyMs: number, send: () => void): { request(now: boolean): void; cancel(): void } {
  let last = -Infinity
  let timer: NodeJS.Timeout | undefined
  const fire = () => {
    timer = undefined
    last = performance.now()
    send()
  }
  return {
    request(now) {
      const wait = last + everyMs - performance.now()
      if (now || wait <= 0) {
        clearTimeout(timer)
        fire()
      } else timer ??= setTimeout(fire, wait)
    },
    cancel: () => clearTimeout(timer),
  }
}

/** A segment taken while its job is paused starts once it resumes (or ends at a stop): no decoder runs meanwhile. */
function whileHeld({ paused, stop }: ActiveSegment): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      subscription.unsubscribe()
      stop.signal.removeEventListener('abort', done)
      resolve()
    }
    const subscription = paused.subscribe((held) => {
      if (!held) queueMicrotask(done)
    })
    stop.signal.addEventListener('abort', done, { once: true })
  })
}

/**
 * Puts a finished segment in place without replacing one that is there: a hard link fails when the
 * name exists, so of two workers that made the same segment (one was thought dead), the first one
 * stays and both report its checksum. A share without hard links gets a rename (the last copy stays).
 */
async function placeSegment(partial: string, file: string, result: Omit<SegmentReport, 'worker'>): Promise<Omit<SegmentReport, 'worker'>> {
  try {
    await link(partial, file)
    return result
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
      await rename(partial, file)
      return result
    }
    if (code !== 'EEXIST') throw error
    const [sha256, { size }] = await Promise.all([sha256File(file), stat(file)])
    return { ...result, sha256, bytes: size }
  }
}

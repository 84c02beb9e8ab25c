import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { EngineImage, EngineOptions, UpscaleTiming, UpscaledImage } from './engine'
import { message, optionName } from '@anime-upscaler/common'
import { UpscaleError, assertPositiveInteger } from './errors'
import type { ModelInfo } from './session'
import { validateTarget, type TargetSize } from './target'
import { deserializeError, type WorkerReply, type WorkerRequest } from './worker-protocol'
import { assertYuvColor, type Yuv420Image, type YuvColor } from './yuv'

export interface UpscalerOptions extends EngineOptions {
  /** Worker threads, each with its own onnxruntime session. Default: see `defaultLayout`. */
  workers?: number
}

/** A pool of model sessions in worker threads: `upscale` calls run in parallel up to `workers`. */
export interface Upscaler {
  readonly info: ModelInfo
  readonly workers: number
  readonly threads: number
  upscale(image: EngineImage, target?: TargetSize): Promise<EngineImage>
  /** Upscales RGB by the model's scale straight to Y'CbCr 4:2:0 (see `UpscaleEngine.upscaleToYuv420`); needs `info.yuv420`. */
  upscaleToYuv420(image: EngineImage, color: YuvColor): Promise<Yuv420Image>
  /** Time spent by the workers so far, summed over every finished image. */
  readonly timing: Readonly<UpscaleTiming>
  /**
   * Fails every image not returned yet and ends the workers. Resolves once the idle workers have
   * ended; a model call in progress is not waited for (onnxruntime cannot interrupt it): its result
   * is dropped and its thread ends right after it, in the background (`activeModelCalls()`).
   */
  close(): Promise<void>
}

/**
 * Workers and intra-op threads per worker for `cores` cores. A second intra-op thread speeds these
 * small-channel nets up far less than a second session does (docs/speed.md: on 2 cores, 2 x 1 gives
 * 1.1-1.4x the frames/s of 1 x 2), so cores go to workers first, up to 4.
 */
export function defaultLayout(cores = availableParallelism()): { workers: number; threads: number } {
  const workers = Math.max(1, Math.min(cores, 4))
  return { workers, threads: Math.max(1, Math.floor(cores / workers)) }
}

/**
 * Most onnxruntime threads per core: beyond this the threads only fight over the cores, and a
 * machine given thousands of them stalls (and cannot honour a stop in time).
 */
export const MAX_THREADS_PER_CORE = 4

/** Refuses worker and thread counts far beyond the machine, naming the limit. */
function checkThreadBudget(workers: number, threads: number, given: { workers?: number; threads?: number }, cores = availableParallelism()): void {
  const limit = MAX_THREADS_PER_CORE * cores
  if (workers * threads <= limit) return
  const option = workers <= limit && given.threads !== undefined ? 'threads' : 'workers'
  throw new UpscaleError(
    'E_INVALID_ARGUMENT',
    message`Expected at most ${limit} model threads in all (${MAX_THREADS_PER_CORE} per core on this ${cores}-core machine) but ${optionName('workers')} ${workers} × ${optionName('threads')} ${threads} make ${workers * threads}`,
    { option, value: option === 'threads' ? threads : workers, expected: `workers × threads ≤ ${limit}`, hint: 'more threads than cores only slow each other down' },
  )
}

/** Model calls in progress in this process, in every pool. */
let callsInProgress = 0

/**
 * How many images the workers of every pool in this process are upscaling right now, including
 * the calls a closed pool lets finish. A process must not `process.exit()` while it is above 0:
 * onnxruntime aborts the whole process when a worker is torn down inside a call (a process that
 * ends on its own waits for them: their threads keep it alive).
 */
export function activeModelCalls(): number {
  return callsInProgress
}

/** How long a closing worker may take to finish its current call before it is terminated. */
const CLOSE_TIMEOUT_MS = 30_000

interface Job {
  id: number
  image: EngineImage
  target: TargetSize
  yuv420?: YuvColor
  resolve(image: UpscaledImage): void
  reject(error: Error): void
}

interface PoolWorker {
  thread: Worker
  job?: Job
  /** A call is running in the worker (even when its job was already failed by a close). */
  busy: boolean
  exited: boolean
}

function workerScript(): string {
  // From the build, the worker sits beside this file; from sources (tests), it is the built one.
  const candidates = [join(__dirname, 'upscale-worker.js'), join(__dirname, '..', 'dist', 'upscale-worker.js')]
  const found = candidates.find((file) => existsSync(file))
  if (!found) throw new UpscaleError('E_WORKER', `stage-upscale's worker script is missing (looked for ${candidates.join(', ')}); build the package first`)
  return found
}

/** Starts the worker pool and loads the model in every worker. */
export async function createUpscaler(options: UpscalerOptions = {}): Promise<Upscaler> {
  if (options.workers !== undefined) assertPositiveInteger('workers', options.workers)
  if (options.threads !== undefined) assertPositiveInteger('threads', options.threads)
  const layout = defaultLayout()
  const workers = options.workers ?? layout.workers
  const threads = options.threads ?? (options.workers === undefined ? layout.threads : Math.max(1, Math.floor(availableParallelism() / workers)))
  checkThreadBudget(workers, threads, options)
  // onnxruntime's Linux build records telemetry (a `.ses` file and `mat-debug-<pid>.log` left in the
  // temp folder, uploads when it can). Off unless the user set the variable; set here, on the thread
  // that owns the process environment, before any worker creates a session.
  process.env.ORT_DISABLE_TELEMETRY ??= '1'
  const { onWarning, workers: _workers, ...engineOptions } = options
  const pool = new WorkerPool(workers, threads, onWarning)
  await pool.start(workerScript(), { ...engineOptions, threads })
  return pool
}

/** Worker threads, each with one model session, fed from one queue: one image per worker at a time. */
class WorkerPool implements Upscaler {
  info!: ModelInfo
  readonly timing: UpscaleTiming = { inferenceMs: 0, totalMs: 0 }
  private readonly pool: PoolWorker[] = []
  private readonly queue: Job[] = []
  private nextId = 0
  private failure?: UpscaleError
  private closed = false
  private closing?: Promise<void>
  /** Warnings already told: every worker meets the same condition. */
  private readonly warned = new Set<string>()

  constructor(
    readonly workers: number,
    readonly threads: number,
    private readonly onWarning?: (message: string) => void,
  ) {}

  /** Starts every worker and waits for their models; a failure closes those that started. */
  async start(script: string, workerData: EngineOptions): Promise<void> {
    const ready = Array.from({ length: this.workers }, () => this.spawn(script, workerData))
    try {
      this.info = (await Promise.all(ready))[0]
    } catch (error) {
      await this.terminate()
      throw error
    }
  }

  private spawn(script: string, workerData: EngineOptions): Promise<ModelInfo> {
    const worker: PoolWorker = { thread: new Worker(script, { workerData }), busy: false, exited: false }
    this.pool.push(worker)
    return new Promise<ModelInfo>((resolve, reject) => {
      worker.thread.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          resolve(reply.info)
          this.dispatch()
        } else if (reply.type === 'init-failed') reject(deserializeError(reply.error))
        else if (reply.type === 'warning') this.warn(reply.message)
        else this.settle(worker, reply)
      })
      worker.thread.on('error', (error) => {
        const wrapped = new UpscaleError('E_WORKER', `An upscale worker crashed: ${error.message}`, { cause: error })
        reject(wrapped)
        this.fail(wrapped)
      })
      worker.thread.on('exit', (code) => {
        worker.exited = true
        this.idle(worker)
        if (!this.closed) this.fail(new UpscaleError('E_WORKER', `An upscale worker exited unexpectedly (code ${code})`))
      })
    })
  }

  private warn(message: string): void {
    if (!this.warned.has(message)) this.onWarning?.(message)
    this.warned.add(message)
  }

  /** The worker has no call in progress any more. */
  private idle(worker: PoolWorker): void {
    if (worker.busy) callsInProgress--
    worker.busy = false
  }

  /** A worker's answer: its job settles (unless a close already failed it) and the next job goes out. */
  private settle(worker: PoolWorker, reply: Extract<WorkerReply, { type: 'result' | 'failed' }>): void {
    const job = worker.job
    this.idle(worker)
    worker.job = undefined
    if (job && job.id === reply.id) {
      if (reply.type === 'result') {
        this.timing.inferenceMs += reply.timing.inferenceMs
        this.timing.totalMs += reply.timing.totalMs
        job.resolve(reply.image)
      } else job.reject(deserializeError(reply.error))
    }
    this.dispatch()
  }

  private dispatch(): void {
    for (const worker of this.pool) {
      if (worker.busy || this.queue.length === 0) continue
      const job = this.queue.shift()!
      worker.job = job
      worker.busy = true
      callsInProgress++
      worker.thread.postMessage({ type: 'upscale', id: job.id, image: job.image, target: job.target, yuv420: job.yuv420 } satisfies WorkerRequest)
    }
  }

  private fail(error: UpscaleError): void {
    this.failure ??= error
    for (const worker of this.pool) {
      worker.job?.reject(error)
      worker.job = undefined
    }
    for (const job of this.queue.splice(0)) job.reject(error)
  }

  /**
   * Every worker ends after its current call, releasing its session; only the unresponsive are
   * terminated. Waits for the idle ones: a stop must not wait for a call whose result nobody wants.
   */
  private async terminate(): Promise<void> {
    this.closed = true
    const ending = this.pool.filter((worker) => !worker.exited).map((worker) => ({ idle: !worker.busy, ended: this.end(worker) }))
    await Promise.all(ending.filter(({ idle }) => idle).map(({ ended }) => ended))
  }

  private end(worker: PoolWorker): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.thread.terminate(), CLOSE_TIMEOUT_MS)
      worker.thread.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      worker.thread.postMessage({ type: 'close' } satisfies WorkerRequest)
    })
  }

  /** Queues one image once its request is valid; `validate` throws what is wrong with it. */
  private submit<T extends UpscaledImage>(image: EngineImage, request: Pick<Job, 'target' | 'yuv420'>, validate: () => void): Promise<T> {
    if (this.closed) return Promise.reject(new UpscaleError('E_CLOSED', 'This upscaler is closed; create a new one'))
    if (this.failure) return Promise.reject(this.failure)
    try {
      validate()
    } catch (error) {
      return Promise.reject(error)
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, image, ...request, resolve: (result) => resolve(result as T), reject })
      this.dispatch()
    })
  }

  upscale(image: EngineImage, target: TargetSize = {}): Promise<EngineImage> {
    return this.submit<EngineImage>(image, { target }, () => validateTarget(target))
  }

  upscaleToYuv420(image: EngineImage, color: YuvColor): Promise<Yuv420Image> {
    return this.submit<Yuv420Image>(image, { target: {}, yuv420: color }, () => assertYuvColor('color', color))
  }

  /** Fails what waits and ends the workers; resolves once the idle ones have ended (the same promise for every caller). */
  close(): Promise<void> {
    if (!this.closing) {
      this.fail(new UpscaleError('E_CLOSED', 'The upscaler was closed before this image was done'))
      this.closing = this.terminate()
    }
    return this.closing
  }
}

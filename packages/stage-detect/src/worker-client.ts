import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { EngineVerdict } from './engine'
import { DetectError } from './errors'
import type { EngineSettings } from './options'
import type { DetectImage } from './types'
import type { WorkerReply, WorkerRequest } from './worker-protocol'

export function workerScript(): string {
  // From the build, the worker sits beside this file; from sources (tests), it is the built one.
  const candidates = [join(__dirname, 'detect-worker.js'), join(__dirname, '..', 'dist', 'detect-worker.js')]
  const found = candidates.find((file) => existsSync(file))
  if (!found) throw new DetectError('E_WORKER', `stage-detect's worker script is missing (looked for ${candidates.join(', ')}); build the package first`)
  return found
}

export interface WorkerCallbacks {
  /** Verdicts arrive in submission order. */
  verdict(verdict: EngineVerdict): void
  error(error: DetectError): void
}

/**
 * One worker thread running one built-in detector for one stream. Frames are copied into pooled
 * buffers that travel to the worker and back (transferred, not cloned), so a frame costs one memcpy
 * on the calling thread and no allocation once the pool is warm.
 */
export class DetectWorker {
  private readonly thread: Worker
  private readonly pool: ArrayBuffer[] = []
  private seq = 0
  private expected = 0
  private closed = false

  constructor(
    settings: EngineSettings,
    private readonly name: string,
    private readonly callbacks: WorkerCallbacks,
  ) {
    this.thread = new Worker(workerScript(), { workerData: settings })
    this.thread.on('message', (reply: WorkerReply) => this.onReply(reply))
    this.thread.on('error', (error) => this.fail(new DetectError('E_WORKER', `The '${name}' detector's worker thread crashed: ${error.message}`, { cause: error, detector: name })))
    this.thread.on('exit', (code) => this.fail(new DetectError('E_WORKER', `The '${name}' detector's worker thread exited unexpectedly (code ${code})`, { detector: name })))
  }

  /** Frames submitted whose verdict has not arrived yet. */
  get inFlight(): number {
    return this.seq - this.expected
  }

  submit(image: DetectImage): void {
    const source = image.data
    const bytes = source.byteLength
    let buffer = this.pool.pop()
    if (!buffer || buffer.byteLength < bytes) buffer = new ArrayBuffer(bytes)
    new Uint8Array(buffer, 0, bytes).set(new Uint8Array(source.buffer, source.byteOffset, bytes))
    const request: WorkerRequest = {
      type: 'frame',
      seq: this.seq++,
      width: image.width,
      height: image.height,
      bytesPerSample: source.BYTES_PER_ELEMENT as 1 | 2,
      length: source.length,
      buffer,
    }
    this.thread.postMessage(request, [buffer])
  }

  private onReply(reply: WorkerReply): void {
    if (this.closed) return
    if (this.pool.length < 8) this.pool.push(reply.buffer)
    if (reply.seq !== this.expected) {
      this.fail(new DetectError('E_WORKER', `The '${this.name}' detector's worker answered frame ${reply.seq} when ${this.expected} was next`, { detector: this.name }))
      return
    }
    this.expected++
    if (reply.type === 'failed') this.fail(new DetectError('E_WORKER', `The '${this.name}' detector failed: ${reply.message}`, { detector: this.name }))
    else this.callbacks.verdict(reply.verdict)
  }

  private fail(error: DetectError): void {
    if (this.closed) return
    this.close()
    this.callbacks.error(error)
  }

  /** Stops the thread; pending verdicts are dropped. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.pool.length = 0
    void this.thread.terminate()
  }
}

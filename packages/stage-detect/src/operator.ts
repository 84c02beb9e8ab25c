import { Observable, Subject, defer, from, switchMap, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs'
import { DetectEngine } from './engine'
import { DetectError, describeValue, errorMessage } from './errors'
import { loadDetector } from './load'
import { normalizeDetector, resolveOptions, type EngineSettings, type NormalizedDetector } from './options'
import type { DetectFrame, DetectOptions, Detection } from './types'
import { DetectWorker } from './worker-client'

/**
 * Marks frames that repeat the last kept frame, so later stages can skip them. Every frame comes
 * out, in input order, as the same frame with `duplicateOf` set to the index of the last kept frame
 * it repeats, or without `duplicateOf` when it is kept (unique). The first frame is always kept.
 *
 * Frames must arrive in increasing `index` order: put this operator before anything that reorders
 * frames (such as stage-upscale's `upscale`). A frame out of order fails the stream with
 * `E_FRAME_ORDER`. Invalid options throw right away (`E_INVALID_ARGUMENT`); everything else arrives
 * as a `DetectError` on the stream.
 *
 * The built-in detectors run in a worker thread (one per subscription) with up to `concurrency`
 * frames handed over ahead; custom detectors run where their code runs. A detector given as a module
 * path is loaded when the stream is subscribed, and the source is subscribed once it has loaded.
 */
export function detectDuplicates<F extends DetectFrame>(options: DetectOptions<F> = {}): OperatorFunction<F, F & Detection> {
  const { choice, maxRun } = resolveOptions<F>(options)
  switch (choice.type) {
    case 'off':
      return (source) => run(source, (subscriber) => new OffRunner(subscriber))
    case 'builtin': {
      const name = choice.settings.kind
      if (!choice.worker) return (source) => run(source, (subscriber) => new InlineRunner(subscriber, choice.settings))
      return (source) => run(source, (subscriber) => new WorkerRunner(subscriber, choice.settings, name, choice.concurrency))
    }
    case 'custom':
      return (source) => runCustom(source, choice.detector, maxRun)
    case 'module':
      return (source) =>
        defer(() => from(loadDetector<F>(choice.path))).pipe(
          switchMap((loaded) => runCustom(source, normalizeDetector<F>(loaded, choice.path)!, maxRun)),
        )
  }
}

function runCustom<F extends DetectFrame>(source: Observable<F>, detector: NormalizedDetector<F>, maxRun: number): Observable<F & Detection> {
  if (detector.kind === 'operator') return run(source, (subscriber) => new OperatorRunner(subscriber, detector.name, detector.detector.operator, maxRun))
  return run(source, (subscriber) => new CompareRunner(subscriber, detector.name, detector.detector, maxRun))
}

/** What each way of detecting implements; `run` wires it to the source. */
interface Runner<F extends DetectFrame> {
  push(frame: F): void
  end(): void
  /** Stops everything (error, unsubscribe); idempotent. */
  dispose(): void
}

function run<F extends DetectFrame>(source: Observable<F>, create: (subscriber: Subscriber<F & Detection>) => Runner<F>): Observable<F & Detection> {
  return new Observable<F & Detection>((subscriber) => {
    let runner: Runner<F>
    try {
      runner = create(subscriber)
    } catch (error) {
      subscriber.error(error)
      return
    }
    const subscription: Subscription = source.subscribe({
      next: (frame) => runner.push(frame),
      error: (error: unknown) => subscriber.error(error),
      complete: () => runner.end(),
    })
    return () => {
      subscription.unsubscribe()
      runner.dispose()
    }
  })
}

/** Marks a frame: a copy with `duplicateOf`, or the frame itself (without a stale `duplicateOf`). */
function mark<F extends DetectFrame>(frame: F, duplicateOf: number | undefined): F & Detection {
  if (duplicateOf !== undefined) return { ...frame, duplicateOf }
  if ((frame as Detection).duplicateOf === undefined) return frame
  const { duplicateOf: _stale, ...rest } = frame as F & Detection
  return rest as F & Detection
}

const TYPED = new Set(['[object Uint8Array]', '[object Uint8ClampedArray]', '[object Uint16Array]'])

/** Shared bookkeeping: index order, frame checks, and which frame was kept last. */
abstract class BaseRunner<F extends DetectFrame> implements Runner<F> {
  protected lastIndex = -Infinity
  protected lastKept: F | undefined
  protected run = 0
  protected done = false
  protected ended = false

  constructor(protected readonly subscriber: Subscriber<F & Detection>) {}

  abstract push(frame: F): void
  abstract end(): void

  dispose(): void {
    this.done = true
  }

  protected fail(error: unknown): void {
    if (this.done) return
    this.dispose()
    this.subscriber.error(error)
  }

  /** Checks the index (and, for built-in detectors, the image); fails the stream and returns false if wrong. */
  protected accept(frame: F, checkImage: boolean): boolean {
    if (this.done) return false
    try {
      if (frame === null || typeof frame !== 'object') throw new DetectError('E_INVALID_FRAME', `Expected a frame object but received ${describeValue(frame)}`)
      const { index } = frame
      if (typeof index !== 'number' || !Number.isInteger(index)) throw new DetectError('E_INVALID_FRAME', `Expected integer for index but received ${describeValue(index)}`)
      if (index <= this.lastIndex) {
        throw new DetectError(
          'E_FRAME_ORDER',
          `Frame ${index} arrived after frame ${this.lastIndex}: detectDuplicates needs frames in increasing index order (place it before any operator that reorders frames)`,
        )
      }
      if (checkImage) checkFrameImage(frame)
      this.lastIndex = index
      return true
    } catch (error) {
      this.fail(error)
      return false
    }
  }

  /** Emits a frame with the verdict; returns false once the stream is over. */
  protected settle(frame: F, duplicate: boolean): void {
    if (this.done) return
    if (duplicate && this.lastKept !== undefined) {
      this.run++
      this.subscriber.next(mark(frame, this.lastKept.index))
    } else {
      this.run = 0
      this.lastKept = frame
      this.subscriber.next(mark(frame, undefined))
    }
  }

  protected finish(): void {
    if (this.done) return
    this.dispose()
    this.subscriber.complete()
  }
}

function checkFrameImage(frame: DetectFrame): void {
  const image = frame.image
  const where = `Frame ${frame.index}`
  if (image === null || typeof image !== 'object') throw new DetectError('E_INVALID_FRAME', `${where}: expected an image object but received ${describeValue(image)}`)
  const { data, width, height, channels } = image
  if (!TYPED.has(Object.prototype.toString.call(data))) throw new DetectError('E_INVALID_FRAME', `${where}: expected Uint8Array or Uint16Array for image.data but received ${describeValue(data)}`)
  if (typeof width !== 'number' || !Number.isInteger(width) || width <= 0) throw new DetectError('E_INVALID_FRAME', `${where}: expected positive integer for image.width but received ${describeValue(width)}`)
  if (typeof height !== 'number' || !Number.isInteger(height) || height <= 0) throw new DetectError('E_INVALID_FRAME', `${where}: expected positive integer for image.height but received ${describeValue(height)}`)
  if (channels !== 3) throw new DetectError('E_INVALID_FRAME', `${where}: expected 3 for image.channels (interleaved RGB) but received ${describeValue(channels)}`)
  if (data.length !== width * height * 3) {
    throw new DetectError('E_INVALID_FRAME', `${where}: image.data has ${data.length} samples, but ${width}x${height} RGB needs ${width * height * 3}`)
  }
}

/** `off`: every frame is kept. */
class OffRunner<F extends DetectFrame> extends BaseRunner<F> {
  push(frame: F): void {
    if (this.accept(frame, false)) this.settle(frame, false)
  }
  end(): void {
    this.finish()
  }
}

/** A built-in detector on the calling thread: synchronous. */
class InlineRunner<F extends DetectFrame> extends BaseRunner<F> {
  private readonly engine: DetectEngine

  constructor(subscriber: Subscriber<F & Detection>, private readonly settings: EngineSettings) {
    super(subscriber)
    this.engine = new DetectEngine(settings)
  }

  push(frame: F): void {
    if (!this.accept(frame, true)) return
    let duplicate: boolean
    try {
      duplicate = this.engine.next(frame.image.data, frame.image.width, frame.image.height)
    } catch (error) {
      this.fail(new DetectError('E_WORKER', `The '${this.settings.kind}' detector failed on frame ${frame.index}: ${errorMessage(error)}`, { cause: error, detector: this.settings.kind }))
      return
    }
    this.settle(frame, duplicate)
  }

  end(): void {
    this.finish()
  }
}

/** A built-in detector in a worker thread: frames are handed over ahead, verdicts come back in order. */
class WorkerRunner<F extends DetectFrame> extends BaseRunner<F> {
  private readonly worker: DetectWorker
  /** Frames waiting for their verdict, in order; the first `submitted` are with the worker. */
  private readonly pending: F[] = []
  private submitted = 0

  constructor(
    subscriber: Subscriber<F & Detection>,
    settings: EngineSettings,
    name: string,
    private readonly concurrency: number,
  ) {
    super(subscriber)
    this.worker = new DetectWorker(settings, name, {
      verdict: (duplicate) => {
        const frame = this.pending.shift()!
        this.submitted--
        this.settle(frame, duplicate)
        this.pump()
        if (this.ended && this.pending.length === 0) this.finish()
      },
      error: (error) => this.fail(error),
    })
  }

  private pump(): void {
    while (!this.done && this.submitted < this.pending.length && this.submitted < this.concurrency) {
      this.worker.submit(this.pending[this.submitted].image)
      this.submitted++
    }
  }

  push(frame: F): void {
    if (!this.accept(frame, true)) return
    this.pending.push(frame)
    this.pump()
  }

  end(): void {
    this.ended = true
    if (this.pending.length === 0) this.finish()
  }

  override dispose(): void {
    super.dispose()
    this.worker.close()
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function'
}

/**
 * A custom compare detector: one comparison at a time (each depends on the verdicts before it).
 * Synchronous answers are handled synchronously; promises are awaited.
 */
class CompareRunner<F extends DetectFrame> extends BaseRunner<F> {
  private readonly queue: F[] = []
  private busy = false
  private closed = false

  constructor(
    subscriber: Subscriber<F & Detection>,
    private readonly name: string,
    private readonly detector: { init?(): unknown; compare(previousKept: F, current: F): unknown; close?(): unknown },
    private readonly maxRun: number,
  ) {
    super(subscriber)
    if (detector.init) {
      let started: unknown
      try {
        started = detector.init()
      } catch (error) {
        throw this.detectorError('init', error)
      }
      if (isPromiseLike(started)) {
        this.busy = true
        started.then(
          () => {
            this.busy = false
            this.drain()
          },
          (error: unknown) => this.fail(this.detectorError('init', error)),
        )
      }
    }
  }

  private detectorError(where: string, error: unknown): DetectError {
    return new DetectError('E_DETECTOR', `Detector '${this.name}' threw in ${where}: ${errorMessage(error)}`, { cause: error, detector: this.name })
  }

  private verdictError(frame: F, value: unknown): DetectError {
    return new DetectError(
      'E_DETECTOR_INVALID',
      `Detector '${this.name}' answered ${describeValue(value)} for frame ${frame.index}: compare must return true or false (or a promise of one)`,
      { detector: this.name },
    )
  }

  push(frame: F): void {
    if (!this.accept(frame, false)) return
    this.queue.push(frame)
    this.drain()
  }

  end(): void {
    this.ended = true
    this.drain()
  }

  private drain(): void {
    if (this.busy || this.done) return
    this.busy = true
    while (this.queue.length > 0 && !this.done) {
      const frame = this.queue[0]
      const previous = this.lastKept
      if (previous === undefined || this.run >= this.maxRun) {
        this.queue.shift()
        this.settle(frame, false)
        continue
      }
      let verdict: unknown
      try {
        verdict = this.detector.compare(previous, frame)
      } catch (error) {
        this.fail(this.detectorError(`compare (frame ${frame.index})`, error))
        return
      }
      if (isPromiseLike(verdict)) {
        verdict.then(
          (value) => {
            if (this.done) return
            if (typeof value !== 'boolean') return this.fail(this.verdictError(frame, value))
            this.queue.shift()
            this.settle(frame, value)
            this.busy = false
            this.drain()
          },
          (error: unknown) => this.fail(this.detectorError(`compare (frame ${frame.index})`, error)),
        )
        return
      }
      if (typeof verdict !== 'boolean') return this.fail(this.verdictError(frame, verdict))
      this.queue.shift()
      this.settle(frame, verdict)
    }
    this.busy = false
    if (this.ended && this.queue.length === 0) this.complete()
  }

  /** Closes the detector, then completes (or fails if close throws). */
  private complete(): void {
    if (this.done) return
    let closing: unknown
    try {
      closing = this.close()
    } catch (error) {
      return this.fail(this.detectorError('close', error))
    }
    if (isPromiseLike(closing)) {
      this.busy = true
      closing.then(
        () => this.finish(),
        (error: unknown) => this.fail(this.detectorError('close', error)),
      )
    } else this.finish()
  }

  private close(): unknown {
    if (this.closed) return undefined
    this.closed = true
    return this.detector.close?.()
  }

  override dispose(): void {
    super.dispose()
    if (this.closed) return
    // Teardown after an error or unsubscribe: close quietly, there is nobody left to tell.
    try {
      const closing = this.close()
      if (isPromiseLike(closing)) closing.then(undefined, () => undefined)
    } catch {
      // ignored: the stream is already over
    }
  }
}

/**
 * A custom operator detector: frames go in through a Subject, one boolean per frame comes out, in
 * order. `maxRun` is applied on top: a frame the operator calls a repeat is kept anyway after
 * `maxRun` repeats in a row.
 */
class OperatorRunner<F extends DetectFrame> extends BaseRunner<F> {
  private readonly frames = new Subject<F>()
  private readonly pending: F[] = []
  private readonly verdicts: Subscription

  constructor(
    subscriber: Subscriber<F & Detection>,
    private readonly name: string,
    operator: OperatorFunction<F, boolean>,
    private readonly maxRun: number,
  ) {
    super(subscriber)
    let output: Observable<boolean>
    try {
      output = operator(this.frames.asObservable())
      if (!output || typeof output.subscribe !== 'function') throw new DetectError('E_DETECTOR_INVALID', `Detector '${name}': its operator returned ${describeValue(output)}, not an Observable`, { detector: name })
    } catch (error) {
      if (error instanceof DetectError) throw error
      throw new DetectError('E_DETECTOR', `Detector '${name}' threw when its operator was applied: ${errorMessage(error)}`, { cause: error, detector: name })
    }
    this.verdicts = output.subscribe({
      next: (verdict) => this.onVerdict(verdict),
      error: (error: unknown) => this.fail(new DetectError('E_DETECTOR', `Detector '${name}' failed: ${errorMessage(error)}`, { cause: error, detector: name })),
      complete: () => {
        if (this.done) return
        if (this.pending.length > 0 || !this.ended) {
          const next = this.pending[0]
          this.fail(
            new DetectError(
              'E_DETECTOR_INVALID',
              `Detector '${name}' completed without a verdict for ${next ? `frame ${next.index}` : 'the frames still to come'}: its operator must emit one boolean per frame`,
              { detector: name },
            ),
          )
        }
      },
    })
  }

  private onVerdict(verdict: unknown): void {
    if (this.done) return
    const frame = this.pending.shift()
    if (!frame) {
      return this.fail(new DetectError('E_DETECTOR_INVALID', `Detector '${this.name}' emitted a verdict with no frame waiting for one: its operator must emit exactly one boolean per frame`, { detector: this.name }))
    }
    if (typeof verdict !== 'boolean') {
      return this.fail(new DetectError('E_DETECTOR_INVALID', `Detector '${this.name}' emitted ${describeValue(verdict)} for frame ${frame.index}: its operator must emit true or false per frame`, { detector: this.name }))
    }
    this.settle(frame, verdict && this.run < this.maxRun)
    if (this.ended && this.pending.length === 0) this.finish()
  }

  push(frame: F): void {
    if (!this.accept(frame, false)) return
    this.pending.push(frame)
    this.frames.next(frame)
  }

  end(): void {
    this.ended = true
    if (this.pending.length === 0) this.finish()
    else this.frames.complete()
  }

  override dispose(): void {
    super.dispose()
    this.verdicts?.unsubscribe()
    this.frames.complete()
  }
}

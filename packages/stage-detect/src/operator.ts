import { Observable, Subject, defer, from, switchMap, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs'
import { DetectEngine } from './engine'
import { DetectError, describeValue, errorMessage } from './errors'
import { loadDetector } from './load'
import type { EngineVerdict } from './engine'
import { normalizeDetector, resolveOptions, type EngineSettings, type NormalizedDetector } from './options'
import type { TileChanges } from './tiles'
import type { DetectFrame, DetectOptions, Detection, Verdict } from './types'
import { InlineTiles, readVerdict, type Decision, type Held, type VerdictContext } from './verdict'
import { DetectWorker } from './worker-client'

/**
 * Marks frames that repeat a recent kept frame, so later stages can skip them. Every frame comes
 * out, in input order, as the same frame with `duplicateOf` set to the index of the kept frame it
 * repeats (one of the last `references`), or without `duplicateOf` when it is kept (unique). The
 * first frame is always kept. With `tiles`, kept frames carry `changedTiles` (a shallow copy).
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
  const { choice, settings } = resolveOptions<F>(options)
  switch (choice.type) {
    case 'off':
      return (source) => run(source, (subscriber) => new OffRunner(subscriber, settings.references))
    case 'builtin': {
      const name = choice.settings.kind
      if (!choice.worker) return (source) => run(source, (subscriber) => new InlineRunner(subscriber, choice.settings))
      return (source) => run(source, (subscriber) => new WorkerRunner(subscriber, choice.settings, name, choice.concurrency))
    }
    case 'custom':
      return (source) => runCustom(source, choice.detector, settings)
    case 'module':
      return (source) =>
        defer(() => from(loadDetector<F>(choice.path))).pipe(
          switchMap((loaded) => runCustom(source, normalizeDetector<F>(loaded, choice.path)!, settings)),
        )
  }
}

function runCustom<F extends DetectFrame>(source: Observable<F>, detector: NormalizedDetector<F>, settings: EngineSettings): Observable<F & Detection> {
  const custom = { name: detector.name, settings }
  if (detector.kind === 'operator') return run(source, (subscriber) => new OperatorRunner(subscriber, custom, detector.detector.operator))
  return run(source, (subscriber) => new CompareRunner(subscriber, custom, detector.detector))
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

/**
 * Marks a frame: a copy with `duplicateOf`, a copy with `changedTiles`, or the frame itself (marks
 * left from an earlier pass are removed).
 */
function mark<F extends DetectFrame>(frame: F, duplicateOf: number | undefined, changedTiles: TileChanges | undefined): F & Detection {
  const { duplicateOf: staleDuplicate, changedTiles: staleTiles, ...rest } = frame as F & Detection
  if (duplicateOf !== undefined) return { ...rest, duplicateOf } as F & Detection
  if (changedTiles) return { ...rest, changedTiles } as F & Detection
  return staleDuplicate === undefined && staleTiles === undefined ? frame : (rest as F & Detection)
}

const TYPED = new Set(['[object Uint8Array]', '[object Uint8ClampedArray]', '[object Uint16Array]'])

/** Shared bookkeeping: index order, frame checks, and which frames were kept last. */
abstract class BaseRunner<F extends DetectFrame> implements Runner<F> {
  protected lastIndex = -Infinity
  /** The last `references` kept frames, most recent first. */
  protected readonly held: Held<F>[] = []
  protected run = 0
  protected done = false
  protected ended = false

  constructor(
    protected readonly subscriber: Subscriber<F & Detection>,
    protected readonly references: number,
    /** Custom detectors are given the held frames; built-in ones need only their indices. */
    private readonly holdFrames = false,
  ) {}

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

  /** Emits a duplicate of the held kept frame `repeats`. */
  protected settleDuplicate(frame: F, repeats: Held<F>): void {
    if (this.done) return
    this.run++
    this.subscriber.next(mark(frame, repeats.index, undefined))
  }

  /** Emits a kept frame, which becomes the most recent reference. */
  protected settleKept(frame: F, changedTiles?: TileChanges): void {
    if (this.done) return
    this.run = 0
    this.held.unshift(this.holdFrames ? { index: frame.index, frame } : { index: frame.index })
    if (this.held.length > this.references) this.held.pop()
    this.subscriber.next(mark(frame, undefined, changedTiles))
  }

  /** Emits a frame with a built-in engine's verdict (whose references are the held frames, in the same order). */
  protected settleEngine(frame: F, verdict: EngineVerdict): void {
    if (verdict.age >= 0) this.settleDuplicate(frame, this.held[verdict.age])
    else this.settleKept(frame, verdict.changes)
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
    if (this.accept(frame, false)) this.settleKept(frame)
  }
  end(): void {
    this.finish()
  }
}

/** A built-in detector on the calling thread: synchronous. */
class InlineRunner<F extends DetectFrame> extends BaseRunner<F> {
  private readonly engine: DetectEngine

  constructor(subscriber: Subscriber<F & Detection>, private readonly settings: EngineSettings) {
    super(subscriber, settings.references)
    this.engine = new DetectEngine(settings)
  }

  push(frame: F): void {
    if (!this.accept(frame, true)) return
    let verdict: EngineVerdict
    try {
      verdict = this.engine.next(frame.image.data, frame.image.width, frame.image.height)
    } catch (error) {
      this.fail(new DetectError('E_WORKER', `The '${this.settings.kind}' detector failed on frame ${frame.index}: ${errorMessage(error)}`, { cause: error, detector: this.settings.kind }))
      return
    }
    this.settleEngine(frame, verdict)
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
    super(subscriber, settings.references)
    this.worker = new DetectWorker(settings, name, {
      verdict: (verdict) => {
        const frame = this.pending.shift()!
        this.submitted--
        this.settleEngine(frame, verdict)
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

const COMPARE_CONTRACT = { verb: 'answered', expected: 'compare must return true or false, or { duplicateOf } / { changed } (or a promise of one)' }
const OPERATOR_CONTRACT = { verb: 'emitted', expected: 'its operator must emit true or false, or { duplicateOf } / { changed }, per frame' }

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function'
}

/** A custom detector's name, and the settings its runner applies on top (references, maxRun, tiles). */
interface Custom {
  name: string
  settings: EngineSettings
}

/**
 * What custom detectors share: they are given the held kept frames, their verdicts are checked,
 * `maxRun` is applied on top, and with `tiles` the changed tiles are measured on the calling thread
 * (or taken from the detector's `changed` regions).
 */
abstract class CustomRunner<F extends DetectFrame> extends BaseRunner<F> {
  protected readonly name: string
  private readonly maxRun: number
  private readonly tiles: InlineTiles | undefined

  constructor(subscriber: Subscriber<F & Detection>, custom: Custom) {
    super(subscriber, custom.settings.references, true)
    this.name = custom.name
    this.maxRun = custom.settings.maxRun
    const { settings } = custom
    this.tiles = settings.tiles ? new InlineTiles({ ...settings, tiles: settings.tiles }) : undefined
  }

  /** True when the next frame may be compared (fewer than `maxRun` duplicates in a row, a frame kept before). */
  protected get mayRepeat(): boolean {
    return this.held.length > 0 && this.run < this.maxRun
  }

  protected accepts(frame: F): boolean {
    return this.accept(frame, this.tiles !== undefined)
  }

  protected heldFrames(): F[] {
    return this.held.map((kept) => kept.frame!)
  }

  /** Emits `frame` with the detector's verdict; false (after failing the stream) when the verdict is invalid. */
  protected settleVerdict(frame: F, value: unknown, contract: Pick<VerdictContext, 'verb' | 'expected'>): boolean {
    let decision: Decision<F>
    try {
      decision = readVerdict(value, frame, this.held, { detector: this.name, references: this.references, ...contract })
    } catch (error) {
      this.fail(error)
      return false
    }
    if (decision.repeats && this.mayRepeat) this.settleDuplicate(frame, decision.repeats)
    else this.keep(frame, decision.repeats ? undefined : decision.changed)
    return true
  }

  /** Emits a kept frame, with its changed tiles when they are tracked. */
  protected keep(frame: F, changed?: Parameters<InlineTiles['changes']>[1]): void {
    this.settleKept(frame, this.tiles?.changes(frame.image, changed))
  }
}

/**
 * A custom compare detector: one comparison at a time (each depends on the verdicts before it).
 * Synchronous answers are handled synchronously; promises are awaited.
 */
class CompareRunner<F extends DetectFrame> extends CustomRunner<F> {
  private readonly queue: F[] = []
  private busy = false
  private closed = false

  constructor(
    subscriber: Subscriber<F & Detection>,
    custom: Custom,
    private readonly detector: { init?(): unknown; compare(previousKept: F, current: F, held: readonly F[]): unknown; close?(): unknown },
  ) {
    super(subscriber, custom)
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

  push(frame: F): void {
    if (!this.accepts(frame)) return
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
      if (!this.mayRepeat) {
        this.queue.shift()
        this.keep(frame)
        continue
      }
      let verdict: unknown
      try {
        verdict = this.detector.compare(this.held[0].frame!, frame, this.heldFrames())
      } catch (error) {
        this.fail(this.detectorError(`compare (frame ${frame.index})`, error))
        return
      }
      if (isPromiseLike(verdict)) {
        verdict.then(
          (value) => {
            if (this.done) return
            this.queue.shift()
            if (!this.settleVerdict(frame, value, COMPARE_CONTRACT)) return
            this.busy = false
            this.drain()
          },
          (error: unknown) => this.fail(this.detectorError(`compare (frame ${frame.index})`, error)),
        )
        return
      }
      this.queue.shift()
      if (!this.settleVerdict(frame, verdict, COMPARE_CONTRACT)) return
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
class OperatorRunner<F extends DetectFrame> extends CustomRunner<F> {
  private readonly frames = new Subject<F>()
  private readonly pending: F[] = []
  private readonly verdicts: Subscription

  constructor(subscriber: Subscriber<F & Detection>, custom: Custom, operator: OperatorFunction<F, Verdict>) {
    super(subscriber, custom)
    const { name } = custom
    let output: Observable<Verdict>
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
              `Detector '${name}' completed without a verdict for ${next ? `frame ${next.index}` : 'the frames still to come'}: its operator must emit one verdict per frame`,
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
      return this.fail(new DetectError('E_DETECTOR_INVALID', `Detector '${this.name}' emitted a verdict with no frame waiting for one: its operator must emit exactly one verdict per frame`, { detector: this.name }))
    }
    if (!this.settleVerdict(frame, verdict, OPERATOR_CONTRACT)) return
    if (this.ended && this.pending.length === 0) this.finish()
  }

  push(frame: F): void {
    if (!this.accepts(frame)) return
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

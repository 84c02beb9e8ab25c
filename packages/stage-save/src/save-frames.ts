import { Observable, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs'
import { SaveError } from './errors'
import { resolveFfmpegPath } from './ffmpeg'
import { ReorderBuffer, ResultCache, Timeline } from './frame-order'
import { resolveOptions, type ResolvedOptions, type SaveOptions } from './options'
import { completePlan, isSavePlan, type SavePlan } from './plan'
import { ImageSink, VideoSink } from './sinks'
import type { FrameToSave, SaveEvent } from './types'

/** Image mode has no timing: frames are spaced 40 ms apart on the pipe. */
const IMAGE_MODE_STEP_US = 40_000

/**
 * Writes frames out, in index order, to an ffmpeg encoder (one video file, mode 'video') or to a
 * folder of png/webp files (mode 'images').
 *
 * - Frames may arrive out of order; they wait in a buffer of at most `reorderCapacity` frames.
 * - A frame with `duplicateOf` (and no image) repeats that kept frame's image at its own pts.
 * - `{ type: 'written', index }` follows once ffmpeg has taken the frame from its stdin (the
 *   credit upstream may spend); the pipe's backpressure is respected.
 * - On completion the output appears at its destination in one rename, then `finished` is emitted.
 * - The stage's own errors are SaveErrors; upstream errors pass through unchanged. When an error
 *   is delivered, ffmpeg has exited and temporary files are gone.
 *   Unsubscribing stops ffmpeg and removes temporary files in the background.
 *
 * Takes options (validated when this function is called: it throws a SaveError naming the option)
 * or a SavePlan from `planSave` (decided and checked already).
 */
export function saveFrames(options: SaveOptions | SavePlan): OperatorFunction<FrameToSave, SaveEvent> {
  const o = isSavePlan(options) ? options.options : resolveOptions(options)
  return (source) =>
    new Observable<SaveEvent>((subscriber) => {
      const planned = isSavePlan(options) ? Promise.resolve(options) : completePlan(options, o)
      const run = new SaveRun(o, planned, subscriber)
      run.start(source)
      return () => run.teardown()
    })
}

/** One subscription of `saveFrames`: frames in, ffmpeg fed in order, one end delivered after cleanup. */
class SaveRun {
  private readonly reorder: ReorderBuffer
  private readonly cache: ResultCache
  private readonly timeline: Timeline
  private readonly sink: VideoSink | ImageSink
  /** running: taking frames; stopping: finalising or cleaning up; done: nothing more is emitted. */
  private state: 'running' | 'stopping' | 'done' = 'running'
  private sourceDone = false
  private pumping = false
  private written = 0
  private subscription?: Subscription
  private readonly onAbort = () => void this.stop(this.o.signal?.reason, 'abort')

  constructor(
    private readonly o: ResolvedOptions,
    planned: Promise<SavePlan>,
    private readonly subscriber: Subscriber<SaveEvent>,
  ) {
    const ffmpegPath = resolveFfmpegPath(o.ffmpegPath)
    this.reorder = new ReorderBuffer(o.firstIndex, o.reorderCapacity)
    this.cache = new ResultCache(o.duplicateCacheSize)
    this.timeline = new Timeline(o.video?.frameRate, o.video?.gridStart)
    const emit = (event: SaveEvent) => this.emit(event)
    this.sink = o.mode === 'images' ? new ImageSink(o, planned, ffmpegPath, emit) : new VideoSink(o, planned, ffmpegPath, emit)
    this.sink.onFailure = (error) => void this.stop(error, 'error')
    this.sink.preflight.catch((error: unknown) => void this.stop(error, 'error'))
  }

  start(source: Observable<FrameToSave>): void {
    if (this.o.signal?.aborted) {
      void this.stop(this.o.signal.reason, 'abort')
      return
    }
    this.o.signal?.addEventListener('abort', this.onAbort, { once: true })
    this.subscription = source.subscribe({
      next: (frame) => this.accept(frame),
      error: (error: unknown) => void this.stop(error, 'error'),
      complete: () => {
        this.sourceDone = true
        void this.pump()
      },
    })
  }

  private emit(event: SaveEvent): void {
    if (this.state !== 'done') this.subscriber.next(event)
  }

  /** Delivers the end exactly once, unless the consumer already left. */
  private settle(deliver: () => void): void {
    if (this.state === 'done') return
    this.state = 'done'
    deliver()
  }

  private accept(frame: FrameToSave): void {
    if (this.state !== 'running') return
    try {
      this.reorder.add(frame)
    } catch (error) {
      void this.stop(error, 'error')
      return
    }
    void this.pump()
  }

  /** Writes every frame that is next in order; at the source's end, finishes the output. */
  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      await this.writeReady()
      if (this.sourceDone && this.state === 'running') await this.complete()
    } catch (error) {
      void this.stop(error, 'error')
    } finally {
      this.pumping = false
    }
    // Frames that arrived while the last write was finishing.
    if (this.state === 'running' && this.reorder.size > 0 && this.reorder.peekReady()) void this.pump()
  }

  private async writeReady(): Promise<void> {
    for (let frame = this.reorder.take(); frame && this.state === 'running'; frame = this.reorder.take()) {
      const image = this.cache.resolve(frame, this.o.firstIndex)
      const timecode = this.o.mode === 'images' ? this.written * IMAGE_MODE_STEP_US : this.timeline.next(frame)
      await this.sink.write(frame.index, image, timecode, this.timeline.timing)
      if (this.state !== 'running') return
      this.written++
      this.emit({ type: 'written', index: frame.index })
    }
  }

  private async complete(): Promise<void> {
    const gap = this.reorder.gapMessage()
    if (gap) throw new SaveError('E_MISSING_FRAME', gap)
    if (this.written === 0) throw new SaveError('E_NO_FRAMES', `No frames to save to ${this.o.output}: the input completed empty`)
    this.state = 'stopping'
    let frames: number
    try {
      frames = await this.sink.finish(false)
    } catch (error) {
      await this.sink.abort()
      this.settle(() => this.subscriber.error(error))
      return
    }
    this.emit({ type: 'finished', output: this.o.output, frames, partial: false })
    this.settle(() => this.subscriber.complete())
  }

  /** Stops taking frames; finalises a partial output if asked and possible, else cleans up. */
  private async stop(cause: unknown, kind: 'error' | 'abort'): Promise<void> {
    if (this.state !== 'running') return
    this.state = 'stopping'
    this.subscription?.unsubscribe()
    const finalized = this.o.keepPartial && this.sink.canFinalize() && (await this.finalizePartial())
    if (!finalized) await this.sink.abort()
    if (kind === 'error') this.settle(() => this.subscriber.error(cause))
    else if (finalized) this.settle(() => this.subscriber.complete())
    else this.settle(() => this.subscriber.error(new SaveError('E_ABORTED', `Saving to ${this.o.output} was stopped; nothing was left at the destination`, { cause })))
  }

  /** keepPartial: a playable file of what was written; false when it cannot be made. */
  private async finalizePartial(): Promise<boolean> {
    try {
      const frames = await this.sink.finish(true)
      this.emit({ type: 'finished', output: this.o.output, frames, partial: true })
      return true
    } catch {
      return false
    }
  }

  /** The consumer left: stop ffmpeg and clean up (or finalise, with keepPartial) in the background. */
  teardown(): void {
    this.o.signal?.removeEventListener('abort', this.onAbort)
    this.subscription?.unsubscribe()
    if (this.state === 'done') return
    const wasRunning = this.state === 'running'
    this.state = 'done'
    if (wasRunning && this.o.keepPartial && this.sink.canFinalize()) void this.sink.finish(true).catch(() => this.sink.abort())
    else void this.sink.abort()
  }
}

import { Observable, type OperatorFunction, type Subscription } from 'rxjs'
import { SaveError } from './errors'
import { resolveFfmpegPath } from './ffmpeg'
import { ReorderBuffer, ResultCache, Timeline } from './frame-order'
import { resolveOptions, type SaveOptions } from './options'
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
 * Options are validated when this function is called (it throws a SaveError naming the option).
 */
export function saveFrames(options: SaveOptions | SavePlan): OperatorFunction<FrameToSave, SaveEvent> {
  const o = isSavePlan(options) ? options.options : resolveOptions(options)
  return (source) =>
    new Observable<SaveEvent>((subscriber) => {
      const ffmpegPath = resolveFfmpegPath(o.ffmpegPath)
      const planned = isSavePlan(options) ? Promise.resolve(options) : completePlan(options, o)
      const reorder = new ReorderBuffer(o.firstIndex, o.reorderCapacity)
      const cache = new ResultCache(o.duplicateCacheSize)
      const timeline = new Timeline(o.video?.frameRate)
      /** running: taking frames; stopping: finalising or cleaning up; done: nothing more is emitted. */
      let state: 'running' | 'stopping' | 'done' = 'running'
      let sourceDone = false
      let pumping = false
      let written = 0
      let subscription: Subscription | undefined

      const emit = (event: SaveEvent) => {
        if (state !== 'done') subscriber.next(event)
      }
      const sink = o.mode === 'images' ? new ImageSink(o, planned, ffmpegPath, emit) : new VideoSink(o, planned, ffmpegPath, emit)

      /** Delivers the end exactly once, unless the consumer already left. */
      const settle = (deliver: () => void) => {
        if (state === 'done') return
        state = 'done'
        deliver()
      }

      /** Stops taking frames; finalises a partial output if asked and possible, else cleans up. */
      const stop = async (cause: unknown, kind: 'error' | 'abort') => {
        if (state !== 'running') return
        state = 'stopping'
        subscription?.unsubscribe()
        let finalized = false
        if (o.keepPartial && sink.canFinalize()) {
          try {
            const frames = await sink.finish(true)
            emit({ type: 'finished', output: o.output, frames, partial: true })
            finalized = true
          } catch {
            await sink.abort()
          }
        } else {
          await sink.abort()
        }
        if (kind === 'abort') {
          if (finalized) settle(() => subscriber.complete())
          else settle(() => subscriber.error(new SaveError('E_ABORTED', `Saving to ${o.output} was stopped; nothing was left at the destination`, { cause })))
        } else {
          settle(() => subscriber.error(cause))
        }
      }

      const complete = async () => {
        state = 'stopping'
        let frames: number
        try {
          frames = await sink.finish(false)
        } catch (error) {
          await sink.abort()
          settle(() => subscriber.error(error))
          return
        }
        emit({ type: 'finished', output: o.output, frames, partial: false })
        settle(() => subscriber.complete())
      }

      const pump = async () => {
        if (pumping) return
        pumping = true
        try {
          for (;;) {
            if (state !== 'running') return
            const frame = reorder.take()
            if (!frame) break
            const image = cache.resolve(frame, o.firstIndex)
            const timecode = o.mode === 'images' ? written * IMAGE_MODE_STEP_US : timeline.next(frame)
            await sink.write(frame.index, image, timecode, timeline.timing)
            if (state !== 'running') return
            written++
            emit({ type: 'written', index: frame.index })
          }
          if (sourceDone && state === 'running') {
            const gap = reorder.gapMessage()
            if (gap) throw new SaveError('E_MISSING_FRAME', gap)
            if (written === 0) throw new SaveError('E_NO_FRAMES', `No frames to save to ${o.output}: the input completed empty`)
            await complete()
          }
        } catch (error) {
          void stop(error, 'error')
        } finally {
          pumping = false
        }
        // Frames that arrived while the last write was finishing.
        if (state === 'running' && reorder.size > 0 && reorder.peekReady()) void pump()
      }

      sink.onFailure = (error) => void stop(error, 'error')
      sink.preflight.catch((error: unknown) => void stop(error, 'error'))

      const onAbort = () => void stop(o.signal?.reason, 'abort')
      if (o.signal?.aborted) {
        void stop(o.signal.reason, 'abort')
      } else {
        o.signal?.addEventListener('abort', onAbort, { once: true })
        subscription = source.subscribe({
          next: (frame) => {
            if (state !== 'running') return
            try {
              reorder.add(frame)
            } catch (error) {
              void stop(error, 'error')
              return
            }
            void pump()
          },
          error: (error: unknown) => void stop(error, 'error'),
          complete: () => {
            sourceDone = true
            void pump()
          },
        })
      }

      return () => {
        o.signal?.removeEventListener('abort', onAbort)
        subscription?.unsubscribe()
        if (state === 'done') return
        const wasRunning = state === 'running'
        state = 'done'
        if (wasRunning && o.keepPartial && sink.canFinalize()) {
          void sink.finish(true).catch(() => sink.abort())
        } else {
          void sink.abort()
        }
      }
    })
}

import { Observable, catchError, from, map, mergeMap, of, throwError, type OperatorFunction } from 'rxjs'
import type { EngineImage } from './engine'
import { UpscaleError } from './errors'
import type { TargetSize } from './target'
import { createUpscaler, type Upscaler, type UpscalerOptions } from './upscaler'

/** The frame shape stage-upscale accepts: any object with an index and an image. Other fields pass through. */
export interface Frame {
  index: number
  image: EngineImage
}

export interface UpscaleOperatorOptions extends UpscalerOptions {
  /** Output size of every frame (default: the model's native scale). */
  target?: TargetSize
  /** Share an existing pool instead of starting one (it is then not closed on teardown). */
  upscaler?: Upscaler
  /** Frames in flight at once; default: two per worker, so no worker waits for its next frame. */
  concurrency?: number
}

/**
 * Upscales each frame's image. Frames come out as they finish, possibly out of order: each keeps
 * its `index` (and every other field) so a later stage can reorder. At most `concurrency` frames
 * are in flight; RxJS has no backpressure, so frames arriving faster wait inside this operator:
 * bound what reaches it upstream (core does, with credits).
 * The source is subscribed once the worker pool is ready; an owned pool closes on teardown.
 */
export function upscale<F extends Frame>(options: UpscaleOperatorOptions = {}): OperatorFunction<F, F> {
  const { upscaler: shared, target = {}, concurrency, ...poolOptions } = options
  return (source) =>
    new Observable<F>((subscriber) => {
      const creating = shared ? undefined : createUpscaler(poolOptions)
      // A shared pool is used synchronously, so virtual-time tests and hot sources lose nothing.
      const subscription = (creating ? from(creating) : of(shared!))
        .pipe(
          mergeMap((upscaler) =>
            source.pipe(
              mergeMap(
                (frame) =>
                  from(upscaler.upscale(frame.image, target)).pipe(
                    map((image) => ({ ...frame, image })),
                    catchError((error: unknown) => throwError(() => frameError(frame.index, error))),
                  ),
                concurrency ?? upscaler.workers * 2,
              ),
            ),
          ),
        )
        .subscribe(subscriber)
      return () => {
        subscription.unsubscribe()
        creating?.then((upscaler) => upscaler.close(), () => undefined)
      }
    })
}

function frameError(index: number, error: unknown): UpscaleError {
  const message = error instanceof Error ? error.message : String(error)
  return new UpscaleError(error instanceof UpscaleError ? error.code : 'E_INFERENCE', `Frame ${index}: ${message}`, { cause: error })
}

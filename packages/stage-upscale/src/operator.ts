import { Observable, catchError, defer, from, map, mergeMap, of, throwError, type OperatorFunction } from 'rxjs'
import type { EngineImage, UpscaledImage } from './engine'
import { UpscaleError } from './errors'
import { TileReuser } from './reuse/reuser'
import type { ReusePlan, TileChanges } from './reuse/tile-changes'
import type { TargetSize } from './target'
import { createUpscaler, type Upscaler, type UpscalerOptions } from './upscaler'
import type { Yuv420Image, YuvColor } from './yuv'

/** The frame shape stage-upscale accepts: any object with an index and an image. Other fields pass through. */
export interface Frame {
  index: number
  image: EngineImage
  /** With `reuse`: the tiles that changed (stage-detect's `tiles` option); absent = upscale the whole frame. */
  changedTiles?: TileChanges
}

export interface UpscaleOperatorOptions extends UpscalerOptions {
  /** Output size of every frame (default: the model's native scale). */
  target?: TargetSize
  /** Share an existing pool instead of starting one (it is then not closed on teardown). */
  upscaler?: Upscaler
  /** Frames in flight at once; default: two per worker, so no worker waits for its next frame. */
  concurrency?: number
  /**
   * Return each frame as 8- or 10-bit Y'CbCr 4:2:0 with this matrix and range (frames must be RGB,
   * the model's `info.yuv420` true, `target` unset): what a video encoder takes. The built-in models
   * convert inside the model, which is faster than RGB; others convert their RGB result.
   */
  yuv420?: YuvColor
  /**
   * Reuse the previous output where a frame's `changedTiles` say its tiles did not change: only the
   * changed tiles are upscaled (see `TileReuser`), and each frame gets `reuse`, what it cost. Frames
   * must come in order, every kept frame of the stream; they then also leave in order.
   * `{ receptiveRadius }` states the radius of a model that does not (imported models).
   */
  reuse?: boolean | { receptiveRadius?: number }
}

/**
 * Upscales each frame's image. Frames come out as they finish, possibly out of order: each keeps
 * its `index` (and every other field) so a later stage can reorder. At most `concurrency` frames
 * are in flight; RxJS has no backpressure, so frames arriving faster wait inside this operator:
 * bound what reaches it upstream (core does, with credits).
 * The source is subscribed once the worker pool is ready; an owned pool closes on teardown.
 */
export function upscale<F extends Frame>(options: UpscaleOperatorOptions & { yuv420: YuvColor }): OperatorFunction<F, Omit<F, 'image'> & { image: Yuv420Image; reuse?: ReusePlan }>
export function upscale<F extends Frame>(options?: UpscaleOperatorOptions & { yuv420?: undefined }): OperatorFunction<F, F & { reuse?: ReusePlan }>
/** Options not known to set `yuv420` or not (e.g. a variable typed `UpscaleOperatorOptions`): either image kind. */
export function upscale<F extends Frame>(options?: UpscaleOperatorOptions): OperatorFunction<F, Omit<F, 'image'> & { image: UpscaledImage; reuse?: ReusePlan }>
export function upscale<F extends Frame>(options: UpscaleOperatorOptions = {}): OperatorFunction<F, Omit<F, 'image'> & { image: UpscaledImage; reuse?: ReusePlan }> {
  const { upscaler: shared, target = {}, concurrency, yuv420, reuse, ...poolOptions } = options
  if (yuv420 && Object.keys(target).length > 0) throw new UpscaleError('E_INVALID_ARGUMENT', 'Give either target or yuv420, not both: yuv420 output is at the model\'s native scale')
  if (reuse !== undefined && typeof reuse !== 'boolean' && (reuse === null || typeof reuse !== 'object')) throw new UpscaleError('E_INVALID_ARGUMENT', 'Expected true, false or { receptiveRadius } for reuse')
  /** One frame through the pool, or through a reuser of this subscription's frames. */
  const upscaleFrame = (upscaler: Upscaler): ((frame: F) => Observable<{ image: UpscaledImage; reuse?: ReusePlan }>) => {
    if (!reuse) return (frame) => from(yuv420 ? upscaler.upscaleToYuv420(frame.image, yuv420) : upscaler.upscale(frame.image, target)).pipe(map((image: UpscaledImage) => ({ image })))
    const reuser = new TileReuser(upscaler, { target, yuv420, ...(reuse === true ? {} : reuse) })
    return (frame) => defer(() => reuser.upscale(frame.image, frame.changedTiles)).pipe(map(({ image, plan }) => ({ image, reuse: plan })))
  }
  return (source) =>
    new Observable<Omit<F, 'image'> & { image: UpscaledImage }>((subscriber) => {
      const creating = shared ? undefined : createUpscaler(poolOptions)
      // A shared pool is used synchronously, so virtual-time tests and hot sources lose nothing.
      const subscription = (creating ? from(creating) : of(shared!))
        .pipe(
          mergeMap((upscaler) => {
            const run = upscaleFrame(upscaler)
            return source.pipe(
              mergeMap(
                (frame) =>
                  run(frame).pipe(
                    map((result) => ({ ...frame, ...result })),
                    catchError((error: unknown) => throwError(() => frameError(frame.index, error))),
                  ),
                concurrency ?? upscaler.workers * 2,
              ),
            )
          }),
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

// Tile reuse: a kept frame's output is the previous output with only its changed tiles upscaled
// again. Tiled inference with the model's receptive halo equals a whole-frame upscale bit for bit,
// so every pixel of the output is either what a full upscale of this frame gives, or what one gave
// for the source its tile was last refreshed from (stage-detect keeps that source as the tile's
// reference, so the difference never exceeds its threshold).
import { readWindow, validateImage, writeInterior, writeYuvInterior, type EngineImage, type UpscaledImage } from '../engine'
import { message, optionName } from '@anime-upscaler/common'
import { UpscaleError, invalidArgument } from '../errors'
import { resample } from '../resample'
import type { ModelInfo } from '../session'
import { planOutput, validateTarget, type TargetSize } from '../target'
import type { Tile } from '../tiling'
import { sampleTypeOf } from '../types'
import { assertYuvColor, yuv420Format, type Yuv420Image, type YuvColor } from '../yuv'
import { planReuse, validateChanges, type ReusePlan, type TileChanges } from './tile-changes'

/** What a TileReuser needs of an upscaler: a worker pool (`createUpscaler`) and an `UpscaleEngine` both are one. */
export interface TileUpscaler {
  readonly info: ModelInfo
  upscale(image: EngineImage, target?: TargetSize): Promise<EngineImage>
  upscaleToYuv420(image: EngineImage, color: YuvColor): Promise<Yuv420Image>
}

export interface TileReuseOptions {
  /** Output size of every frame (default: the model's native scale). Not with `yuv420`. */
  target?: TargetSize
  /** Output 8-bit Y'CbCr 4:2:0 with this matrix and range, at the model's native scale. */
  yuv420?: YuvColor
  /**
   * The model's receptive radius in input pixels, for models that do not state one (imported
   * models): reuse is exact only if it is at least the true radius. Default: `info.receptiveRadius`.
   */
  receptiveRadius?: number
}

export interface ReusedFrame {
  image: UpscaledImage
  plan: ReusePlan
}

/** The output all tiles are pasted into: at the model's passes' scale (RGB) or native (Y'CbCr). */
type Canvas = EngineImage | Yuv420Image

/** Errors that only report an earlier frame's failure (whose `cause` is that failure). */
const failedBefore = new WeakSet<object>()

/** What the previous frame left: its output, or why it has none. */
interface Previous {
  canvas?: Canvas
  error?: unknown
}

/** A window's upscaled pixels, waiting to be pasted: the changed tiles' parts of it. */
interface Part {
  pastes: Tile[]
  result: Promise<UpscaledImage>
}

/**
 * The receptive radius in source pixels of `passes` passes of a model with `radius` and `scale`:
 * pass k's radius counts 1/scale^k as much in the source. 0 passes: 0.
 */
export function passesHalo(radius: number, scale: number, passes: number): number {
  let halo = 0
  for (let k = 0; k < passes; k++) halo += Math.ceil(radius / scale ** k)
  return halo
}

/**
 * Why tile reuse cannot be exact with this model, or undefined when it can: a reused tile must equal
 * a full upscale, which needs a model that takes any input size and a known receptive radius.
 */
export function tileReuseRefusal(info: ModelInfo, receptiveRadius?: number): string | undefined {
  if (info.fixedSize) return `${info.id} takes only ${info.fixedSize.width}x${info.fixedSize.height} inputs`
  if (info.globalPooling) return `${info.id} averages features over the whole picture (global pooling), so every output pixel depends on every tile`
  if ((receptiveRadius ?? info.receptiveRadius) === undefined) return `${info.id} does not state its receptive radius, so reused tiles could not be guaranteed to equal a full upscale`
  return undefined
}

/**
 * Upscales the frames of one stream, reusing the previous output wherever a frame's tiles did not
 * change. Give it every kept frame, in order, with the `changedTiles` a detector measured against
 * each tile's reference (stage-detect's `tiles` option, with at least `halo(width, height)` of halo).
 * Calls may overlap: each frame's model calls start at once (spread over the pool's workers), and
 * the results are put together in call order, so each promise resolves after the previous one.
 */
export class TileReuser {
  private readonly radius: number
  private last: Promise<Previous> = Promise.resolve({})

  constructor(
    private readonly upscaler: TileUpscaler,
    private readonly options: TileReuseOptions = {},
  ) {
    const { info } = upscaler
    const { target, yuv420, receptiveRadius } = options
    if (target !== undefined) validateTarget(target)
    if (yuv420 !== undefined) {
      assertYuvColor('yuv420', yuv420)
      if (target && Object.keys(target).length > 0) throw new UpscaleError('E_INVALID_ARGUMENT', "Give either target or yuv420, not both: yuv420 output is at the model's native scale")
    }
    if (receptiveRadius !== undefined && !(Number.isInteger(receptiveRadius) && receptiveRadius >= 0)) throw invalidArgument('non-negative integer', 'receptiveRadius', receptiveRadius)
    const refusal = tileReuseRefusal(info, receptiveRadius)
    if (refusal) {
      const option = info.fixedSize ? 'model' : 'receptiveRadius'
      const hint = info.fixedSize ? 'upscale whole frames' : message`give ${optionName('receptiveRadius')} (in input pixels) if you know it, or upscale whole frames`
      throw new UpscaleError('E_INVALID_ARGUMENT', `Tile reuse is not possible: ${refusal}`, { option, ...(info.fixedSize ? { value: info.id } : {}), hint })
    }
    this.radius = (receptiveRadius ?? info.receptiveRadius)!
  }

  /**
   * The halo, in source pixels, that the detector's tiles need for a frame of this size: the
   * receptive radius of all the model passes, rounded up to the model's window alignment (imported
   * models with strided layers), so that a window starts where the model's pixel grid does.
   */
  halo(width: number, height: number): number {
    const { scale, geometry } = this.upscaler.info
    return Math.ceil(passesHalo(this.radius, scale, this.passes(width, height)) / geometry.align) * geometry.align
  }

  /**
   * Upscales one kept frame (8- or 16-bit RGB). Without `changes`, or when every tile changed, the
   * whole frame is upscaled in one call. Otherwise only the changed tiles are, pasted into a copy of
   * the previous output (which must exist and have this frame's size: see the class comment).
   */
  upscale(image: EngineImage, changes?: TileChanges): Promise<ReusedFrame> {
    try {
      validateImage(image)
      if (image.channels !== 3) throw invalidArgument('3 (RGB: tile reuse takes video frames, without alpha)', 'image.channels', image.channels)
      if (changes !== undefined) {
        validateChanges(changes, image.width, image.height, this.halo(image.width, image.height))
        const { id, geometry } = this.upscaler.info
        if (changes.size % geometry.align !== 0) throw invalidArgument(`multiple of ${geometry.align} (model ${id} needs windows on that grid)`, 'changedTiles.size', changes.size)
      }
    } catch (error) {
      return Promise.reject(error)
    }
    const previous = this.last
    const frame = this.start(image, changes)
    const done = this.compose(previous, image, frame)
    this.last = done.then(
      ({ canvas }) => ({ canvas }),
      // The first failure is what every later frame reports.
      (error: unknown) => ({ error: failedBefore.has(error as object) ? (error as Error).cause : error }),
    )
    return done.then(({ output, plan }) => ({ image: output, plan }))
  }

  private passes(width: number, height: number): number {
    return this.options.yuv420 ? 1 : planOutput(width, height, this.upscaler.info.scale, this.options.target).passes
  }

  /** Starts the model calls of a frame: the changed tiles' rectangles, or the whole frame when there are no changes to go by. */
  private start(image: EngineImage, changes: TileChanges | undefined): { parts: Part[]; plan: ReusePlan; whole: boolean } {
    const { width, height } = image
    const { calls, plan, whole } = planReuse(changes, width, height, this.halo(width, height))
    const parts = calls.map(({ window, pastes }) => ({ pastes, result: this.run(whole ? image : readWindow(image, window, false), width, height) }))
    return { parts, whole, plan }
  }

  /** One model call on a window, at the scale of all the passes (Y'CbCr: native). */
  private run(window: EngineImage, width: number, height: number): Promise<UpscaledImage> {
    const { yuv420 } = this.options
    if (yuv420) return this.upscaler.upscaleToYuv420(window, yuv420)
    return this.upscaler.upscale(window, { scale: this.upscaler.info.scale ** this.passes(width, height) })
  }

  /** Waits for the previous frame's output and this frame's parts, then pastes the parts into a copy of it. */
  private async compose(previous: Promise<Previous>, image: EngineImage, frame: { parts: Part[]; plan: ReusePlan; whole: boolean }): Promise<{ canvas: Canvas; output: UpscaledImage; plan: ReusePlan }> {
    const [before, results] = await Promise.all([previous, Promise.all(frame.parts.map((part) => part.result))])
    let canvas: Canvas
    if (frame.whole) canvas = results[0]
    else {
      canvas = this.reusable(before, image)
      // Nothing changed: the previous output is this frame's too (outputs are never written to once returned).
      if (frame.parts.length > 0) {
        canvas = copyCanvas(canvas)
        frame.parts.forEach((part, i) => {
          for (const tile of part.pastes) paste(canvas, results[i], tile)
        })
      }
    }
    return { canvas, output: this.finish(canvas, image), plan: frame.plan }
  }

  /** The previous output, when it is one this frame can reuse tiles of. */
  private reusable(before: Previous, image: EngineImage): Canvas {
    const { canvas, error } = before
    if (error !== undefined) {
      const message = error instanceof Error ? error.message : String(error)
      const failed = new UpscaleError(error instanceof UpscaleError ? error.code : 'E_INFERENCE', `An earlier frame failed, so its tiles cannot be reused: ${message}`, { cause: error })
      failedBefore.add(failed)
      throw failed
    }
    const scale = this.options.yuv420 ? this.upscaler.info.scale : this.upscaler.info.scale ** this.passes(image.width, image.height)
    const kind = this.options.yuv420 ? yuv420Format(this.options.yuv420) : sampleTypeOf(image.data)
    if (!canvas || canvas.width !== image.width * scale || canvas.height !== image.height * scale || ('format' in canvas ? canvas.format : sampleTypeOf(canvas.data)) !== kind) {
      throw new UpscaleError(
        'E_INVALID_ARGUMENT',
        `changedTiles reuse tiles of a ${image.width}x${image.height} frame, but no output of that size came before: the first frame (and the first of each size) must change every tile; give the reuser every kept frame in the order the detector saw them`,
      )
    }
    return canvas
  }

  /** The canvas at the target size: resampled when the target is not a whole number of passes. */
  private finish(canvas: Canvas, image: EngineImage): UpscaledImage {
    if ('format' in canvas) return canvas
    const plan = planOutput(image.width, image.height, this.upscaler.info.scale, this.options.target)
    return plan.width === canvas.width && plan.height === canvas.height ? canvas : (resample(canvas, plan.width, plan.height, 'lanczos3') as EngineImage)
  }
}

function copyCanvas(canvas: Canvas): Canvas {
  return { ...canvas, data: canvas.data.slice() } as Canvas
}

function paste(canvas: Canvas, result: UpscaledImage, tile: Tile): void {
  if ('format' in canvas) writeYuvInterior(canvas, result as Yuv420Image, tile)
  else writeInterior(canvas, result as EngineImage, tile, result.width / tile.windowWidth, false)
}

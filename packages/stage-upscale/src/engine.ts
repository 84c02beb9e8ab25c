import { DEFAULT_CALL_BUDGET_MS, msPerInputPixel, tileForBudget } from './call-budget'
import { UpscaleError, assertPositiveInteger, invalidArgument } from './errors'
import { padPicture } from './padding'
import { resample } from './resample'
import type { PicturePlan } from './pooled'
import { ModelSession, type ModelInfo, type ModelPass, type RgbImage, type SessionOptions } from './session'
import { planOutput, type TargetSize } from './target'
import { paddedLength, planTiles, type Tile } from './tiling'
import { averageOrientations } from './tta'
import type { RawImage } from './types'
import { assertYuvColor, rgbToYuv420, yuv420Format, type Yuv420Image, type YuvColor } from './yuv'

/** Images the engine accepts and returns: 8- or 16-bit RGB or RGBA. */
export type EngineImage = RawImage<Uint8Array | Uint16Array>

/** What an upscale returns: an image like the input, or Y'CbCr 4:2:0 when that was asked for. */
export type UpscaledImage = EngineImage | Yuv420Image

export interface EngineOptions extends SessionOptions {
  /** Tile interior in input pixels, or 'auto' (default) to size tiles from `memoryBudget`. */
  tile?: number | 'auto'
  /** Context pixels around each tile; default: the model's receptive radius, or 32 for imported models. */
  tileOverlap?: number
  /** Bytes one tile's inference may use when `tile` is 'auto'. Default 1 GiB. */
  memoryBudget?: number
  /**
   * Longest one model call should take, in ms (default 600). onnxruntime cannot interrupt a call,
   * so a stop waits for the ones running: bigger images are tiled (exactly: tiles carry their halo)
   * to keep each call under this, whatever `tile` says.
   */
  callBudgetMs?: number
  /**
   * Best-quality mode: every pass runs on the 8 flips and rotations of the picture and averages
   * them (8x the time). RGB output only.
   */
  tta?: boolean
}

const DEFAULT_MEMORY_BUDGET = 1024 ** 3
const IMPORTED_MODEL_OVERLAP = 32
/**
 * Estimated inference bytes per input pixel of a tile. Anime4K keeps ~120 float channels alive;
 * imported models (e.g. 64-channel ESRGAN-like bodies, 4x outputs) are assumed ~4x hungrier.
 */
const BUILTIN_BYTES_PER_PIXEL = 1024
const IMPORTED_BYTES_PER_PIXEL = 4096

/** Where one upscale call spent its time. */
export interface UpscaleTiming {
  /** Inside onnxruntime's session.run. */
  inferenceMs: number
  /** The whole call: layout conversion, tiling, alpha, resampling and inference. */
  totalMs: number
}

/** Upscales images with one model session, in the calling thread. Workers each own one. */
export class UpscaleEngine {
  private inferenceMs = 0
  private stopped = false

  private constructor(
    private readonly model: ModelSession,
    private readonly tile: number,
    private readonly overlap: number,
    private readonly tta: boolean,
    /**
     * `wholePixels`: with tile 'auto', pictures (padded) of at most this many pixels are one window
     * (they fit the memory and call budgets); `memoryPixels`: how many pixels' inference fits the memory budget.
     */
    private readonly limits: { wholePixels: number; memoryPixels: number },
  ) {}

  static async create(options: EngineOptions = {}): Promise<UpscaleEngine> {
    if (options.tile !== undefined && options.tile !== 'auto') assertPositiveInteger('tile', options.tile)
    if (options.tileOverlap !== undefined && (!Number.isInteger(options.tileOverlap) || options.tileOverlap < 0)) {
      throw invalidArgument('non-negative integer', 'tileOverlap', options.tileOverlap)
    }
    if (options.memoryBudget !== undefined) assertPositiveInteger('memoryBudget', options.memoryBudget)
    if (options.threads !== undefined) assertPositiveInteger('threads', options.threads)
    if (options.callBudgetMs !== undefined) assertPositiveInteger('callBudgetMs', options.callBudgetMs)
    if (options.tta !== undefined && typeof options.tta !== 'boolean') throw invalidArgument('true or false', 'tta', options.tta)
    const model = await ModelSession.load(options)
    const { info } = model
    const builtin = info.receptiveRadius !== undefined && !info.imported
    // A window must at least cover what the model's valid convolutions consume.
    const overlap = Math.max(options.tileOverlap ?? info.receptiveRadius ?? IMPORTED_MODEL_OVERLAP, info.geometry.border)
    const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET
    const memoryPixels = Math.floor(budget / (info.bytesPerPixel ?? (builtin ? BUILTIN_BYTES_PER_PIXEL : IMPORTED_BYTES_PER_PIXEL)))
    const auto = typeof options.tile !== 'number'
    let tile = typeof options.tile === 'number' ? options.tile : Math.max(32, Math.floor(Math.sqrt(memoryPixels)) - 2 * overlap)
    let callPixels = Infinity
    // A fixed-size model's calls are one window each, whatever the tile.
    if (!info.fixedSize) {
      const cost = await msPerInputPixel(model, options.threads ?? 1)
      const callBudget = options.callBudgetMs ?? DEFAULT_CALL_BUDGET_MS
      tile = Math.min(tile, tileForBudget(callBudget, cost, overlap))
      callPixels = callBudget / cost
    }
    return new UpscaleEngine(model, tile, overlap, options.tta ?? false, { wholePixels: auto ? Math.min(memoryPixels, callPixels) : 0, memoryPixels })
  }

  /** The tile size for a picture: the whole picture when it fits the memory and call budgets as one window. */
  private tileFor(width: number, height: number): number {
    return width * height <= this.limits.wholePixels ? Infinity : this.tile
  }

  get info(): ModelInfo {
    return this.model.info
  }

  /** The tile interior in use (input pixels): from `tile`, the memory budget and the call budget. */
  get tileSize(): number {
    return this.tile
  }

  /** Upscales to `target` (default: the model's native scale), keeping alpha and bit depth. */
  async upscale(image: EngineImage, target: TargetSize = {}): Promise<EngineImage> {
    return (await this.upscaleTimed(image, target)).image as EngineImage
  }

  /**
   * Upscales an 8- or 16-bit RGB image by the model's scale to 8- or 10-bit Y'CbCr 4:2:0 with `color`'s
   * matrix and range, as a video encoder takes it. The built-in 2x models convert inside the model,
   * which is also faster than returning RGB (docs/speed.md); other models (and TTA) convert their
   * 16-bit RGB result here. Needs a model whose `info.yuv420` is true (an even scale).
   */
  async upscaleToYuv420(image: EngineImage, color: YuvColor): Promise<Yuv420Image> {
    assertYuvColor('color', color)
    return (await this.upscaleTimed(image, {}, color)).image as Yuv420Image
  }

  /** `upscale`, or with `yuv420` `upscaleToYuv420`, also telling how much of the time went to inference. */
  async upscaleTimed(image: EngineImage, target: TargetSize = {}, yuv420?: YuvColor): Promise<{ image: UpscaledImage; timing: UpscaleTiming }> {
    const started = performance.now()
    this.inferenceMs = 0
    const result = yuv420 ? await this.upscaleYuv420(image, yuv420) : await this.upscaleImage(image, target)
    return { image: result, timing: { inferenceMs: this.inferenceMs, totalMs: performance.now() - started } }
  }

  private async upscaleImage(image: EngineImage, target: TargetSize): Promise<EngineImage> {
    validateImage(image)
    const plan = planOutput(image.width, image.height, this.model.info.scale, target)
    let current = image
    const runPass = (picture: EngineImage) => this.runPass(picture)
    for (let pass = 0; pass < plan.passes; pass++) current = this.tta ? await averageOrientations(current, runPass) : await runPass(current)
    if (current.width !== plan.width || current.height !== plan.height) {
      current = resample(current, plan.width, plan.height, 'lanczos3') as EngineImage
    }
    return current
  }

  /**
   * Makes the image in progress fail (E_CLOSED) before its next tile: a stop then waits for one
   * model call at most, not for every tile of a big image.
   */
  stop(): void {
    this.stopped = true
  }

  async close(): Promise<void> {
    this.stop()
    await this.model.release()
  }

  /**
   * One model pass: the picture padded as the model needs (imported models), colour through the model
   * tile by tile, alpha (when not opaque) as a grey picture through the model or bicubic, as the model says.
   */
  private async runPass(image: EngineImage): Promise<EngineImage> {
    const { geometry, paddingMode, scale, fixedSize, alpha } = this.model.info
    const [paddedWidth, paddedHeight] = [paddedLength(image.width, geometry), paddedLength(image.height, geometry)]
    const tiles = planTiles(image.width, image.height, { tile: this.tileFor(paddedWidth, paddedHeight), overlap: this.overlap, fixedSize, ...geometry })
    const source = padPicture(image, geometry.padding, paddedWidth, paddedHeight, paddingMode)
    const picture = { tiles, padding: geometry.padding, paddedWidth: source.width, paddedHeight: source.height }
    const colour = await this.beginPass(picture, (tile) => readWindow(source, tile, false))
    // An RGB picture that is one window and whose result is the pass's output goes through as it is.
    if (source.channels === 3 && tiles.length === 1 && coversImage(tiles[0], source, image, geometry.border)) return this.infer(source, (window) => colour.run(window, tiles[0]))
    const width = image.width * scale
    const height = image.height * scale
    const data = image.data instanceof Uint8Array ? new Uint8Array(width * height * image.channels) : new Uint16Array(width * height * image.channels)
    const output = { data, width, height, channels: image.channels } as EngineImage
    for (const tile of tiles) writeInterior(output, await this.infer(readWindow(source, tile, false), (window) => colour.run(window, tile)), tile, scale, false)
    if (image.channels === 4 && isOpaque(image)) fillAlpha(output)
    else if (image.channels === 4 && alpha === 'bicubic') writeAlpha(output, resample(alphaPlane(image), width, height, 'bicubic-a075'))
    else if (image.channels === 4) {
      const grey = await this.beginPass(picture, (tile) => readWindow(source, tile, true))
      for (const tile of tiles) writeInterior(output, await this.infer(readWindow(source, tile, true), (window) => grey.run(window, tile)), tile, scale, true)
    }
    return output
  }

  /**
   * One model pass to Y'CbCr 4:2:0: in the model, tile by tile (the planes of each tile's interior are
   * copied row by row), or from the RGB pass's 16-bit result, so that the only rounding is the last one.
   */
  private async upscaleYuv420(image: EngineImage, color: YuvColor): Promise<Yuv420Image> {
    validateImage(image)
    if (image.channels !== 3) throw invalidArgument('3 (RGB: yuv420p output has no alpha)', 'image.channels', image.channels)
    const { id, scale, yuv420 } = this.model.info
    if (!yuv420) throw new UpscaleError('E_INVALID_ARGUMENT', `Model ${id} upscales ${scale}x, an odd scale: yuv420p output needs an even one; upscale to RGB instead`)
    if (this.tta || !this.model.convertsToYuv420) return rgbToYuv420(await this.upscaleImage(toSixteenBits(image), {}), color)
    const tiles = planTiles(image.width, image.height, { tile: this.tileFor(image.width, image.height), overlap: this.overlap, fixedSize: this.model.info.fixedSize })
    const toYuv = (window: RgbImage) => this.model.runYuv420(window, color)
    if (tiles.length === 1 && coversImage(tiles[0], image, image, 0)) return this.infer(image, toYuv)
    const [width, height] = [2 * image.width, 2 * image.height]
    const samples = (width * height * 3) / 2
    const output: Yuv420Image = { format: yuv420Format(color), data: color.bitDepth === 10 ? new Uint16Array(samples) : new Uint8Array(samples), width, height, ...color }
    for (const tile of tiles) writeYuvInterior(output, await this.infer(readWindow(image, tile, false), toYuv), tile)
    return output
  }

  /** Starts a model pass over a picture's windows, counting the inference it runs up front (global poolings). */
  private async beginPass(picture: PicturePlan, read: (tile: Tile) => RgbImage): Promise<ModelPass> {
    const before = this.model.inferenceMs
    const pass = await this.model.beginPass(picture, read, { hold: picture.paddedWidth * picture.paddedHeight <= this.limits.memoryPixels })
    this.inferenceMs += this.model.inferenceMs - before
    return pass
  }

  /** Runs the model on one window, counting its inference time and checking the output size. */
  private async infer<T extends { width: number; height: number }>(window: RgbImage, run: (window: RgbImage) => Promise<T>): Promise<T> {
    if (this.stopped) throw new UpscaleError('E_CLOSED', 'The upscaler was stopped before this image was done')
    const before = this.model.inferenceMs
    const result = await run(window)
    this.inferenceMs += this.model.inferenceMs - before
    const { scale, geometry } = this.model.info
    const [width, height] = [(window.width - 2 * geometry.border) * scale, (window.height - 2 * geometry.border) * scale]
    if (result.width !== width || result.height !== height) {
      throw new UpscaleError('E_MODEL_UNSUPPORTED', `Model ${this.model.info.id} turned a ${window.width}x${window.height} tile into ${result.width}x${result.height}; expected ${width}x${height}`)
    }
    return result
  }
}

export function validateImage(image: EngineImage): void {
  assertPositiveInteger('image.width', image.width)
  assertPositiveInteger('image.height', image.height)
  if (image.channels !== 3 && image.channels !== 4) throw invalidArgument('3 (RGB) or 4 (RGBA)', 'image.channels', image.channels)
  if (!(image.data instanceof Uint8Array) && !(image.data instanceof Uint16Array)) {
    throw invalidArgument('Uint8Array or Uint16Array', 'image.data', image.data)
  }
  const expected = image.width * image.height * image.channels
  if (image.data.length !== expected) {
    throw new UpscaleError('E_INVALID_ARGUMENT', `Expected ${expected} samples for a ${image.width}x${image.height}x${image.channels} image but received ${image.data.length}`)
  }
}

/** 8-bit samples as 16-bit ones (v·257, the same value); 16-bit images as they are. */
function toSixteenBits(image: EngineImage): EngineImage {
  return image.data instanceof Uint16Array ? image : { ...image, data: Uint16Array.from(image.data, (value) => value * 257) }
}

function maxSample(image: EngineImage): number {
  return image.data instanceof Uint8Array ? 255 : 65535
}

function isOpaque(image: EngineImage): boolean {
  const max = maxSample(image)
  const { data } = image
  for (let i = 3; i < data.length; i += 4) if (data[i] !== max) return false
  return true
}

function fillAlpha(image: EngineImage): void {
  const max = maxSample(image)
  const { data } = image
  for (let i = 3; i < data.length; i += 4) data[i] = max
}

/** True when the tile's window is all of `source` and its result is exactly the pass's output for `image`. */
function coversImage(tile: Tile, source: EngineImage, image: EngineImage, border: number): boolean {
  const whole = tile.windowX === 0 && tile.windowY === 0 && tile.windowWidth === source.width && tile.windowHeight === source.height
  return whole && tile.resultX === 0 && tile.resultY === 0 && source.width - 2 * border === image.width && source.height - 2 * border === image.height
}

/** The alpha channel of an RGBA image as a one-channel image. */
function alphaPlane(image: EngineImage): EngineImage {
  const plane = image.data instanceof Uint8Array ? new Uint8Array(image.width * image.height) : new Uint16Array(image.width * image.height)
  for (let i = 0; i < plane.length; i++) plane[i] = image.data[4 * i + 3]
  return { data: plane, width: image.width, height: image.height, channels: 1 }
}

function writeAlpha(image: EngineImage, alpha: EngineImage): void {
  for (let i = 0; i < alpha.data.length; i++) image.data[4 * i + 3] = alpha.data[i]
}

/**
 * The tile's window as an RGB image (rows copied whole where possible); for the alpha pass, alpha
 * repeated into R, G and B. Coordinates are clamped: fixed-size models may need a window larger
 * than the image.
 */
export function readWindow(image: EngineImage, tile: Tile, alpha: boolean): RgbImage {
  const { data, width, height, channels } = image
  const { windowX, windowY, windowWidth: w, windowHeight: h } = tile
  const window = data instanceof Uint8Array ? new Uint8Array(w * h * 3) : new Uint16Array(w * h * 3)
  // Columns inside the image; any others repeat the last column.
  const inside = Math.min(w, width - windowX)
  for (let y = 0; y < h; y++) {
    const sourceRow = Math.min(height - 1, windowY + y) * width
    const row = y * w * 3
    if (channels === 3 && !alpha) {
      window.set(data.subarray((sourceRow + windowX) * 3, (sourceRow + windowX + inside) * 3), row)
    }
    for (let x = channels === 3 && !alpha ? inside : 0; x < w; x++) {
      const s = (sourceRow + Math.min(width - 1, windowX + x)) * channels
      const d = row + x * 3
      if (alpha) {
        window[d] = window[d + 1] = window[d + 2] = data[s + 3]
      } else {
        window[d] = data[s]
        window[d + 1] = data[s + 1]
        window[d + 2] = data[s + 2]
      }
    }
  }
  return { data: window, width: w, height: h, channels: 3 }
}

/**
 * Writes the tile's interior from a Y'CbCr 4:2:0 result of its window at the model's scale (any even
 * scale: the result is that many times the window's width): luma rows at that scale, chroma rows at
 * half of it.
 */
export function writeYuvInterior(output: Yuv420Image, result: Yuv420Image, tile: Tile): void {
  const lumaScale = result.width / tile.windowWidth
  const copyRows = (planeOffset: number, resultOffset: number, scale: number) => {
    const [width, resultWidth] = [(output.width * scale) / lumaScale, (result.width * scale) / lumaScale]
    const [x0, length] = [tile.x0 * scale, (tile.x1 - tile.x0) * scale]
    for (let y = tile.y0 * scale; y < tile.y1 * scale; y++) {
      const from = resultOffset + (y - tile.resultY * scale) * resultWidth + x0 - tile.resultX * scale
      output.data.set(result.data.subarray(from, from + length), planeOffset + y * width + x0)
    }
  }
  const [luma, resultLuma] = [output.width * output.height, result.width * result.height]
  copyRows(0, 0, lumaScale)
  copyRows(luma, resultLuma, lumaScale / 2)
  copyRows((luma * 5) / 4, (resultLuma * 5) / 4, lumaScale / 2)
}

/** Writes the tile's interior from the model's result: whole rows for RGB, the mean of R, G and B for the alpha pass. */
export function writeInterior(output: EngineImage, result: RgbImage, tile: Tile, scale: number, alpha: boolean): void {
  const { width, channels, data } = output
  const x0 = tile.x0 * scale
  const x1 = tile.x1 * scale
  const offsetX = tile.resultX * scale
  for (let y = tile.y0 * scale; y < tile.y1 * scale; y++) {
    const row = (y - tile.resultY * scale) * result.width - offsetX
    if (channels === 3) {
      data.set(result.data.subarray((row + x0) * 3, (row + x1) * 3), (y * width + x0) * 3)
      continue
    }
    for (let x = x0; x < x1; x++) {
      const s = (row + x) * 3
      const d = (y * width + x) * 4
      if (alpha) {
        data[d + 3] = Math.round((result.data[s] + result.data[s + 1] + result.data[s + 2]) / 3)
      } else {
        data[d] = result.data[s]
        data[d + 1] = result.data[s + 1]
        data[d + 2] = result.data[s + 2]
      }
    }
  }
}

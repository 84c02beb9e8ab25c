import { UpscaleError, assertPositiveInteger, invalidArgument } from './errors'
import { resample } from './resample'
import { ModelSession, type ModelInfo, type SessionOptions } from './session'
import { planOutput, type TargetSize } from './target'
import { planTiles, type Tile } from './tiling'
import type { RawImage } from './types'

/** Images the engine accepts and returns: 8- or 16-bit RGB or RGBA. */
export type EngineImage = RawImage<Uint8Array | Uint16Array>

export interface EngineOptions extends SessionOptions {
  /** Tile interior in input pixels, or 'auto' (default) to size tiles from `memoryBudget`. */
  tile?: number | 'auto'
  /** Context pixels around each tile; default: the model's receptive radius, or 32 for imported models. */
  tileOverlap?: number
  /** Bytes one tile's inference may use when `tile` is 'auto'. Default 1 GiB. */
  memoryBudget?: number
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

  private constructor(
    private readonly model: ModelSession,
    private readonly tile: number,
    private readonly overlap: number,
  ) {}

  static async create(options: EngineOptions = {}): Promise<UpscaleEngine> {
    if (options.tile !== undefined && options.tile !== 'auto') assertPositiveInteger('tile', options.tile)
    if (options.tileOverlap !== undefined && (!Number.isInteger(options.tileOverlap) || options.tileOverlap < 0)) {
      throw invalidArgument('non-negative integer', 'tileOverlap', options.tileOverlap)
    }
    if (options.memoryBudget !== undefined) assertPositiveInteger('memoryBudget', options.memoryBudget)
    if (options.threads !== undefined) assertPositiveInteger('threads', options.threads)
    const model = await ModelSession.load(options)
    const builtin = model.info.receptiveRadius !== undefined
    const overlap = options.tileOverlap ?? model.info.receptiveRadius ?? IMPORTED_MODEL_OVERLAP
    let tile: number
    if (typeof options.tile === 'number') {
      tile = options.tile
    } else {
      const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET
      const pixels = budget / (builtin ? BUILTIN_BYTES_PER_PIXEL : IMPORTED_BYTES_PER_PIXEL)
      tile = Math.max(32, Math.floor(Math.sqrt(pixels)) - 2 * overlap)
    }
    return new UpscaleEngine(model, tile, overlap)
  }

  get info(): ModelInfo {
    return this.model.info
  }

  /** Upscales to `target` (default: the model's native scale), keeping alpha and bit depth. */
  async upscale(image: EngineImage, target: TargetSize = {}): Promise<EngineImage> {
    return (await this.upscaleTimed(image, target)).image
  }

  /** `upscale`, also telling how much of the time went to inference. */
  async upscaleTimed(image: EngineImage, target: TargetSize = {}): Promise<{ image: EngineImage; timing: UpscaleTiming }> {
    const started = performance.now()
    this.inferenceMs = 0
    const result = await this.upscaleImage(image, target)
    return { image: result, timing: { inferenceMs: this.inferenceMs, totalMs: performance.now() - started } }
  }

  private async upscaleImage(image: EngineImage, target: TargetSize): Promise<EngineImage> {
    validateImage(image)
    const plan = planOutput(image.width, image.height, this.model.info.scale, target)
    let current = image
    for (let pass = 0; pass < plan.passes; pass++) current = await this.runPass(current)
    if (current.width !== plan.width || current.height !== plan.height) {
      current = resample(current, plan.width, plan.height, 'lanczos3') as EngineImage
    }
    return current
  }

  async close(): Promise<void> {
    await this.model.release()
  }

  /** One model pass: colour through the model tile by tile, alpha (when not opaque) as a grey image. */
  private async runPass(image: EngineImage): Promise<EngineImage> {
    const { scale } = this.model.info
    const width = image.width * scale
    const height = image.height * scale
    const data = image.data instanceof Uint8Array ? new Uint8Array(width * height * image.channels) : new Uint16Array(width * height * image.channels)
    const output = { data, width, height, channels: image.channels } as EngineImage
    const tiles = planTiles(image.width, image.height, { tile: this.tile, overlap: this.overlap, fixedSize: this.model.info.fixedSize })
    const opaque = image.channels === 4 && isOpaque(image)
    for (const tile of tiles) {
      await this.runTile(image, output, tile, false)
      if (image.channels === 4 && !opaque) await this.runTile(image, output, tile, true)
    }
    if (opaque) fillAlpha(output)
    return output
  }

  private async runTile(image: EngineImage, output: EngineImage, tile: Tile, alpha: boolean): Promise<void> {
    const planes = readWindow(image, tile, alpha)
    const started = performance.now()
    const result = await this.model.run(planes, tile.windowWidth, tile.windowHeight)
    this.inferenceMs += performance.now() - started
    const { scale } = this.model.info
    if (result.width !== tile.windowWidth * scale || result.height !== tile.windowHeight * scale) {
      throw new UpscaleError('E_MODEL_UNSUPPORTED', `Model ${this.model.info.id} turned a ${tile.windowWidth}x${tile.windowHeight} tile into ${result.width}x${result.height}; expected ${scale}x`)
    }
    writeInterior(output, result.planes, result.width, result.height, tile, scale, alpha)
  }
}

function validateImage(image: EngineImage): void {
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

/** The tile's window as NCHW float planes in 0..1; the alpha channel is repeated into R, G and B. */
function readWindow(image: EngineImage, tile: Tile, alpha: boolean): Float32Array {
  const { data, width, height, channels } = image
  const { windowX, windowY, windowWidth: w, windowHeight: h } = tile
  const plane = w * h
  const planes = new Float32Array(3 * plane)
  const inv = 1 / maxSample(image)
  for (let y = 0; y < h; y++) {
    // Clamping only matters for fixed-size models whose window is larger than the image.
    const sy = Math.min(height - 1, windowY + y)
    for (let x = 0; x < w; x++) {
      const sx = Math.min(width - 1, windowX + x)
      const s = (sy * width + sx) * channels
      const d = y * w + x
      if (alpha) {
        const a = data[s + 3] * inv
        planes[d] = a
        planes[plane + d] = a
        planes[2 * plane + d] = a
      } else {
        planes[d] = data[s] * inv
        planes[plane + d] = data[s + 1] * inv
        planes[2 * plane + d] = data[s + 2] * inv
      }
    }
  }
  return planes
}

/** Writes the tile's interior from the model's output planes, rounded and clamped to the sample range. */
function writeInterior(output: EngineImage, planes: Float32Array, planeWidth: number, planeHeight: number, tile: Tile, scale: number, alpha: boolean): void {
  const { width, channels } = output
  const max = maxSample(output)
  const plane = planeWidth * planeHeight
  // Uint8ClampedArray rounds and clamps on assignment: no per-sample branches for 8-bit output.
  const target = output.data instanceof Uint8Array ? new Uint8ClampedArray(output.data.buffer, output.data.byteOffset, output.data.length) : output.data
  const clamp16 = !(output.data instanceof Uint8Array)
  const x0 = tile.x0 * scale
  const x1 = tile.x1 * scale
  const offsetX = tile.windowX * scale
  for (let y = tile.y0 * scale; y < tile.y1 * scale; y++) {
    const row = (y - tile.windowY * scale) * planeWidth - offsetX
    for (let x = x0; x < x1; x++) {
      const p = row + x
      const d = (y * width + x) * channels
      if (alpha) {
        const a = ((planes[p] + planes[plane + p] + planes[2 * plane + p]) / 3) * max
        target[d + 3] = clamp16 ? clampRound(a, max) : a
      } else if (clamp16) {
        target[d] = clampRound(planes[p] * max, max)
        target[d + 1] = clampRound(planes[plane + p] * max, max)
        target[d + 2] = clampRound(planes[2 * plane + p] * max, max)
      } else {
        target[d] = planes[p] * max
        target[d + 1] = planes[plane + p] * max
        target[d + 2] = planes[2 * plane + p] * max
      }
    }
  }
}

function clampRound(value: number, max: number): number {
  return value <= 0 ? 0 : value >= max ? max : Math.round(value)
}

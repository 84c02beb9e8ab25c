import type { PixelData, RawImage } from './types'

/**
 * Centred, separable image resampling.
 *
 * Conventions (the same as OpenCV / Pillow / ffmpeg with accurate rounding, unlike libvips' enlargers):
 * - Pixel centres sit at half-integer positions: destination pixel `i` maps to source coordinate
 *   `(i + 0.5) / scale - 0.5`.
 * - Samples outside the image take the value of the nearest edge pixel (clamped edges).
 * - When shrinking, the kernel is widened by `1 / scale` so it also low-pass filters (antialiasing).
 *   Weights of every destination pixel are normalised to sum to 1.
 * - `area` averages each destination pixel's footprint exactly over the source pixels it covers
 *   (an exact block mean for integer factors, pixel mixing when enlarging).
 * - Integer samples are rounded and clamped to their range; float samples are not clamped.
 */
export type ResampleKernel = 'bilinear' | 'bicubic' | 'bicubic-a075' | 'lanczos3' | 'area'

const KERNELS: readonly ResampleKernel[] = ['bilinear', 'bicubic', 'bicubic-a075', 'lanczos3', 'area']

/** Half-width of each kernel at scale 1 (in source pixels). */
const KERNEL_RADIUS: Record<ResampleKernel, number> = { bilinear: 1, bicubic: 2, 'bicubic-a075': 2, lanczos3: 3, area: 0.5 }

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (ArrayBuffer.isView(value)) return (value as object).constructor.name
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Expected positive integer for ${name} but received ${describe(value)}`)
  }
}

function bilinear(x: number): number {
  x = Math.abs(x)
  return x < 1 ? 1 - x : 0
}

/** Keys cubic convolution with a = -0.5 (Catmull-Rom), or another `a` (−0.75: OpenCV's, PyTorch's and ncnn's bicubic). */
function bicubic(x: number, a = -0.5): number {
  x = Math.abs(x)
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
  return 0
}

function lanczos3(x: number): number {
  x = Math.abs(x)
  if (x < 1e-12) return 1
  if (x >= 3) return 0
  const px = Math.PI * x
  const w = (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px)
  // sin(k*pi) is not exactly 0 in floating point: snap the zeros so identity taps collapse to one.
  return Math.abs(w) < 1e-12 ? 0 : w
}

/**
 * Taps of one axis: destination pixel `i` reads the `taps` consecutive source pixels `index[i*taps + t]`
 * (= index[i*taps] + t, all inside the image) with weights `weight[i*taps + t]` that sum to 1 (edge clamping is
 * folded into the weights).
 */
interface AxisTaps {
  taps: number
  index: Int32Array
  weight: Float32Array
}

function computeAxisTaps(srcSize: number, dstSize: number, kernel: ResampleKernel): AxisTaps {
  const scale = dstSize / srcSize
  // Unpadded taps first (start + count per destination), then packed with a fixed stride.
  const starts = new Int32Array(dstSize)
  const counts = new Int32Array(dstSize)
  let maxCount = 0

  if (kernel === 'area') {
    // Exact overlap of the destination footprint [i/scale, (i+1)/scale) with source pixels [j, j+1).
    const inv = srcSize / dstSize
    const bound = Math.ceil(inv) + 2
    const raw = new Float64Array(dstSize * bound)
    for (let i = 0; i < dstSize; i++) {
      const lo = i * inv
      const hi = Math.min((i + 1) * inv, srcSize)
      let first = Math.floor(lo)
      let last = Math.min(Math.ceil(hi) - 1, srcSize - 1)
      if (first > last) first = last
      // Drop slivers left by floating-point error at both ends.
      while (first < last && Math.min(hi, first + 1) - lo < 1e-9) first++
      while (last > first && hi - Math.max(lo, last) < 1e-9) last--
      const count = last - first + 1
      let sum = 0
      for (let t = 0; t < count; t++) {
        const j = first + t
        const w = Math.max(Math.min(hi, j + 1) - Math.max(lo, j), 0)
        raw[i * bound + t] = w
        sum += w
      }
      if (sum > 0) for (let t = 0; t < count; t++) raw[i * bound + t] /= sum
      else for (let t = 0; t < count; t++) raw[i * bound + t] = 1 / count
      starts[i] = first
      counts[i] = count
      if (count > maxCount) maxCount = count
    }
    return pack(raw, bound, starts, counts, maxCount, srcSize)
  }

  const fn = kernel === 'bilinear' ? bilinear : kernel === 'bicubic' ? bicubic : kernel === 'bicubic-a075' ? (x: number) => bicubic(x, -0.75) : lanczos3
  const filterScale = scale < 1 ? 1 / scale : 1
  const radius = KERNEL_RADIUS[kernel] * filterScale
  const bound = Math.ceil(2 * radius) + 2
  const raw = new Float64Array(dstSize * bound)
  for (let i = 0; i < dstSize; i++) {
    const centre = (i + 0.5) / scale - 0.5
    const jMin = Math.floor(centre - radius)
    const jMax = Math.ceil(centre + radius)
    // Trim zero weights at both ends of the candidate range.
    let first = jMin
    let last = jMax
    while (first < last && fn((first - centre) / filterScale) === 0) first++
    while (last > first && fn((last - centre) / filterScale) === 0) last--
    const count = last - first + 1
    let sum = 0
    for (let t = 0; t < count; t++) {
      const w = fn((first + t - centre) / filterScale)
      raw[i * bound + t] = w
      sum += w
    }
    if (sum !== 0) for (let t = 0; t < count; t++) raw[i * bound + t] /= sum
    else raw[i * bound] = 1
    starts[i] = first
    counts[i] = count
    if (count > maxCount) maxCount = count
  }
  return pack(raw, bound, starts, counts, maxCount, srcSize)
}

function pack(
  raw: Float64Array,
  bound: number,
  starts: Int32Array,
  counts: Int32Array,
  maxCount: number,
  srcSize: number,
): AxisTaps {
  // Clamped edges: weights of taps outside the image are merged onto the edge pixel. All weight then lies
  // within the image, on at most min(maxCount, srcSize) consecutive pixels, so every destination gets a window
  // of `taps` consecutive in-bounds source pixels (index[k + t] = index[k] + t), zero-padded.
  const taps = Math.min(maxCount, srcSize)
  const dstSize = starts.length
  const index = new Int32Array(dstSize * taps)
  const weight = new Float32Array(dstSize * taps)
  const merged = new Float64Array(srcSize < maxCount + 2 ? srcSize : maxCount + 2)
  const last = srcSize - 1
  for (let i = 0; i < dstSize; i++) {
    const start = starts[i]
    const count = counts[i]
    // Merged weights over pixels lo..hi.
    const lo = start < 0 ? 0 : start > last ? last : start
    let hi = start + count - 1
    hi = hi < 0 ? 0 : hi > last ? last : hi
    merged.fill(0, 0, hi - lo + 1)
    for (let t = 0; t < count; t++) {
      let j = start + t
      j = j < 0 ? 0 : j > last ? last : j
      merged[j - lo] += raw[i * bound + t]
    }
    const windowStart = Math.max(0, Math.min(lo, srcSize - taps))
    for (let t = 0; t < taps; t++) {
      const j = windowStart + t
      index[i * taps + t] = j
      weight[i * taps + t] = j >= lo && j <= hi ? merged[j - lo] : 0
    }
  }
  return { taps, index, weight }
}

/**
 * Horizontal pass: `rows` rows of `src` (srcW * C samples) → rows of `out` (dstW * C samples).
 * With `max` > 0 outputs are rounded and clamped to 0..max.
 * Each row is a call of a small function, so V8 optimises the inner loops early and with full type feedback.
 */
function horizontalPass(
  src: PixelData,
  rows: number,
  srcW: number,
  dstW: number,
  channels: number,
  axis: AxisTaps,
  out: PixelData,
  max: number,
): void {
  const { taps, index, weight } = axis
  const srcRow = srcW * channels
  const dstRow = dstW * channels
  if (max > 0) {
    for (let y = 0; y < rows; y++) rowN(src, y * srcRow, out, y * dstRow, dstW, channels, taps, index, weight, max)
  } else if (channels === 3) {
    for (let y = 0; y < rows; y++) row3(src, y * srcRow, out, y * dstRow, dstW, taps, index, weight)
  } else if (channels === 4) {
    for (let y = 0; y < rows; y++) row4(src, y * srcRow, out, y * dstRow, dstW, taps, index, weight)
  } else {
    for (let y = 0; y < rows; y++) rowN(src, y * srcRow, out, y * dstRow, dstW, channels, taps, index, weight, 0)
  }
}

// Deliberate near-copies: row3, row4 and rowN differ only in their channel count. Written out, each
// inner loop has a constant stride V8 can optimise (measured faster than one generic loop).

/** One row, 3 channels, float output. */
function row3(
  src: PixelData,
  so: number,
  out: PixelData,
  o: number,
  dstW: number,
  taps: number,
  index: Int32Array,
  weight: Float32Array,
): void {
  for (let x = 0, k = 0; x < dstW; x++, k += taps) {
    let s0 = 0
    let s1 = 0
    let s2 = 0
    for (let t = 0, p = so + index[k] * 3; t < taps; t++, p += 3) {
      const w = weight[k + t]
      s0 += w * src[p]
      s1 += w * src[p + 1]
      s2 += w * src[p + 2]
    }
    out[o++] = s0
    out[o++] = s1
    out[o++] = s2
  }
}

/** One row, 4 channels, float output. */
function row4(
  src: PixelData,
  so: number,
  out: PixelData,
  o: number,
  dstW: number,
  taps: number,
  index: Int32Array,
  weight: Float32Array,
): void {
  for (let x = 0, k = 0; x < dstW; x++, k += taps) {
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    for (let t = 0, p = so + index[k] * 4; t < taps; t++, p += 4) {
      const w = weight[k + t]
      s0 += w * src[p]
      s1 += w * src[p + 1]
      s2 += w * src[p + 2]
      s3 += w * src[p + 3]
    }
    out[o++] = s0
    out[o++] = s1
    out[o++] = s2
    out[o++] = s3
  }
}

/** One row, any channel count; rounded and clamped to 0..max when max > 0. */
function rowN(
  src: PixelData,
  so: number,
  out: PixelData,
  o: number,
  dstW: number,
  channels: number,
  taps: number,
  index: Int32Array,
  weight: Float32Array,
  max: number,
): void {
  for (let x = 0, k = 0; x < dstW; x++, k += taps) {
    for (let c = 0; c < channels; c++) {
      let s = 0
      for (let t = 0, p = so + index[k] * channels + c; t < taps; t++, p += channels) s += weight[k + t] * src[p]
      if (max > 0) {
        const r = (s + 0.5) | 0
        out[o++] = r < 0 ? 0 : r > max ? max : r
      } else {
        out[o++] = s
      }
    }
  }
}

/**
 * Vertical pass: rows of `src` (rowLen samples each) → `dst` rows, accumulating whole rows so memory is
 * read sequentially. Integer outputs are rounded and clamped.
 */
function verticalPass(
  src: PixelData,
  rowLen: number,
  dstH: number,
  axis: AxisTaps,
  acc: Float64Array,
  dst: PixelData,
  max: number,
): void {
  const { taps, index, weight } = axis
  for (let y = 0, k = 0; y < dstH; y++, k += taps) {
    // Whole-row accumulation, up to four source rows per sweep; the last sweep also rounds and stores.
    const lastChunk = taps <= 4 ? 0 : (taps - 1) & ~3
    if (lastChunk === 0) acc.fill(0, 0, rowLen)
    for (let t = 0; t < lastChunk; t += 4) {
      const n = taps - t < 4 ? taps - t : 4
      accumulateRows(src, rowLen, index, weight, k + t, n, acc, t === 0)
    }
    finishRows(src, rowLen, index, weight, k + lastChunk, taps - lastChunk, acc, dst, y * rowLen, max)
  }
}

/** dst[o ..] = acc + the sum of the last `n` (1..4) weighted source rows from tap `j`; rounded and clamped when max > 0. */
function finishRows(
  src: PixelData,
  rowLen: number,
  index: Int32Array,
  weight: Float32Array,
  j: number,
  n: number,
  acc: Float64Array,
  dst: PixelData,
  o: number,
  max: number,
): void {
  const w0 = weight[j]
  // Source rows are consecutive: row index[j] + t starts at sample (index[j] + t) * rowLen.
  const o0 = index[j] * rowLen
  const w1 = n > 1 ? weight[j + 1] : 0
  const o1 = n > 1 ? o0 + rowLen : o0
  const w2 = n > 2 ? weight[j + 2] : 0
  const o2 = n > 2 ? o1 + rowLen : o0
  const w3 = n > 3 ? weight[j + 3] : 0
  const o3 = n > 3 ? o2 + rowLen : o0
  if (max <= 0) {
    if (n === 1) for (let i = 0; i < rowLen; i++) dst[o + i] = acc[i] + w0 * src[o0 + i]
    else if (n === 2) for (let i = 0; i < rowLen; i++) dst[o + i] = acc[i] + w0 * src[o0 + i] + w1 * src[o1 + i]
    else if (n === 3)
      for (let i = 0; i < rowLen; i++) dst[o + i] = acc[i] + w0 * src[o0 + i] + w1 * src[o1 + i] + w2 * src[o2 + i]
    else
      for (let i = 0; i < rowLen; i++)
        dst[o + i] = acc[i] + w0 * src[o0 + i] + w1 * src[o1 + i] + w2 * src[o2 + i] + w3 * src[o3 + i]
    return
  }
  if (n === 1) {
    for (let i = 0; i < rowLen; i++) {
      const r = (acc[i] + w0 * src[o0 + i] + 0.5) | 0
      dst[o + i] = r < 0 ? 0 : r > max ? max : r
    }
  } else if (n === 2) {
    for (let i = 0; i < rowLen; i++) {
      const r = (acc[i] + w0 * src[o0 + i] + w1 * src[o1 + i] + 0.5) | 0
      dst[o + i] = r < 0 ? 0 : r > max ? max : r
    }
  } else if (n === 3) {
    for (let i = 0; i < rowLen; i++) {
      const r = (acc[i] + w0 * src[o0 + i] + w1 * src[o1 + i] + w2 * src[o2 + i] + 0.5) | 0
      dst[o + i] = r < 0 ? 0 : r > max ? max : r
    }
  } else {
    for (let i = 0; i < rowLen; i++) {
      const r = (acc[i] + w0 * src[o0 + i] + w1 * src[o1 + i] + w2 * src[o2 + i] + w3 * src[o3 + i] + 0.5) | 0
      dst[o + i] = r < 0 ? 0 : r > max ? max : r
    }
  }
}

/** acc (=|+=) sum of `n` (1..4) weighted source rows starting at tap `j`. */
function accumulateRows(
  src: PixelData,
  rowLen: number,
  index: Int32Array,
  weight: Float32Array,
  j: number,
  n: number,
  acc: Float64Array,
  assign: boolean,
): void {
  const w0 = weight[j]
  const o0 = index[j] * rowLen
  if (n === 1) {
    if (assign) for (let i = 0; i < rowLen; i++) acc[i] = w0 * src[o0 + i]
    else for (let i = 0; i < rowLen; i++) acc[i] += w0 * src[o0 + i]
    return
  }
  const w1 = weight[j + 1]
  const o1 = o0 + rowLen
  if (n === 2) {
    if (assign) for (let i = 0; i < rowLen; i++) acc[i] = w0 * src[o0 + i] + w1 * src[o1 + i]
    else for (let i = 0; i < rowLen; i++) acc[i] += w0 * src[o0 + i] + w1 * src[o1 + i]
    return
  }
  const w2 = weight[j + 2]
  const o2 = o1 + rowLen
  if (n === 3) {
    if (assign) for (let i = 0; i < rowLen; i++) acc[i] = w0 * src[o0 + i] + w1 * src[o1 + i] + w2 * src[o2 + i]
    else for (let i = 0; i < rowLen; i++) acc[i] += w0 * src[o0 + i] + w1 * src[o1 + i] + w2 * src[o2 + i]
    return
  }
  const w3 = weight[j + 3]
  const o3 = o2 + rowLen
  if (assign) {
    for (let i = 0; i < rowLen; i++) acc[i] = w0 * src[o0 + i] + w1 * src[o1 + i] + w2 * src[o2 + i] + w3 * src[o3 + i]
  } else {
    for (let i = 0; i < rowLen; i++) acc[i] += w0 * src[o0 + i] + w1 * src[o1 + i] + w2 * src[o2 + i] + w3 * src[o3 + i]
  }
}

function sampleMax(data: PixelData): number {
  if (data instanceof Uint8Array) return 255
  if (data instanceof Uint16Array) return 65535
  return 0
}

/**
 * Resamples `image` to `width` x `height` with a centred separable kernel (default `lanczos3`).
 * Returns a new image of the same sample type and channel count.
 */
export function resample<T extends PixelData>(
  image: RawImage<T>,
  width: number,
  height: number,
  kernel?: ResampleKernel,
): RawImage<T>
/** Overload for images whose sample type is only known as a union (returns the same type as it receives). */
export function resample(image: RawImage, width: number, height: number, kernel?: ResampleKernel): RawImage
export function resample<T extends PixelData>(
  image: RawImage<T>,
  width: number,
  height: number,
  kernel: ResampleKernel = 'lanczos3',
): RawImage<T> {
  if (image === null || typeof image !== 'object') {
    throw new TypeError(`Expected image to be a RawImage object but received ${describe(image)}`)
  }
  const { data, channels } = image
  if (!(data instanceof Uint8Array || data instanceof Uint16Array || data instanceof Float32Array)) {
    throw new TypeError(`Expected image.data to be a Uint8Array, Uint16Array or Float32Array but received ${describe(data)}`)
  }
  assertPositiveInteger('image.width', image.width)
  assertPositiveInteger('image.height', image.height)
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new RangeError(`Expected image.channels 1, 2, 3 or 4 but received ${describe(channels)}`)
  }
  const srcW = image.width
  const srcH = image.height
  const expected = srcW * srcH * channels
  if (data.length !== expected) {
    throw new RangeError(
      `Expected image.data length ${expected} (width ${srcW} x height ${srcH} x channels ${channels}) but received ${data.length}`,
    )
  }
  assertPositiveInteger('width', width)
  assertPositiveInteger('height', height)
  if (!KERNELS.includes(kernel)) {
    throw new RangeError(`Expected kernel 'bilinear', 'bicubic', 'bicubic-a075', 'lanczos3' or 'area' but received ${describe(kernel)}`)
  }

  const Ctor = data.constructor as new (length: number) => T
  if (width === srcW && height === srcH) {
    return { data: data.slice() as T, width, height, channels }
  }

  const max = sampleMax(data)
  const out = new Ctor(width * height * channels)
  const xTaps = axisTaps(srcW, width, kernel)
  const yTaps = axisTaps(srcH, height, kernel)

  // Run the cheaper order: horizontal over the srcH source rows then vertical, or vertical then horizontal
  // over the `height` output rows. Either way the intermediate is a Float32Array.
  const costHFirst = srcH * width * xTaps.taps + height * width * yTaps.taps
  const costVFirst = height * srcW * yTaps.taps + height * width * xTaps.taps
  if (costHFirst <= costVFirst) {
    const rowLen = width * channels
    const mid = scratch(srcH * rowLen)
    horizontalPass(data, srcH, srcW, width, channels, xTaps, mid, 0)
    verticalPass(mid, rowLen, height, yTaps, accumulator(rowLen), out, max)
  } else {
    const rowLen = srcW * channels
    const mid = scratch(height * rowLen)
    verticalPass(data, rowLen, height, yTaps, accumulator(rowLen), mid, 0)
    horizontalPass(mid, height, srcW, width, channels, xTaps, out, max)
  }
  return { data: out, width, height, channels }
}

// Reused between calls (resample is synchronous, so never shared by two calls at once): video frames of one
// geometry then cost no tap computation, and the intermediate is not re-allocated and page-faulted per frame.
const tapCache = new Map<string, AxisTaps>()
const TAP_CACHE_SIZE = 8
let scratchBuffer = new Float32Array(0)
let accBuffer = new Float64Array(0)
/** Intermediates up to this many samples (64 MiB) are kept for reuse; larger ones are allocated per call. */
const SCRATCH_KEEP = 16 * 1024 * 1024

/** Taps of one axis, cached by geometry. */
function axisTaps(srcSize: number, dstSize: number, kernel: ResampleKernel): AxisTaps {
  const key = `${srcSize}:${dstSize}:${kernel}`
  let taps = tapCache.get(key)
  if (!taps) {
    taps = computeAxisTaps(srcSize, dstSize, kernel)
    if (tapCache.size >= TAP_CACHE_SIZE) tapCache.delete(tapCache.keys().next().value as string)
    tapCache.set(key, taps)
  }
  return taps
}

function scratch(length: number): Float32Array {
  if (length > SCRATCH_KEEP) return new Float32Array(length)
  if (scratchBuffer.length < length) scratchBuffer = new Float32Array(length)
  return scratchBuffer.length === length ? scratchBuffer : scratchBuffer.subarray(0, length)
}

function accumulator(length: number): Float64Array {
  if (accBuffer.length < length) accBuffer = new Float64Array(length)
  return accBuffer
}

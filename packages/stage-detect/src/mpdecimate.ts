// The default detector: ffmpeg's mpdecimate metric on YCbCr 4:2:0 planes made from RGB frames.
// Everything per frame happens in preallocated typed arrays (the SIMD kernels add only a few small
// views of their memory per frame): no allocation per pixel.
import { rgbToPlanesSimd } from './kernels/kernels'

/** Thresholds of the block metric, on the 8-bit limited-range YCbCr scale (mpdecimate's). */
export interface BlockThresholds {
  /** No 8x8 block may differ by more than this sum of absolute differences. */
  hi: number
  /** Blocks differing by more than this count against `frac`. */
  lo: number
  /** At most `frac` x (number of 16x16 areas of the plane) blocks may differ by more than `lo`. */
  frac: number
}

export type ColorMatrix = 'bt601' | 'bt709'

const KR_KB: Record<ColorMatrix, [number, number]> = { bt601: [0.299, 0.114], bt709: [0.2126, 0.0722] }

/** Fixed-point (16 fractional bits) RGB -> limited-range Y'CbCr coefficients. */
interface Coefficients {
  yr: number
  yg: number
  yb: number
  ur: number
  ug: number
  ub: number
  vr: number
  vg: number
  vb: number
}

function coefficients(matrix: ColorMatrix): Coefficients {
  const [kr, kb] = KR_KB[matrix]
  const kg = 1 - kr - kb
  const one = 1 << 16
  const ys = (219 / 255) * one
  const us = ((224 / 255) * one) / (2 * (1 - kb))
  const vs = ((224 / 255) * one) / (2 * (1 - kr))
  return {
    yr: Math.round(kr * ys),
    yg: Math.round(kg * ys),
    yb: Math.round(kb * ys),
    ur: Math.round(-kr * us),
    ug: Math.round(-kg * us),
    ub: Math.round((1 - kb) * us),
    vr: Math.round((1 - kr) * vs),
    vg: Math.round(-kg * vs),
    vb: Math.round(-kb * vs),
  }
}

/** One plane, padded by edge replication to `stride` x `rows` (multiples of 4, at least 8). */
export interface Plane {
  data: Uint8Array
  /** The same samples read 4 at a time (rows are multiples of 4 bytes). */
  words: Uint32Array
  /** Visible size. */
  width: number
  height: number
  stride: number
  rows: number
  /** mpdecimate's count limit for this plane: trunc((width/16) * (height/16) * frac). */
  limit: number
}

/** Y, Cb, Cr planes of one frame (chroma at half width and height, rounded up). */
export type Planes = [Plane, Plane, Plane]

function padded(n: number): number {
  return Math.max(8, (n + 3) & ~3)
}

function makePlane(width: number, height: number, frac: number): Plane {
  const stride = padded(width)
  const rows = padded(height)
  // ffmpeg computes (w/16)*(h/16) in int, then multiplies by the float frac and truncates.
  const limit = Math.trunc(Math.floor(width / 16) * Math.floor(height / 16) * Math.fround(frac))
  const data = new Uint8Array(stride * rows)
  return { data, words: new Uint32Array(data.buffer), width, height, stride, rows, limit }
}

export function allocatePlanes(width: number, height: number, frac: number): Planes {
  const cw = (width + 1) >> 1
  const ch = (height + 1) >> 1
  return [makePlane(width, height, frac), makePlane(cw, ch, frac), makePlane(cw, ch, frac)]
}

/** Fills the padding right of and below the visible area with the nearest visible sample. */
function padPlane(p: Plane): void {
  const { data, width, height, stride, rows } = p
  if (stride > width) {
    for (let y = 0; y < height; y++) {
      const row = y * stride
      data.fill(data[row + width - 1], row + width, row + stride)
    }
  }
  const last = (height - 1) * stride
  for (let y = height; y < rows; y++) data.copyWithin(y * stride, last, last + stride)
}

/**
 * Converts interleaved 8-bit RGB to limited-range Y'CbCr 4:2:0 into `out` (sized by `allocatePlanes`).
 * Chroma is the mean of each 2x2 block (edge pixels repeated for odd sizes). Whole groups of 8
 * columns go through the SIMD kernel, the rest (at most 7 columns and an odd edge) through the
 * same arithmetic in JavaScript.
 */
export function rgbToPlanes(rgb: Uint8Array, width: number, height: number, matrix: ColorMatrix, out: Planes): void {
  const groups = width >> 3
  if (groups > 0) rgbToPlanesSimd(rgb, width, height, groups, coefficientArray(matrix), out)
  convertColumns(rgb, width, height, coefficients(matrix), out, groups * 4)
  for (const plane of out) padPlane(plane)
}

const COEFFICIENT_ARRAYS = new Map<ColorMatrix, Int32Array>()

function coefficientArray(matrix: ColorMatrix): Int32Array {
  let array = COEFFICIENT_ARRAYS.get(matrix)
  if (!array) {
    const { yr, yg, yb, ur, ug, ub, vr, vg, vb } = coefficients(matrix)
    COEFFICIENT_ARRAYS.set(matrix, (array = Int32Array.of(yr, yg, yb, ur, ug, ub, vr, vg, vb)))
  }
  return array
}

/** The conversion of chroma columns [firstColumn, chroma width) and the luma columns they cover. */
function convertColumns(rgb: Uint8Array, width: number, height: number, k: Coefficients, out: Planes, firstColumn: number): void {
  const { yr, yg, yb, ur, ug, ub, vr, vg, vb } = k
  const [py, pu, pv] = out
  const Y = py.data
  const U = pu.data
  const V = pv.data
  const ys = py.stride
  const cs = pu.stride
  const rowBytes = width * 3
  const cw = pu.width
  for (let cy = 0; cy < pu.height; cy++) {
    const y0 = cy * 2
    const y1 = y0 + 1 < height ? y0 + 1 : y0
    const in0 = y0 * rowBytes
    const in1 = y1 * rowBytes
    const out0 = y0 * ys
    const out1 = y1 * ys
    const cOut = cy * cs
    for (let cx = firstColumn; cx < cw; cx++) {
      const x0 = cx * 2
      const x1 = x0 + 1 < width ? x0 + 1 : x0
      let i = in0 + x0 * 3
      const r0 = rgb[i], g0 = rgb[i + 1], b0 = rgb[i + 2]
      i = in0 + x1 * 3
      const r1 = rgb[i], g1 = rgb[i + 1], b1 = rgb[i + 2]
      i = in1 + x0 * 3
      const r2 = rgb[i], g2 = rgb[i + 1], b2 = rgb[i + 2]
      i = in1 + x1 * 3
      const r3 = rgb[i], g3 = rgb[i + 1], b3 = rgb[i + 2]
      // Writing a duplicated edge pixel twice is harmless: it gets the same value.
      Y[out0 + x0] = ((yr * r0 + yg * g0 + yb * b0 + 32768) >> 16) + 16
      Y[out0 + x1] = ((yr * r1 + yg * g1 + yb * b1 + 32768) >> 16) + 16
      Y[out1 + x0] = ((yr * r2 + yg * g2 + yb * b2 + 32768) >> 16) + 16
      Y[out1 + x1] = ((yr * r3 + yg * g3 + yb * b3 + 32768) >> 16) + 16
      const r = r0 + r1 + r2 + r3
      const g = g0 + g1 + g2 + g3
      const b = b0 + b1 + b2 + b3
      U[cOut + cx] = ((ur * r + ug * g + ub * b + 131072) >> 18) + 128
      V[cOut + cx] = ((vr * r + vg * g + vb * b + 131072) >> 18) + 128
    }
  }
}

/**
 * Sums of absolute differences of `count` 4x4 cells in a row, written to `out` from `outOffset`.
 * `a` and `b` hold 8-bit samples 4 to a word (one word = one row of a cell); `aBase`/`bBase` are
 * the words of the cells' top rows and `aStride`/`bStride` the words per sample row.
 */
export function cellRowSads(a: Uint32Array, aBase: number, aStride: number, b: Uint32Array, bBase: number, bStride: number, count: number, out: Int32Array, outOffset: number): void {
  for (let cx = 0; cx < count; cx++) {
    // Two 16-bit lanes per word half (bytes 0 and 2, then 1 and 3): |x − y| per lane, summed in the lanes.
    let lanes = 0
    for (let r = 0, i = aBase + cx, j = bBase + cx; r < 4; r++, i += aStride, j += bStride) {
      const x = a[i]
      const y = b[j]
      lanes += laneAbsDiff(x & 0xff00ff, y & 0xff00ff) + laneAbsDiff((x >>> 8) & 0xff00ff, (y >>> 8) & 0xff00ff)
    }
    out[outOffset + cx] = (lanes & 0xffff) + (lanes >>> 16)
  }
}

/**
 * |x − y| in each of two 16-bit lanes holding bytes (0x00XX00XX): x − y + 256 cannot borrow across
 * lanes, its bit 8 says x ≥ y, and the low byte is the difference or, negated, its absolute value.
 */
function laneAbsDiff(x: number, y: number): number {
  const d = (x | 0x1000100) - y
  const below = ((d >>> 8) & 0x10001) ^ 0x10001
  return ((d & 0xff00ff) ^ ((below << 8) - below)) + below
}

/**
 * mpdecimate's test for one plane: true when some 8x8 block (blocks every 4 pixels, as in ffmpeg)
 * has a sum of absolute differences above `hi`, or more than `plane.limit` blocks are above `lo`.
 * Unlike ffmpeg, blocks start at x = 0 (ffmpeg skips the first 8 columns) and cover the right and
 * bottom edges. `cells` holds two rows of 4x4 cell sums (at least stride / 2 entries).
 */
export function planeDiffers(cur: Plane, ref: Plane, hi: number, lo: number, cells: Int32Array): boolean {
  // One 32-bit word = the 4 samples of one row of a 4x4 cell.
  const cellsPerRow = cur.stride >> 2
  const cellRows = cur.rows >> 2
  const limit = cur.limit
  let count = 0
  for (let cy = 0; cy < cellRows; cy++) {
    const off = (cy & 1) * cellsPerRow
    const base = cy * 4 * cellsPerRow
    cellRowSads(cur.words, base, cellsPerRow, ref.words, base, cellsPerRow, cellsPerRow, cells, off)
    if (cy === 0) continue
    // 8x8 blocks every 4 pixels = 2x2 cells, from this cell row and the one above.
    const prev = cellsPerRow - off
    for (let cx = 0; cx + 1 < cellsPerRow; cx++) {
      const d = cells[prev + cx] + cells[prev + cx + 1] + cells[off + cx] + cells[off + cx + 1]
      if (d > hi) return true
      if (d > lo && ++count > limit) return true
    }
  }
  return false
}

/**
 * The default detector: a frame is prepared once as Y'CbCr 4:2:0 planes, then compared with each
 * reference (a kept frame's planes) by mpdecimate's test. The engine keeps the references.
 */
export class BlockDetector {
  private readonly cells: Map<number, Int32Array> = new Map()
  private scratch8 = new Uint8Array(0)

  constructor(
    private readonly thresholds: BlockThresholds,
    private readonly matrix: ColorMatrix | 'auto',
  ) {}

  /** The frame as planes, written into `spare` (a reference no longer needed) when it has the same size. */
  prepare(data: Uint8Array | Uint16Array, width: number, height: number, spare: Planes | undefined): Planes {
    const planes = spare && spare[0].width === width && spare[0].height === height ? spare : allocatePlanes(width, height, this.thresholds.frac)
    const matrix = this.matrix === 'auto' ? autoMatrix(width, height) : this.matrix
    rgbToPlanes(this.to8bit(data), width, height, matrix, planes)
    return planes
  }

  /** mpdecimate's verdict: true when no plane differs (frames of another size never match). */
  matches(current: Planes, reference: Planes): boolean {
    if (current[0].width !== reference[0].width || current[0].height !== reference[0].height) return false
    const { hi, lo } = this.thresholds
    const cells = this.cellsFor(current[0].stride)
    return !planeDiffers(current[0], reference[0], hi, lo, cells) && !planeDiffers(current[1], reference[1], hi, lo, cells) && !planeDiffers(current[2], reference[2], hi, lo, cells)
  }

  planes(current: Planes): Planes {
    return current
  }

  private cellsFor(stride: number): Int32Array {
    let cells = this.cells.get(stride)
    if (!cells) this.cells.set(stride, (cells = new Int32Array(stride >> 1)))
    return cells
  }

  private to8bit(data: Uint8Array | Uint16Array): Uint8Array {
    if (data.BYTES_PER_ELEMENT === 1) return data as Uint8Array
    if (this.scratch8.length !== data.length) this.scratch8 = new Uint8Array(data.length)
    const out = this.scratch8
    // Round to the nearest 8-bit value: v / 257.
    for (let i = 0; i < data.length; i++) out[i] = (data[i] * 255 + 32895) >>> 16
    return out
  }
}

/** The matrix stage-extract (and mpv, VLC, browsers) assume for untagged video: BT.709 for HD. */
export function autoMatrix(width: number, height: number): ColorMatrix {
  return width >= 1280 || height > 576 ? 'bt709' : 'bt601'
}

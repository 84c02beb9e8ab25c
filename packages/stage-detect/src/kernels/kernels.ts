// The detector's per-frame loops in WebAssembly SIMD (kernels.wat): 4-16 samples per instruction
// where JavaScript does one, or four with the word tricks of cellRowSads. One instance per thread;
// its memory is scratch that grows to the largest frame seen. Frames and planes are copied in and
// out (a memcpy, a small part of the work), so the rest of the detector keeps ordinary arrays.
import { kernelsWasm } from './kernels-wasm'

/** The little of the WebAssembly API used here (Node's type definitions do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: unknown }
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

interface KernelExports {
  memory: WasmMemory
  rgb_to_planes(rgb: number, width: number, height: number, groups: number, y: number, yStride: number, u: number, v: number, cStride: number, coefficients: number): void
  measure_plane(a: number, b: number, cells: number, cellRows: number, sads: number, over: number, threshold: number): void
}

let instance: KernelExports | undefined

function kernels(): KernelExports {
  instance ??= new wasm.Instance(new wasm.Module(Buffer.from(kernelsWasm, 'base64'))).exports as KernelExports
  return instance
}

/** The largest sum of absolute differences of an 8x8 block of 8-bit samples. */
const MAX_BLOCK_SAD = 64 * 255

/** Lays out regions of scratch memory, each 16-byte aligned with 16 bytes of slack after it (the kernels read past their ends). */
class Scratch {
  private end = 0
  readonly offsets: number[]

  constructor(sizes: number[]) {
    this.offsets = sizes.map((size) => {
      const offset = this.end
      this.end += (size + 31) & ~15
      return offset
    })
  }

  /** The memory, grown to hold every region. */
  memory(exports: KernelExports): ArrayBuffer {
    const missing = this.end - exports.memory.buffer.byteLength
    if (missing > 0) exports.memory.grow(Math.ceil(missing / 65536))
    return exports.memory.buffer
  }
}

/** The Y'CbCr planes `rgbToPlanesSimd` writes: data with its row stride. */
export interface PlaneTarget {
  data: Uint8Array
  stride: number
}

/**
 * Converts the first `groups` x 8 columns of each row pair of interleaved 8-bit RGB into Y'CbCr
 * 4:2:0 with the 9 fixed-point `coefficients` (yr yg yb ur ug ub vr vg vb). The planes' other
 * samples are left for the caller to write: their contents afterwards are unspecified.
 */
export function rgbToPlanesSimd(rgb: Uint8Array, width: number, height: number, groups: number, coefficients: Int32Array, [y, u, v]: [PlaneTarget, PlaneTarget, PlaneTarget]): void {
  const exports = kernels()
  const scratch = new Scratch([coefficients.byteLength, rgb.length, y.data.length, u.data.length, v.data.length])
  const [k, input, yAt, uAt, vAt] = scratch.offsets
  const memory = scratch.memory(exports)
  new Int32Array(memory, k, coefficients.length).set(coefficients)
  new Uint8Array(memory, input, rgb.length).set(rgb)
  exports.rgb_to_planes(input, width, height, groups, yAt, y.stride, uAt, vAt, u.stride, k)
  y.data.set(new Uint8Array(memory, yAt, y.data.length))
  u.data.set(new Uint8Array(memory, uAt, u.data.length))
  v.data.set(new Uint8Array(memory, vAt, v.data.length))
}

/**
 * The SADs of the 4x4 cells of plane `a` against plane `b` (both `cells` x 4 bytes per row,
 * `cellRows` x 4 rows) into `sads`, and into `over` the summed-area table of the 8x8 blocks (2x2
 * cells) whose SAD is above `threshold`: entry (by + 1) · cells + bx + 1 counts those with origin
 * before (bx + 1, by + 1); row 0 and column 0 are zero.
 */
export function measurePlaneSimd(a: Uint8Array, b: Uint8Array, cells: number, cellRows: number, threshold: number, sads: Int32Array, over: Int32Array): void {
  // The kernel takes an i32: any threshold at or above the largest SAD of an 8x8 block means the same.
  const limit = Math.min(threshold, MAX_BLOCK_SAD)
  const exports = kernels()
  const scratch = new Scratch([a.length, b.length, sads.byteLength, over.byteLength])
  const [aAt, bAt, sadsAt, overAt] = scratch.offsets
  const memory = scratch.memory(exports)
  new Uint8Array(memory, aAt, a.length).set(a)
  new Uint8Array(memory, bAt, b.length).set(b)
  exports.measure_plane(aAt, bAt, cells, cellRows, sadsAt, overAt, limit)
  sads.set(new Int32Array(memory, sadsAt, sads.length))
  over.set(new Int32Array(memory, overAt, over.length))
}

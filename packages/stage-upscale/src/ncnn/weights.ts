/**
 * ncnn's weight file (`.bin`): the layers' arrays one after another, in .param order, with no index.
 * An array loaded as "tagged" (ncnn's ModelBin::load type 0: convolution and inner-product weights)
 * starts with a 4-byte tag: 0x01306B47 float16 values (padded to 4 bytes), 0 or 0x0002C056 float32,
 * 0x000D4B38 int8; any other tag is ncnn's old 8-bit lookup-table format. A "raw" array (type 1:
 * biases, PReLU slopes, scales) is float32 with no tag. Little-endian throughout.
 */
import { UpscaleError } from '../errors'
import { fromFloat16Bits } from '../float16'
import type { NcnnLayer } from './param'

const TAG_FLOAT16 = 0x01306b47
const TAG_INT8 = 0x000d4b38
const TAG_FLOAT32_SCALED = 0x0002c056
const TAG_FLOAT32 = 0

/** One array of weights, as float32 values; `float16` when the file stored them as float16 (so they convert back exactly). */
export interface NcnnArray {
  values: Float32Array
  float16: boolean
}

/** Reads a `.bin` file front to back as the layers ask for their arrays. */
export class NcnnWeightReader {
  private offset = 0
  private readonly view: DataView

  constructor(
    private readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** A tagged array of `count` values (weights of Convolution, Deconvolution, InnerProduct). */
  tagged(count: number, layer: NcnnLayer, what: string): NcnnArray {
    this.need(4, layer, `the type tag of its ${what}`)
    const tag = this.view.getUint32(this.offset, true)
    const at = this.offset
    this.offset += 4
    if (tag === TAG_FLOAT16) {
      const size = Math.ceil((count * 2) / 4) * 4
      this.need(size, layer, `${count} float16 ${what}`)
      const values = new Float32Array(count)
      for (let i = 0; i < count; i++) values[i] = fromFloat16Bits(this.view.getUint16(this.offset + 2 * i, true))
      this.offset += size
      return { values, float16: true }
    }
    if (tag === TAG_FLOAT32 || tag === TAG_FLOAT32_SCALED) return { values: this.floats(count, layer, what), float16: false }
    const hex = `0x${tag.toString(16).padStart(8, '0')}`
    if (tag === TAG_INT8) {
      throw new UpscaleError('E_MODEL_UNSUPPORTED', `${this.file}: the ${what} of ${describe(layer)} are int8-quantized (tag ${hex} at byte ${at}); only float16 and float32 weights can be imported`)
    }
    throw new UpscaleError(
      'E_MODEL_INVALID',
      `${this.file}: expected a weight type tag (0x01306b47 float16, 0 float32) at byte ${at} for the ${what} of ${describe(layer)} but found ${hex}: ` +
        'this .bin does not belong to the .param (or uses ncnn\'s 8-bit lookup-table format, which is not supported)',
    )
  }

  /** An untagged float32 array (biases, slopes, scales). */
  raw(count: number, layer: NcnnLayer, what: string): NcnnArray {
    return { values: this.floats(count, layer, what), float16: false }
  }

  /** Throws when bytes remain after the last layer: the .bin was written for another .param. */
  finish(param: string): void {
    const left = this.bytes.length - this.offset
    if (left !== 0) {
      throw new UpscaleError(
        'E_MODEL_INVALID',
        `${this.file} holds ${this.bytes.length} bytes but the layers of ${param} use ${this.offset}: this .bin does not belong to that .param`,
      )
    }
  }

  private floats(count: number, layer: NcnnLayer, what: string): Float32Array {
    this.need(count * 4, layer, `${count} float32 ${what}`)
    const values = new Float32Array(count)
    for (let i = 0; i < count; i++) values[i] = this.view.getFloat32(this.offset + 4 * i, true)
    this.offset += count * 4
    return values
  }

  private need(size: number, layer: NcnnLayer, what: string): void {
    if (this.offset + size > this.bytes.length) {
      throw new UpscaleError(
        'E_MODEL_INVALID',
        `${this.file} is truncated or does not match the .param: ${describe(layer)} needs ${what} (${size} bytes at byte ${this.offset}) but the file ends at byte ${this.bytes.length}`,
      )
    }
  }
}

function describe(layer: NcnnLayer): string {
  return `${layer.type} layer '${layer.name}' (${layer.file}, line ${layer.line})`
}

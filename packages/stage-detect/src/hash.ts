// The `hash` detector: image-hash's blockhash of each frame, compared with the last kept frame's.
// image-hash's public `imageHash()` only reads encoded files (PNG/JPEG/WebP); the frames are already
// decoded, so this calls the same blockhash function it uses on the decoded pixels (RGBA, as the
// PNG/JPEG decoders hand them over). The result is identical to imageHash() on a PNG of the frame.
import * as blockHashModule from 'image-hash/lib/block-hash.js'

type BlockHash = (image: { data: Uint8Array; width: number; height: number }, bits: number, method: 1 | 2) => string

// A CommonJS module with `exports.default`: ESM interop gives either the function or { default }.
const loaded = blockHashModule as unknown as { default: BlockHash | { default: BlockHash } }
const blockhash: BlockHash = typeof loaded.default === 'function' ? loaded.default : loaded.default.default

export interface HashSettings {
  /** Bits per side of the hash (image-hash's `bits`): the hash has bits² bits. */
  bits: number
  /** image-hash's `precise` (blockhash method 2, weighted blocks) or its quick method 1. */
  precise: boolean
  /** Largest Hamming distance between two hashes that still counts as a repeat. */
  distance: number
}

const POPCOUNT4 = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4]

/** Hamming distance of two hex strings of the same length. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) return Infinity
  let d = 0
  for (let i = 0; i < a.length; i++) d += POPCOUNT4[parseInt(a[i], 16) ^ parseInt(b[i], 16)]
  return d
}

/** A frame's blockhash and size. */
export interface HashReference {
  hash: string
  width: number
  height: number
}

export class HashDetector {
  private rgba = new Uint8Array(0)

  constructor(private readonly settings: HashSettings) {}

  /** The blockhash of an interleaved RGB frame (8- or 16-bit), as image-hash computes it. */
  hash(data: Uint8Array | Uint16Array, width: number, height: number): string {
    const pixels = width * height
    if (this.rgba.length !== pixels * 4) this.rgba = new Uint8Array(pixels * 4)
    const out = this.rgba
    const shift = data.BYTES_PER_ELEMENT === 1 ? 0 : 8
    for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 3, o += 4) {
      out[o] = data[i] >> shift
      out[o + 1] = data[i + 1] >> shift
      out[o + 2] = data[i + 2] >> shift
      out[o + 3] = 255
    }
    return blockhash({ data: out, width, height }, this.settings.bits, this.settings.precise ? 2 : 1)
  }

  prepare(data: Uint8Array | Uint16Array, width: number, height: number): HashReference {
    return { hash: this.hash(data, width, height), width, height }
  }

  matches(current: HashReference, reference: HashReference): boolean {
    return current.width === reference.width && current.height === reference.height && hammingDistance(current.hash, reference.hash) <= this.settings.distance
  }
}

/**
 * Test-time augmentation: a pass run on the 8 orientations of a picture (the identity, the flips,
 * the rotations and the transposes) and averaged. Each orientation is a whole pass of its own
 * (tiled, padded and pooled like any pass), so the average is exactly as tile-independent as one
 * pass. 8-bit pictures go through the passes as 16-bit, so the average is rounded once, at the end.
 */
import type { EngineImage } from './engine'

/** Flip horizontally, flip vertically, then swap the axes. */
interface Orientation {
  flipX: boolean
  flipY: boolean
  transpose: boolean
}

export const ORIENTATIONS: readonly Orientation[] = [false, true].flatMap((transpose) =>
  [false, true].flatMap((flipY) => [false, true].map((flipX) => ({ flipX, flipY, transpose }))),
)

/** Index of pixel (x, y) of a width x height picture once oriented. */
function orientedIndex(x: number, y: number, width: number, height: number, o: Orientation): number {
  const fx = o.flipX ? width - 1 - x : x
  const fy = o.flipY ? height - 1 - y : y
  return o.transpose ? fx * height + fy : fy * width + fx
}

/** The picture in orientation `o`. */
export function orient(image: EngineImage, o: Orientation): EngineImage {
  const { width, height, channels } = image
  const data = new Uint16Array(image.data.length)
  const widen = image.data instanceof Uint8Array ? 257 : 1
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += channels) {
      const d = orientedIndex(x, y, width, height, o) * channels
      for (let c = 0; c < channels; c++) data[d + c] = image.data[i + c] * widen
    }
  }
  return { data, width: o.transpose ? height : width, height: o.transpose ? width : height, channels }
}

/** Adds `oriented` (a result in orientation `o`) back in the original orientation to `sums`. */
function addUnoriented(sums: Float64Array, oriented: EngineImage, o: Orientation, width: number, height: number): void {
  const { channels, data } = oriented
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += channels) {
      const s = orientedIndex(x, y, width, height, o) * channels
      for (let c = 0; c < channels; c++) sums[i + c] += data[s + c]
    }
  }
}

/** `pass` on all 8 orientations of `image`, averaged; the result has `image`'s sample type. */
export async function averageOrientations(image: EngineImage, pass: (oriented: EngineImage) => Promise<EngineImage>): Promise<EngineImage> {
  let sums: Float64Array | undefined
  let size = { width: 0, height: 0 }
  for (const o of ORIENTATIONS) {
    const result = await pass(orient(image, o))
    size = o.transpose ? { width: result.height, height: result.width } : { width: result.width, height: result.height }
    sums ??= new Float64Array(result.data.length)
    addUnoriented(sums, result, o, size.width, size.height)
  }
  const divisor = ORIENTATIONS.length * (image.data instanceof Uint8Array ? 257 : 1)
  const data = image.data instanceof Uint8Array ? new Uint8Array(sums!.length) : new Uint16Array(sums!.length)
  for (let i = 0; i < data.length; i++) data[i] = Math.round(sums![i] / divisor)
  return { data, ...size, channels: image.channels }
}

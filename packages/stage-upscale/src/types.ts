/** Pixel samples of an image: 8-bit, 16-bit, or float in 0..1. */
export type PixelData = Uint8Array | Uint16Array | Float32Array

/**
 * An image in memory: interleaved (HWC) samples, row-major, no padding between rows.
 * `channels` is 3 (RGB) or 4 (RGBA) for everything the engine produces; resampling accepts 1-4.
 */
export interface RawImage<T extends PixelData = PixelData> {
  data: T
  width: number
  height: number
  channels: number
}

/** Integer sample types of the images the engine takes and returns. */
export type SampleType = 'uint8' | 'uint16'

export function sampleTypeOf(data: Uint8Array | Uint16Array): SampleType {
  return data instanceof Uint8Array ? 'uint8' : 'uint16'
}

import type { PaddingMode } from './model-metadata'
import type { RawImage } from './types'

/** The source index for padded index `i` of an axis of `length` pixels, or -1 for zero padding. */
function sourceIndex(i: number, length: number, mode: PaddingMode): number {
  if (i >= 0 && i < length) return i
  if (mode === 'zero') return -1
  if (mode === 'edge' || length === 1) return Math.min(length - 1, Math.max(0, i))
  // Mirror without repeating the edge pixel (…2 1 | 0 1 2 … n-1 | n-2 …), periodic for pads longer than the picture.
  const period = 2 * (length - 1)
  const folded = ((i % period) + period) % period
  return folded < length ? folded : period - folded
}

/**
 * `image` inside a `width` x `height` picture, `before` pixels from the left and top, the rest
 * filled by `mode` (as the ncnn programs pad before their networks). Returns `image` itself when
 * there is nothing to add.
 */
export function padPicture<T extends RawImage<Uint8Array | Uint16Array>>(image: T, before: number, width: number, height: number, mode: PaddingMode): T {
  if (before === 0 && width === image.width && height === image.height) return image
  const { channels } = image
  const data = new (image.data.constructor as new (length: number) => T['data'])(width * height * channels)
  const columns = Int32Array.from({ length: width }, (_, x) => sourceIndex(x - before, image.width, mode))
  for (let y = 0; y < height; y++) {
    const sourceY = sourceIndex(y - before, image.height, mode)
    if (sourceY < 0) continue
    const row = y * width * channels
    const sourceRow = sourceY * image.width * channels
    for (let x = 0; x < width; x++) {
      if (columns[x] < 0) continue
      const from = sourceRow + columns[x] * channels
      for (let c = 0; c < channels; c++) data[row + x * channels + c] = image.data[from + c]
    }
  }
  return { ...image, data, width, height }
}

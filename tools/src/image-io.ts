import sharp from 'sharp'
import type { RawImage } from '@anime-upscaler/stage-upscale'

/**
 * Decodes an image file to 8-bit RGB (3 channels, HWC). Alpha is dropped without compositing (the colour
 * values under transparent pixels are kept as stored); greyscale is expanded to RGB.
 */
export async function readRgb(file: string): Promise<RawImage<Uint8Array>> {
  const { data, info } = await sharp(file)
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
  if (info.channels !== 3) throw new Error(`Expected 3 channels after decoding ${file} but received ${info.channels}`)
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: 3,
  }
}

/** Writes an 8-bit RGB/RGBA image as PNG (handy to look at the evaluated outputs). */
export async function writePng(file: string, image: RawImage<Uint8Array>): Promise<void> {
  await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: image.channels as 1 | 2 | 3 | 4 },
  })
    .png()
    .toFile(file)
}

/** Top-left crop of `image` to `width` x `height` (any sample type and channel count). */
export function crop<T extends RawImage>(image: T, width: number, height: number): T {
  if (width > image.width || height > image.height || width < 1 || height < 1) {
    throw new RangeError(`Cannot crop ${image.width}x${image.height} to ${width}x${height}`)
  }
  if (width === image.width && height === image.height) return image
  const c = image.channels
  const Ctor = image.data.constructor as new (length: number) => T['data']
  const out = new Ctor(width * height * c)
  for (let y = 0; y < height; y++) {
    out.set(image.data.subarray(y * image.width * c, (y * image.width + width) * c), y * width * c)
  }
  return { ...image, data: out, width, height }
}

/** Crops to the largest even width and height (top-left), so an exact 2x down/up round trip is possible. */
export function cropEven<T extends RawImage>(image: T): T {
  return crop(image, image.width - (image.width % 2), image.height - (image.height % 2))
}

import sharp from 'sharp'
import * as core from '@anime-upscaler/core'
import type { DecodedImage } from '@anime-upscaler/core'

/** Raw interleaved pixels as core reads and writes them. */
export type RawPicture = DecodedImage['image']

/** The ffmpeg binary core uses. */
export function ffmpegPath(): string {
  return core.resolveFfmpeg()
}

/** Decodes frame `index` (0-based) of a video; constant-rate videos are seeked, not decoded from the start. */
export async function readVideoFrame(input: string, index: number, signal?: AbortSignal): Promise<{ image: RawPicture; index: number }> {
  const frame = await core.readFrame(input, index, { signal })
  return { image: frame.image as RawPicture, index: frame.index }
}

/** The centred `side` x `side` region of a picture (the whole picture when it is smaller). */
export function centerCrop(image: RawPicture, side: number): { image: RawPicture; cropped: boolean } {
  const width = Math.min(side, image.width)
  const height = Math.min(side, image.height)
  if (width === image.width && height === image.height) return { image, cropped: false }
  const left = Math.floor((image.width - width) / 2)
  const top = Math.floor((image.height - height) / 2)
  const { channels } = image
  const data = new (image.data.constructor as Uint8ArrayConstructor | Uint16ArrayConstructor)(width * height * channels)
  for (let row = 0; row < height; row++) {
    const from = ((top + row) * image.width + left) * channels
    data.set(image.data.subarray(from, from + width * channels), row * width * channels)
  }
  return { image: { ...image, data, width, height } as RawPicture, cropped: true }
}

/** A GIF of more than one frame: upscaled as a video (every frame), not as its first picture. */
export const ANIMATED_GIF: core.SniffedType = { kind: 'video', mime: 'image/gif', extension: '.gif', label: 'Animated GIF (upscaled as a video)' }

/** True for a GIF with more than one frame (from its header: nothing is decoded). */
export async function isAnimatedGif(path: string): Promise<boolean> {
  const { pages } = await sharp(path, { pages: -1 }).metadata().catch(() => ({ pages: 1 }))
  return (pages ?? 1) > 1
}

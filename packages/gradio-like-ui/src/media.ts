import { createRequire } from 'node:module'
import * as core from '@anime-upscaler/core'
import type { DecodedImage } from '@anime-upscaler/core'
import { lastValueFrom, type Observable } from 'rxjs'

/** Raw interleaved pixels as core reads and writes them. */
export type RawPicture = DecodedImage['image']

interface DecodedFrame {
  index: number
  pts: number
  image: { data: Uint8Array | Uint16Array; width: number; height: number; channels: 3 }
}

interface ExtractModule {
  extractFrames(input: string, options: { maxFrames?: number; signal?: AbortSignal }): Observable<DecodedFrame>
}

let extractModule: ExtractModule | undefined

/**
 * Frame decoding. core does not re-export stage-extract's `extractFrames` yet; when it does, it is
 * used from core. Until then it is loaded from core's own dependency on stage-extract.
 */
function extract(): ExtractModule {
  const fromCore = core as unknown as Partial<ExtractModule>
  if (typeof fromCore.extractFrames === 'function') return fromCore as ExtractModule
  if (!extractModule) {
    const requireFromHere = createRequire(__filename)
    const requireFromCore = createRequire(requireFromHere.resolve('@anime-upscaler/core/package.json'))
    extractModule = requireFromCore('@anime-upscaler/stage-extract') as ExtractModule
  }
  return extractModule
}

/** The ffmpeg binary core uses. */
export function ffmpegPath(): string {
  return core.resolveFfmpeg()
}

/** Decodes frame `index` (0-based; the last frame when the video is shorter) of a video. */
export async function readVideoFrame(input: string, index: number, signal?: AbortSignal): Promise<{ image: RawPicture; index: number }> {
  const frame = await lastValueFrom(extract().extractFrames(input, { maxFrames: index + 1, signal }))
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

import { stat, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import sharp, { type Metadata } from 'sharp'
import type { EngineImage } from '@anime-upscaler/stage-upscale'
import { writeAtomically } from '@anime-upscaler/common'
import { OutputError, message, optionName } from '@anime-upscaler/common'
import { CoreError, errorMessage, toCoreError } from './errors'
import { formatPixels } from './limits'

export const IMAGE_FORMATS = ['png', 'jpg', 'webp', 'avif'] as const
/** Output formats for images. */
export type ImageFormat = (typeof IMAGE_FORMATS)[number]

/** Extensions read as images when a folder or glob is given. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.avif', '.gif', '.tif', '.tiff', '.bmp']

/** Largest input accepted by default, in pixels (width × height): 16384², checked from the header before decoding. */
export const DEFAULT_MAX_INPUT_PIXELS = 16384 * 16384

/** What decoding learned about the source, so the output can keep it. */
export interface SourceInfo {
  format: string
  width: number
  height: number
  /** 16 when the source has more than 8 bits per sample. */
  bitDepth: 8 | 16
  grayscale: boolean
  hasAlpha: boolean
  icc?: Buffer
  /** Frames of an animated image (GIF, WebP); only the first is decoded. */
  pages?: number
}

export interface DecodedImage {
  image: EngineImage
  source: SourceInfo
}

/** Decodes an image file to upright 8- or 16-bit RGB(A), refusing oversized inputs from their header. */
export async function readImage(path: string, maxPixels = DEFAULT_MAX_INPUT_PIXELS): Promise<DecodedImage> {
  const size = await stat(path).then(
    (s) => (s.isFile() ? s.size : -1),
    () => {
      throw new CoreError('E_INPUT_NOT_FOUND', 'input', `Input not found: ${path}`)
    },
  )
  if (size < 0) throw new CoreError('E_INPUT_INVALID', 'input', `${path} is not a file`)
  if (size === 0) throw new CoreError('E_INPUT_INVALID', 'decode', `${path} is empty (0 bytes): not an image`)
  let metadata: Metadata
  try {
    // No pixel limit here: the check below gives the precise message.
    metadata = await sharp(path, { limitInputPixels: false }).metadata()
  } catch (error) {
    throw decodeError(path, error)
  }
  const { width = 0, height = 0 } = metadata
  if (width * height > maxPixels) {
    throw new CoreError('E_IMAGE_TOO_LARGE', 'decode', message`${path} is ${width}x${height} (${formatPixels(width * height)}), more than ${optionName('maxPixels')} (${formatPixels(maxPixels)})`, {
      option: 'maxPixels',
      value: width * height,
      hint: message`raise ${optionName('maxPixels')} if you have the memory`,
    })
  }
  const bitDepth = metadata.depth === 'ushort' || metadata.depth === 'float' || (metadata.bitsPerSample ?? 8) > 8 ? 16 : 8
  const hasAlpha = metadata.hasAlpha === true
  try {
    const pipeline = sharp(path, { autoOrient: true, limitInputPixels: maxPixels, failOn: 'error' })
      .toColourspace(bitDepth === 16 ? 'rgb16' : 'srgb')
      .raw({ depth: bitDepth === 16 ? 'ushort' : 'uchar' })
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true })
    const channels = hasAlpha ? 4 : 3
    if (info.channels !== channels) throw new Error(`decoded ${info.channels} channels, expected ${channels}`)
    const samples =
      bitDepth === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    return {
      image: { data: samples, width: info.width, height: info.height, channels } as EngineImage,
      source: {
        format: metadata.format ?? 'unknown',
        width: info.width,
        height: info.height,
        bitDepth,
        grayscale: metadata.channels !== undefined && metadata.channels <= 2,
        hasAlpha,
        icc: metadata.icc,
        ...(metadata.pages && metadata.pages > 1 ? { pages: metadata.pages } : {}),
      },
    }
  } catch (error) {
    throw decodeError(path, error)
  }
}

export interface WriteImageOptions {
  format: ImageFormat
  overwrite: boolean
  /** Encoder quality for jpg/webp/avif, 1-100. */
  quality?: number
  /** Keep grayscale, 16-bit depth and the ICC profile of this source where the format allows. */
  source?: SourceInfo
}

/** Encodes and writes atomically: the destination is either the whole image or untouched. */
export async function writeImage(image: EngineImage, path: string, options: WriteImageOptions): Promise<void> {
  const { format, source } = options
  const sixteenBit = image.data instanceof Uint16Array
  // sRGB samples are converted back to the source's profile, which is embedded (the decode went to sRGB).
  const iccFile = source?.icc ? join(tmpdir(), `anime-upscaler-${randomBytes(6).toString('hex')}.icc`) : undefined
  try {
    if (iccFile) await writeFile(iccFile, source!.icc!)
    // sharp reads a Uint16Array as 16-bit samples.
    let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels as 3 | 4, premultiplied: false } })
    if (sixteenBit) pipeline = pipeline.toColourspace('rgb16')
    if (format === 'jpg' && image.channels === 4) pipeline = pipeline.flatten({ background: '#ffffff' })
    if (source?.grayscale) pipeline = pipeline.toColourspace(sixteenBit && format === 'png' ? 'grey16' : 'b-w')
    if (iccFile) pipeline = pipeline.withIccProfile(iccFile)
    switch (format) {
      case 'png':
        pipeline = pipeline.png({ compressionLevel: 6 })
        break
      case 'jpg':
        pipeline = pipeline.jpeg({ quality: options.quality ?? 92, mozjpeg: true })
        break
      case 'webp':
        pipeline = pipeline.webp({ quality: options.quality ?? 92 })
        break
      case 'avif':
        pipeline = pipeline.avif({ quality: options.quality ?? 70, bitdepth: sixteenBit ? 10 : 8 })
        break
    }
    await writeAtomically(path, options.overwrite, async (temporary) => {
      await pipeline.toFile(temporary)
    })
  } catch (error) {
    if (error instanceof CoreError) throw error
    if (error instanceof OutputError) throw toCoreError(error)
    throw writeError(path, error)
  } finally {
    if (iccFile) await rm(iccFile, { force: true })
  }
}

function decodeError(path: string, error: unknown): CoreError {
  const text = errorMessage(error)
  if (/unsupported image format/i.test(text)) {
    return new CoreError('E_INPUT_INVALID', 'decode', `${path} is not an image sharp can read (PNG, JPEG, WebP, AVIF, GIF, TIFF): its content has no known image signature`, { cause: error })
  }
  if (/pixel limit/i.test(text)) {
    return new CoreError('E_IMAGE_TOO_LARGE', 'decode', `${path} is larger than the pixel limit`, { option: 'maxPixels', cause: error, hint: message`raise ${optionName('maxPixels')} if you have the memory` })
  }
  return new CoreError('E_INPUT_INVALID', 'decode', `Could not decode ${path}: the file is truncated or corrupt (${text.split('\n')[0]})`, { cause: error })
}

/** A failed write in the caller's terms: the full disk and missing permissions by name. */
function writeError(path: string, error: unknown): CoreError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOSPC') return new CoreError('E_NO_SPACE', 'output', `The disk is full: could not write ${path}`, { cause: error, hint: 'free some space or choose another folder' })
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new CoreError('E_OUTPUT_NOT_WRITABLE', 'output', `Cannot write ${path}: permission denied (${code})`, { cause: error, hint: 'choose another place, or fix the permissions' })
  }
  return new CoreError('E_OUTPUT_FAILED', 'encode', `Could not write ${path}: ${errorMessage(error)}`, { cause: error })
}

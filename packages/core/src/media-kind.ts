import { open } from 'node:fs/promises'
import { extname } from 'node:path'
import sharp from 'sharp'
import { probe } from '@anime-upscaler/stage-extract'
import { CoreError } from './errors'
import { SNIFF_BYTES, describeUnknown, sniff, type SniffedType } from './sniff'

/** Containers the encoder writes. */
export const VIDEO_OUTPUT_EXTENSIONS = ['.mkv', '.webm', '.mp4', '.m4v', '.mov']

/** What an input holds, from its content (never its name). */
export interface InputKind {
  kind: 'image' | 'video'
  /** An image with several frames (GIF, WebP). */
  animated: boolean
  /** The format its first bytes name, when they name one. */
  type?: SniffedType
}

async function firstBytes(path: string): Promise<Buffer> {
  let file
  try {
    file = await open(path, 'r')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CoreError('E_INPUT_NOT_FOUND', 'input', `Input not found: ${path}`, { cause: error })
    throw new CoreError('E_INPUT_INVALID', 'input', `Cannot read ${path} (${code ?? 'error'})`, { cause: error })
  }
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await file.read(buffer, 0, SNIFF_BYTES, 0)
    return buffer.subarray(0, bytesRead)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CoreError('E_INPUT_INVALID', 'input', code === 'EISDIR' ? `${path} is a folder, not a file` : `Cannot read ${path} (${code ?? 'error'})`, { cause: error })
  } finally {
    await file.close()
  }
}

async function frameCount(path: string): Promise<number> {
  try {
    return (await sharp(path, { limitInputPixels: false }).metadata()).pages ?? 1
  } catch {
    return 1
  }
}

/**
 * Classifies an input by its content: an image sharp decodes (animated or not), or media in which
 * ffprobe finds a video stream. A video named `.m4a` or `.dat` is a video; anything else is refused
 * with what it looks like.
 */
export async function inputKind(path: string, options: { ffprobePath?: string } = {}): Promise<InputKind> {
  const bytes = await firstBytes(path)
  const type = sniff(bytes)
  if (type?.kind === 'image') return { kind: 'image', animated: (type.mime === 'image/gif' || type.mime === 'image/webp') && (await frameCount(path)) > 1, type }
  if (type?.kind === 'video') return { kind: 'video', animated: false, type }
  // Not a signature we know: ffprobe reads many more containers.
  const info = await probe(path, { ffprobePath: options.ffprobePath, scanPackets: 0 }).catch(() => undefined)
  if (info) return { kind: 'video', animated: false }
  throw new CoreError('E_INPUT_INVALID', 'input', `${path} is neither an image nor a video: ${describeUnknown(bytes)}`)
}

/**
 * Whether `input` → `output` is a video job: a video (by content), or an animated image written to
 * a video container. Image-sequence patterns (`frame_%04d.png`) are videos too.
 */
export async function isVideoJob(input: string, output: string, options: { ffprobePath?: string } = {}): Promise<boolean> {
  if (/%0?\d*d/.test(input)) return true
  const { kind, animated } = await inputKind(input, options)
  return kind === 'video' || (animated && VIDEO_OUTPUT_EXTENSIONS.includes(extname(output).toLowerCase()))
}

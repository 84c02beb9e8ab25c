import { createRequire } from 'node:module'
import { BinaryError, resolveBinary, type BinaryChoice, type BinaryName } from '@anime-upscaler/common'
import { ExtractError } from './errors'

/**
 * Which ffmpeg or ffprobe runs, and why that one (see @anime-upscaler/common's `resolveBinary`): the
 * bundled binaries come from this package's own dependencies. Fails with this stage's error.
 */
export function binaryChoice(name: BinaryName, explicit?: string): BinaryChoice {
  try {
    return resolveBinary(name, explicit, undefined, createRequire(__filename))
  } catch (error) {
    if (error instanceof BinaryError) throw new ExtractError('E_BINARY_NOT_FOUND', error.parts, error.details())
    throw error
  }
}

/** The ffmpeg binary to run: `explicit` > `FFMPEG_PATH` > the newer of the bundled one (@ffmpeg-installer) and the one on PATH. */
export function resolveFfmpeg(explicit?: string): string {
  return binaryChoice('ffmpeg', explicit).path
}

/** The ffprobe binary to run: `explicit` > `FFPROBE_PATH` > the newer of the bundled one (@ffprobe-installer) and the one on PATH. */
export function resolveFfprobe(explicit?: string): string {
  return binaryChoice('ffprobe', explicit).path
}

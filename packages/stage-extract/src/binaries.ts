import { BinaryError, resolveBinary, type BinaryName } from '@anime-upscaler/common'
import { ExtractError } from './errors'

/** The binary's path (see @anime-upscaler/common's `resolveBinary`), failing with this stage's error. */
function resolve(name: BinaryName, explicit: string | undefined): string {
  try {
    return resolveBinary(name, explicit).path
  } catch (error) {
    if (error instanceof BinaryError) throw new ExtractError('E_BINARY_NOT_FOUND', error.parts, error.details())
    throw error
  }
}

/** The ffmpeg binary to run: `explicit` > `FFMPEG_PATH` > the newer of the bundled one (@ffmpeg-installer) and the one on PATH. */
export function resolveFfmpeg(explicit?: string): string {
  return resolve('ffmpeg', explicit)
}

/** The ffprobe binary to run: `explicit` > `FFPROBE_PATH` > the newer of the bundled one (@ffprobe-installer) and the one on PATH. */
export function resolveFfprobe(explicit?: string): string {
  return resolve('ffprobe', explicit)
}

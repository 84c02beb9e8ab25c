import { extname } from 'node:path'

/** Extensions read as video (animated GIFs too, when the output is a video). */
export const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mkv', '.webm', '.mov', '.avi', '.ts', '.m2ts', '.mts', '.flv', '.wmv', '.mpg', '.mpeg', '.ogv', '.3gp']

/** Containers the encoder writes. */
export const VIDEO_OUTPUT_EXTENSIONS = ['.mkv', '.webm', '.mp4', '.m4v', '.mov']

/**
 * Whether `input` → `output` is a video job: a video file, an image sequence pattern
 * (`frame_%04d.png`), or an animated GIF written to a video container.
 */
export function isVideoJob(input: string, output: string): boolean {
  const inputExtension = extname(input).toLowerCase()
  if (VIDEO_EXTENSIONS.includes(inputExtension) || /%0?\d*d/.test(input)) return true
  return inputExtension === '.gif' && VIDEO_OUTPUT_EXTENSIONS.includes(extname(output).toLowerCase())
}

import { CoreError } from '@anime-upscaler/core'
import { SettingsError } from './settings'

/** An error as the page shows it: one sentence, and the technical detail (ffmpeg's words) apart. */
export interface PlainError {
  message: string
  detail?: string
  code?: string
}

const HEADLINES: Record<string, string> = {
  E_INPUT_INVALID: 'This file could not be read',
  E_INPUT_NOT_FOUND: 'The uploaded file is gone',
  E_IMAGE_TOO_LARGE: 'This image is too large',
  E_DECODE: 'Decoding failed',
  E_UPSCALE: 'Upscaling failed',
  E_ENCODE: 'Encoding the result failed',
  E_OUTPUT_FAILED: 'The result could not be written',
  E_INVALID_ARGUMENT: 'These settings cannot be used',
  E_ABORTED: 'Stopped',
}

/** CLI wording in core messages that means nothing in the page. */
const CLI_HINTS: [RegExp, string][] = [
  [/;? ?raise it with --max-pixels if you have the memory/g, ''],
  [/;? ?pass --overwrite to replace( it)?/g, ''],
  [/ or give --format/g, ''],
]

/**
 * Rewrites an error for people: server paths become the names the user uploaded, CLI hints go,
 * and ffmpeg's stderr moves to `detail`.
 */
export function plainError(error: unknown, names: ReadonlyMap<string, string> = new Map()): PlainError {
  if (error instanceof SettingsError) return { message: error.message, code: 'E_SETTINGS' }
  let text = error instanceof Error ? error.message : String(error)
  // Longest first, so a path is not half-replaced by a shorter one it contains.
  for (const [path, name] of [...names].sort((a, b) => b[0].length - a[0].length)) {
    for (const quoted of [`'${path}'`, `"${path}"`, path]) text = text.split(quoted).join(`"${name}"`)
  }
  for (const [pattern, replacement] of CLI_HINTS) text = text.replace(pattern, replacement)
  let detail: string | undefined
  const split = text.indexOf('\nffmpeg said:\n')
  if (split >= 0) {
    detail = text.slice(split + 1).trim()
    text = text.slice(0, split)
  }
  const code = error instanceof CoreError ? error.code : (error as { code?: unknown })?.code
  const headline = typeof code === 'string' ? HEADLINES[code] : undefined
  // core prefixes pipeline errors with the stage ("encode failed: …"); the headline says it already.
  const sentence = text.trim().replace(/\s+/g, ' ').replace(/^(decode|upscale|encode) failed: /, '')
  const message = headline && !sentence.toLowerCase().startsWith(headline.toLowerCase()) ? `${headline}: ${sentence}` : sentence
  return { message: message.endsWith('.') ? message : `${message}.`, detail, code: typeof code === 'string' ? code : undefined }
}

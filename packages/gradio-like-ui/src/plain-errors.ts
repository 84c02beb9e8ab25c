import type { PlainError } from './api-types'
import { SettingsError } from './settings'

export type { PlainError } from './api-types'

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

/** core's option names → the page's settings (field and label) that control them. */
const SETTINGS_OF_OPTIONS: Record<string, { field: string; label: string }> = {
  audioCodec: { field: 'audio', label: 'Audio' },
  subtitleCodec: { field: 'subtitles', label: 'Subtitles' },
  attachments: { field: 'attachments', label: 'Attachments' },
  codec: { field: 'codec', label: 'Codec' },
  crf: { field: 'crf', label: 'CRF' },
  preset: { field: 'preset', label: 'Preset' },
  model: { field: 'model', label: 'Model' },
  tile: { field: 'tile', label: 'Tile size' },
  workers: { field: 'workers', label: 'Workers' },
  quality: { field: 'quality', label: 'Quality' },
}

/**
 * core's library wording → the page's. core's messages name its options and the CLI's flags; until
 * every core error carries its structured `option` and `hint`, the few phrasings it uses are
 * reworded here, in one place.
 */
const REWORDINGS: [RegExp, string | ((...groups: string[]) => string)][] = [
  [/;? ?raise it with --max-pixels if you have the memory/g, ''],
  [/;? ?pass --overwrite to replace( it)?/g, ''],
  [/ or give --format/g, ''],
  [/choose an \.mkv output/g, 'choose the Container auto or mkv'],
  [/\b(audioCodec|subtitleCodec|attachments): '([^']+)'/g, (_match, option, value) => `${SETTINGS_OF_OPTIONS[option].label} to ${value}`],
]

function reword(text: string): string {
  return REWORDINGS.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement as string), text)
}

function replacePaths(text: string, names: ReadonlyMap<string, string>): string {
  // Longest first, so a path is not half-replaced by a shorter one it contains.
  for (const [path, name] of [...names].sort((a, b) => b[0].length - a[0].length)) {
    for (const quoted of [`'${path}'`, `"${path}"`, path]) text = text.split(quoted).join(`"${name}"`)
  }
  return text
}

/** An Error's message, or that of an error that crossed a process boundary as a plain object. */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | undefined)?.message
  return typeof message === 'string' ? message : String(error)
}

/** The page setting an error is about: from core's structured `option` when it has one. */
function settingOf(error: unknown): string | undefined {
  const option = (error as { option?: unknown } | undefined)?.option
  return typeof option === 'string' ? SETTINGS_OF_OPTIONS[option]?.field : undefined
}

/**
 * Rewrites an error (an Error, or core's error as it arrives from a job process) for people: server paths become the names the user uploaded, library options
 * become the page's settings, CLI hints go, and ffmpeg's stderr moves to `detail`.
 */
export function plainError(error: unknown, names: ReadonlyMap<string, string> = new Map()): PlainError {
  if (error instanceof SettingsError) return { message: error.message, code: 'E_SETTINGS', setting: error.setting }
  let text = reword(replacePaths(messageOf(error), names))
  let detail: string | undefined
  const split = text.indexOf('\nffmpeg said:\n')
  if (split >= 0) {
    detail = text.slice(split + 1).trim()
    text = text.slice(0, split)
  }
  const rawCode = (error as { code?: unknown } | undefined)?.code
  const code = typeof rawCode === 'string' ? rawCode : undefined
  const headline = code ? HEADLINES[code] : undefined
  // core prefixes pipeline errors with the stage ("encode failed: …"); the headline says it already.
  const sentence = text.trim().replace(/\s+/g, ' ').replace(/^(decode|upscale|encode) failed: /, '')
  const message = headline && !sentence.toLowerCase().startsWith(headline.toLowerCase()) ? `${headline}: ${sentence}` : sentence
  const plain: PlainError = { message: message.endsWith('.') ? message : `${message}.`, detail, code, setting: settingOf(error) }
  for (const key of ['detail', 'code', 'setting'] as const) if (plain[key] === undefined) delete plain[key]
  return plain
}

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
  reuse: { field: 'reuse', label: 'Reuse' },
  reuseRefs: { field: 'reuseRefs', label: 'Reference frames' },
}

/** The last part of a dotted option name (`encoder.subtitleCodec` → `subtitleCodec`). */
function settingOf(option: string): { field: string; label: string } | undefined {
  return SETTINGS_OF_OPTIONS[option.split('.').at(-1)!]
}

/**
 * How the page names core's options, for core's structured errors (`describe(wording)`): as its
 * settings ("Subtitles", "set Subtitles to mov_text"). Options the page has no setting for keep
 * the library's words.
 */
export const PAGE_WORDING = {
  name: (option: string): string | undefined => settingOf(option)?.label,
  setting: (option: string, value: unknown): string | undefined => {
    const setting = settingOf(option)
    return setting && `${setting.label} to ${String(value)}`
  },
}

interface Describable {
  message: string
  option?: string
  describe(wording: typeof PAGE_WORDING): string
}

function describable(error: unknown): error is Describable {
  return typeof (error as Describable | undefined)?.describe === 'function' && typeof (error as Describable).message === 'string'
}

/**
 * An error's message in the page's terms, where the error, or the stage error core wrapped in it,
 * is one of the structured errors that can word themselves. Runs where the error object lives (the
 * job process), before it crosses to the server as text.
 */
export function describeForPage(error: unknown): { message: string; option?: string } {
  const message = messageOf(error)
  const cause = (error as { cause?: unknown } | undefined)?.cause
  const wrapsStructured = describable(cause) && message.includes(cause.message)
  if (describable(error)) {
    const worded = error.describe(PAGE_WORDING)
    // A wrapper made from text words nothing itself: its structured cause does.
    if (worded !== message || !wrapsStructured) return { message: worded, option: error.option }
  }
  if (wrapsStructured) return { message: message.replace(cause.message, cause.describe(PAGE_WORDING)), option: cause.option }
  return { message }
}

/**
 * core's library wording → the page's, for messages that are still plain text (core's own errors
 * and the stage errors not yet structured): the few phrasings they use are reworded here, in one
 * place, until every error can `describe` itself.
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
function settingField(error: unknown): string | undefined {
  const option = (error as { option?: unknown } | undefined)?.option
  return typeof option === 'string' ? settingOf(option)?.field : undefined
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
  const plain: PlainError = { message: message.endsWith('.') ? message : `${message}.`, detail, code, setting: settingField(error) }
  for (const key of ['detail', 'code', 'setting'] as const) if (plain[key] === undefined) delete plain[key]
  return plain
}

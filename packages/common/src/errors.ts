/**
 * Errors that name options in the caller's own terms. A library error knows which option was wrong
 * (`crf`), with which value, and what was expected; its message is kept as parts in which option
 * names are references, so the CLI can say `--crf`, the web app "the CRF setting" and the library
 * `crf`, from the same error, without parsing text.
 */

/** An option named inside a message: its name alone, or a setting of it (`overwrite: true`). */
export interface OptionReference {
  readonly option: string
  readonly setting: boolean
  readonly value?: unknown
}

export type MessagePart = string | OptionReference

/** How a caller names options: a library's option names, a CLI's flags, a web app's settings. */
export interface OptionWording {
  /** The option's name, or undefined when this caller has no word for it. */
  name(option: string): string | undefined
  /** How to set the option to `value` ("--overwrite", "overwrite: true"), or undefined. */
  setting(option: string, value: unknown): string | undefined
}

/** A JavaScript literal for a message: strings quoted, the rest as written in code. */
export function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (value === undefined || value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? `[${value.map(literal).join(', ')}]` : JSON.stringify(value)
}

/** Options as a library user writes them: `crf`, `overwrite: true`. */
export const LIBRARY_WORDING: OptionWording = {
  name: (option) => option,
  setting: (option, value) => `${option.split('.').at(-1)}: ${literal(value)}`,
}

/** Refers to an option by name inside `message`. */
export function optionName(option: string): OptionReference {
  return { option, setting: false }
}

/** Refers to setting an option to a value inside `message`. */
export function optionSetting(option: string, value: unknown): OptionReference {
  return { option, setting: true, value }
}

function isReference(value: unknown): value is OptionReference {
  return typeof value === 'object' && value !== null && typeof (value as OptionReference).option === 'string' && typeof (value as OptionReference).setting === 'boolean'
}

/** A template tag: option references stay references, everything else becomes text. */
export function message(strings: TemplateStringsArray, ...values: unknown[]): MessagePart[] {
  const parts: MessagePart[] = []
  strings.forEach((text, i) => {
    if (text) parts.push(text)
    if (i < values.length) parts.push(isReference(values[i]) ? (values[i] as OptionReference) : String(values[i]))
  })
  return parts
}

export function renderMessage(parts: readonly MessagePart[], wording: OptionWording = LIBRARY_WORDING): string {
  return parts
    .map((part) => {
      if (typeof part === 'string') return part
      const worded = part.setting ? wording.setting(part.option, part.value) : wording.name(part.option)
      return worded ?? (part.setting ? LIBRARY_WORDING.setting(part.option, part.value) : LIBRARY_WORDING.name(part.option))!
    })
    .join('')
}

/** The structured fields of an error, beside its code. */
export interface ErrorDetails {
  /** The option the error is about, as the throwing library names it (dotted for nested options: `encoder.crf`). */
  option?: string
  /** The value it received. */
  value?: unknown
  /** What it expected ("positive integer"), for invalid arguments. */
  expected?: string
  /** What to do about it. */
  hint?: string | readonly MessagePart[]
  cause?: unknown
}

/**
 * The base of every anime-upscaler error: a stable `code` to branch on, and the structured fields
 * `option`, `value`, `expected`, `hint` and `cause`. `message` is worded for a library user;
 * `describe(wording)` words the same error for another caller.
 */
export class AnimeUpscalerError<Code extends string = string> extends Error {
  override name = 'AnimeUpscalerError'
  readonly code: Code
  readonly option?: string
  readonly value?: unknown
  readonly expected?: string
  readonly parts: readonly MessagePart[]
  readonly hintParts?: readonly MessagePart[]

  constructor(code: Code, text: string | readonly MessagePart[], details: ErrorDetails = {}) {
    const parts = typeof text === 'string' ? [text] : [...text]
    const hintParts = details.hint === undefined ? undefined : typeof details.hint === 'string' ? [details.hint] : [...details.hint]
    super(compose(parts, hintParts, LIBRARY_WORDING), details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.parts = parts
    if (hintParts) this.hintParts = hintParts
    if (details.option !== undefined) this.option = details.option
    if (details.value !== undefined) this.value = details.value
    if (details.expected !== undefined) this.expected = details.expected
  }

  /** What to do, worded for a library user. */
  get hint(): string | undefined {
    return this.hintParts && renderMessage(this.hintParts)
  }

  /** The message with options named in `wording`'s terms. */
  describe(wording: OptionWording): string {
    return compose(this.parts, this.hintParts, wording)
  }

  /** The structured fields, for a wrapper that re-throws this error as its own. */
  details(renameOption: (option: string) => string = (option) => option): ErrorDetails & { parts: MessagePart[] } {
    const rename = (parts: readonly MessagePart[]) => parts.map((part) => (typeof part === 'string' ? part : { ...part, option: renameOption(part.option) }))
    return {
      parts: rename(this.parts),
      ...(this.hintParts ? { hint: rename(this.hintParts) } : {}),
      ...(this.option !== undefined ? { option: renameOption(this.option) } : {}),
      ...(this.value !== undefined ? { value: this.value } : {}),
      ...(this.expected !== undefined ? { expected: this.expected } : {}),
      cause: this,
    }
  }
}

function compose(parts: readonly MessagePart[], hint: readonly MessagePart[] | undefined, wording: OptionWording): string {
  const text = renderMessage(parts, wording)
  return hint ? `${text}: ${renderMessage(hint, wording)}` : text
}

/** Describes a received value for an error message: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object') return 'an object'
  return String(value)
}

/** The message of any thrown value (errors from other realms included). */
export function messageOf(error: unknown): string {
  const text = (error as { message?: unknown } | null)?.message
  return typeof text === 'string' ? text : String(error)
}

/** The message of any thrown value, worded for a caller when it is one of ours. */
export function describeError(error: unknown, wording: OptionWording): string {
  return error instanceof AnimeUpscalerError ? error.describe(wording) : messageOf(error)
}

import { accessSync, constants, statSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { ExtractError, assertNonEmptyString, invalidArgument } from './errors'
import { parseRational, rationalFromNumber, reduce } from './media'
import type { Rational } from './types'

/** An input as ffmpeg and ffprobe receive it. */
export interface ResolvedInput {
  /** The argument after `-i`: `file:/abs/path` for local files (so names starting with `-` or holding `:` are safe), URLs unchanged. */
  arg: string
  /** Absolute path (or the URL) for messages. */
  display: string
  /** A `%d` / `%04d` pattern: an image sequence read by ffmpeg's image2 demuxer. */
  imageSequence: boolean
}

const URL_PATTERN = /^[a-z][a-z0-9+.-]+:\/\//i
const SEQUENCE_PATTERN = /%0?\d*d/

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

/** Validates an input path, checks that it exists and is readable, and says how to pass it to ffmpeg. */
export function resolveInput(input: unknown): ResolvedInput {
  assertNonEmptyString('input', input)
  if (URL_PATTERN.test(input) && !input.startsWith('file://')) return { arg: input, display: input, imageSequence: false }
  const path = resolve(input.startsWith('file://') ? new URL(input).pathname : input)
  const imageSequence = SEQUENCE_PATTERN.test(basename(path))
  if (imageSequence) {
    const folder = dirname(path)
    let isFolder = false
    try {
      isFolder = statSync(folder).isDirectory()
    } catch {
      isFolder = false
    }
    if (!isFolder) throw new ExtractError('E_NOT_FOUND', `Folder of the image sequence not found: '${folder}'`)
    return { arg: `file:${path}`, display: path, imageSequence }
  }
  let isDirectory: boolean
  try {
    isDirectory = statSync(path).isDirectory()
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') throw new ExtractError('E_NOT_FOUND', `Input file not found: '${path}'`, { cause: error })
    throw new ExtractError('E_NOT_READABLE', `Cannot read input '${path}': ${(error as Error).message}`, { cause: error })
  }
  if (isDirectory) {
    throw new ExtractError('E_NOT_MEDIA', `Input '${path}' is a folder, not a media file (for an image sequence give a pattern such as '${path}/frame_%04d.png')`)
  }
  try {
    accessSync(path, constants.R_OK)
  } catch (error) {
    throw new ExtractError('E_NOT_READABLE', `Cannot read input '${path}': permission denied`, { cause: error })
  }
  return { arg: `file:${path}`, display: path, imageSequence }
}

/** Frame rate option of image sequences: a positive number, a rational, or text like `24000/1001`. */
export function parseFrameRateOption(name: string, value: unknown): Rational {
  let rate: Rational | undefined
  if (typeof value === 'number') rate = Number.isFinite(value) && value > 0 ? rationalFromNumber(value) : undefined
  else if (typeof value === 'string') rate = parseRational(value)
  else if (value && typeof value === 'object') {
    const { num, den } = value as Rational
    if (Number.isInteger(num) && Number.isInteger(den) && num > 0 && den > 0) rate = reduce({ num, den })
  }
  if (!rate) throw invalidArgument("positive frame rate (number, 'num/den' or { num, den })", name, value)
  return rate
}

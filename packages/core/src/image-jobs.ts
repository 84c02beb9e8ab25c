import { stat } from 'node:fs/promises'
import { basename, extname, join, relative, resolve } from 'node:path'
import { message, optionSetting } from '@anime-upscaler/common'
import { glob, isDynamicPattern } from 'tinyglobby'
import { CoreError } from './errors'
import { IMAGE_EXTENSIONS, IMAGE_FORMATS, type ImageFormat } from './image-io'

/** One image to upscale and where its result goes. */
export interface ImageJob {
  input: string
  output: string
  format: ImageFormat
}

const FORMAT_BY_EXTENSION: Record<string, ImageFormat> = { '.png': 'png', '.jpg': 'jpg', '.jpeg': 'jpg', '.webp': 'webp', '.avif': 'avif' }

export function formatFromPath(path: string): ImageFormat | undefined {
  return FORMAT_BY_EXTENSION[extname(path).toLowerCase()]
}

export function assertImageFormat(format: unknown): asserts format is ImageFormat {
  if (!IMAGE_FORMATS.includes(format as ImageFormat)) {
    throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected format ${IMAGE_FORMATS.map((f) => `'${f}'`).join(', ')} but received '${String(format)}'`)
  }
}

/** A file an input names, found under a folder or a glob, or named itself. */
export interface FoundFile {
  file: string
  /** Path relative to the folder or glob base it was found under; the file name for a plain file. */
  relativePath: string
}

/** What a folder or glob is searched for, and how the search is named when it finds nothing. */
export interface SearchFor {
  extensions: readonly string[]
  /** 'images', 'images or videos'. */
  noun: string
}

const IMAGES: SearchFor = { extensions: IMAGE_EXTENSIONS, noun: 'images' }

/** The files an input names: a file itself, a folder's matching files (recursive) or a glob's. */
export async function expandInput(input: string, search: SearchFor): Promise<{ files: FoundFile[]; single: boolean }> {
  const info = await stat(input).catch(() => undefined)
  if (info?.isFile()) return { files: [{ file: input, relativePath: basename(input) }], single: true }
  const { extensions, noun } = search
  if (info?.isDirectory()) {
    const files = await glob(`**/*{${extensions.join(',')}}`, { cwd: input, caseSensitiveMatch: false, onlyFiles: true })
    if (files.length === 0) {
      throw new CoreError('E_NO_IMAGES', 'input', `No ${noun} found in folder ${input} (looked for ${extensions.join(', ')} in it and its subfolders)`)
    }
    return { files: files.sort().map((f) => ({ file: join(input, f), relativePath: f })), single: false }
  }
  if (isDynamicPattern(input)) {
    const base = staticPrefix(input)
    const files = (await glob(input, { onlyFiles: true })).filter((f) => extensions.includes(extname(f).toLowerCase()))
    if (files.length === 0) throw new CoreError('E_NO_IMAGES', 'input', `No ${noun} match ${input}`)
    return { files: files.sort().map((f) => ({ file: f, relativePath: relative(base, f) })), single: false }
  }
  throw new CoreError('E_INPUT_NOT_FOUND', 'input', `Input not found: ${input} (no such file or folder)`)
}

/** The folder part of a glob before its first wildcard: found files keep their layout below it. */
function staticPrefix(pattern: string): string {
  const parts = pattern.split('/')
  const firstDynamic = parts.findIndex((part) => isDynamicPattern(part))
  return parts.slice(0, firstDynamic).join('/') || '.'
}

/**
 * Turns files, folders (recursive) and globs into jobs. One file with an output that has an image
 * extension writes that file; otherwise `output` is a folder and relative layouts are kept.
 * Output format: `format`, else the output file's extension, else the input's when writable, else png.
 */
export async function resolveImageJobs(inputs: string[], output: string, format?: ImageFormat): Promise<ImageJob[]> {
  if (inputs.length === 0) throw new CoreError('E_INVALID_ARGUMENT', 'input', 'No inputs given: name at least one image, folder or glob')
  if (format !== undefined) assertImageFormat(format)
  const expanded = await Promise.all(inputs.map((input) => expandInput(input, IMAGES)))
  const outputIsFile = expanded.length === 1 && expanded[0].single && extname(output) !== ''
  if (outputIsFile) {
    const chosen = format ?? formatFromPath(output)
    if (!chosen) {
      throw new CoreError('E_INVALID_ARGUMENT', 'output', `Cannot write ${output}: use an extension .png, .jpg, .webp or .avif, or give --format`)
    }
    return [{ input: expanded[0].files[0].file, output, format: chosen }]
  }
  const claims = new OutputClaims()
  return expanded.flatMap(({ files }) => files.map((found) => imageJobUnder(output, found, claims, format)))
}

/** The job of an image found under a folder or glob: its layout kept under the output folder. */
export function imageJobUnder(output: string, { file, relativePath }: FoundFile, claims: OutputClaims, format: ImageFormat | undefined): ImageJob {
  const chosen = format ?? formatFromPath(file) ?? 'png'
  return { input: file, output: claims.claim(file, join(output, `${stemOf(relativePath)}.${chosen}`)), format: chosen }
}

/** A path without its extension. */
export function stemOf(path: string): string {
  return path.slice(0, path.length - extname(path).length)
}

/** The outputs of a batch so far: two inputs may not write one file. */
export class OutputClaims {
  private readonly claimed = new Map<string, string>()

  /** Claims `target` for `input`, or refuses a second claim. */
  claim(input: string, target: string): string {
    const key = resolve(target)
    const previous = this.claimed.get(key)
    if (previous !== undefined) {
      throw new CoreError('E_INVALID_ARGUMENT', 'output', `${previous} and ${input} would both be written to ${target}; give them different names or separate runs`)
    }
    this.claimed.set(key, input)
    return target
  }
}

/** Refuses a batch, before any work, when one of its outputs exists already (unless `overwrite`). */
export async function refuseExistingOutputs(jobs: ReadonlyArray<{ output: string }>, overwrite: boolean | undefined): Promise<void> {
  if (overwrite) return
  const existing = await existingOutputs(jobs)
  if (existing.length === 0) return
  const listed = existing.slice(0, 3).join(', ') + (existing.length > 3 ? ` and ${existing.length - 3} more` : '')
  throw new CoreError('E_OUTPUT_EXISTS', 'output', `Output already exists: ${listed}`, { option: 'overwrite', value: false, hint: message`use ${optionSetting('overwrite', true)} to replace` })
}

/** The outputs among `jobs` that exist already. */
export async function existingOutputs(jobs: ReadonlyArray<{ output: string }>): Promise<string[]> {
  const found = await Promise.all(jobs.map((job) => stat(job.output).then(() => job.output, () => undefined)))
  return found.filter((f): f is string => f !== undefined)
}

import { stat } from 'node:fs/promises'
import { basename, extname, join, relative, resolve } from 'node:path'
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

interface Found {
  file: string
  /** Path relative to the folder or glob base it was found under; the file name for a plain file. */
  relativePath: string
}

async function expand(input: string): Promise<{ files: Found[]; single: boolean }> {
  const info = await stat(input).catch(() => undefined)
  if (info?.isFile()) return { files: [{ file: input, relativePath: basename(input) }], single: true }
  const pattern = `**/*{${IMAGE_EXTENSIONS.join(',')}}`
  if (info?.isDirectory()) {
    const files = await glob(pattern, { cwd: input, caseSensitiveMatch: false, onlyFiles: true })
    if (files.length === 0) {
      throw new CoreError('E_NO_IMAGES', 'input', `No images found in folder ${input} (looked for ${IMAGE_EXTENSIONS.join(', ')} in it and its subfolders)`)
    }
    return { files: files.sort().map((f) => ({ file: join(input, f), relativePath: f })), single: false }
  }
  if (isDynamicPattern(input)) {
    const base = staticPrefix(input)
    const files = (await glob(input, { onlyFiles: true })).filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    if (files.length === 0) throw new CoreError('E_NO_IMAGES', 'input', `No images match ${input}`)
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
  const expanded = await Promise.all(inputs.map(expand))
  const outputIsFile = expanded.length === 1 && expanded[0].single && extname(output) !== ''
  if (outputIsFile) {
    const chosen = format ?? formatFromPath(output)
    if (!chosen) {
      throw new CoreError('E_INVALID_ARGUMENT', 'output', `Cannot write ${output}: use an extension .png, .jpg, .webp or .avif, or give --format`)
    }
    return [{ input: expanded[0].files[0].file, output, format: chosen }]
  }
  const jobs: ImageJob[] = []
  const claimed = new Map<string, string>()
  for (const { files } of expanded) {
    for (const { file, relativePath } of files) {
      const chosen = format ?? formatFromPath(file) ?? 'png'
      const stem = relativePath.slice(0, relativePath.length - extname(relativePath).length)
      const target = join(output, `${stem}.${chosen}`)
      const key = resolve(target)
      const previous = claimed.get(key)
      if (previous !== undefined) {
        throw new CoreError('E_INVALID_ARGUMENT', 'output', `${previous} and ${file} would both be written to ${target}; give them different names or separate runs`)
      }
      claimed.set(key, file)
      jobs.push({ input: file, output: target, format: chosen })
    }
  }
  return jobs
}

/** The outputs among `jobs` that exist already. */
export async function existingOutputs(jobs: ImageJob[]): Promise<string[]> {
  const found = await Promise.all(jobs.map((job) => stat(job.output).then(() => job.output, () => undefined)))
  return found.filter((f): f is string => f !== undefined)
}

import { stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { CoreError } from './errors'
import { IMAGE_EXTENSIONS, type ImageFormat } from './image-io'
import { OutputClaims, assertImageFormat, expandInput, formatFromPath, imageJobUnder, stemOf, type FoundFile, type ImageJob, type SearchFor } from './image-jobs'
import { mapLimited } from './map-limited'
import { VIDEO_OUTPUT_EXTENSIONS, inputKind, isVideoJob } from './media-kind'
import { check } from './video/options'

/** The video files folders and globs are searched for (what each one is is then read from its content). */
export const VIDEO_EXTENSIONS = ['.mkv', '.mp4', '.webm', '.m4v', '.mov', '.avi', '.flv', '.wmv', '.mpg', '.mpeg', '.ts', '.m2ts', '.mts', '.ogv', '.3gp']

/** One file of a batch and where its result goes: an image (with its output format) or a video. */
export type MediaJob = ({ kind: 'image' } & ImageJob) | { kind: 'video'; input: string; output: string }

export interface ResolveMediaOptions {
  /** Output format of the images (default: the output file's extension, else the input's when writable, else png). */
  format?: ImageFormat
  ffprobePath?: string
}

const MEDIA: SearchFor = { extensions: [...IMAGE_EXTENSIONS, ...VIDEO_EXTENSIONS], noun: 'images or videos' }
const IMAGE_SEQUENCE = /%0?\d*d/
/** Files classified at once (each costs a read of its first bytes, sometimes an ffprobe). */
const CLASSIFY_CONCURRENCY = 8

/**
 * Turns files, folders (recursive) and globs of images and videos into jobs, each classified by its
 * content. One file (or an image-sequence pattern) with an output that has an extension writes that
 * file. Otherwise `output` is a folder and relative layouts are kept: images take `format` (else
 * their own format when writable, else png), videos keep their container when the encoder writes it
 * (.mkv, .webm, .mp4, .m4v, .mov) and become .mkv otherwise. Two inputs that would write one file are
 * refused. A file of a folder or glob whose content cannot be read is kept as the kind its extension
 * names: the batch reports its failure and goes on.
 */
export async function resolveMediaJobs(inputs: string[], output: string, options: ResolveMediaOptions = {}): Promise<MediaJob[]> {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new CoreError('E_INVALID_ARGUMENT', 'input', 'No inputs given: name at least one image, video, folder or glob')
  for (const input of inputs) check.nonEmptyString('input', input)
  check.nonEmptyString('output', output)
  if (options.format !== undefined) assertImageFormat(options.format)
  if (inputs.length === 1 && extname(output) !== '' && (IMAGE_SEQUENCE.test(inputs[0]) || (await isFile(inputs[0])))) return [await singleJob(inputs[0], output, options)]
  const found = (await Promise.all(inputs.map((input) => expandInput(input, MEDIA)))).flatMap(({ files }) => files)
  const kinds = await mapLimited(found, CLASSIFY_CONCURRENCY, (file) => kindOf(file.file, options))
  const claims = new OutputClaims()
  return found.map((file, i) => folderJob(file, kinds[i], output, claims, options.format))
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false
}

/** One input to one output file: a video (or an animated image into a video container), else an image. */
async function singleJob(input: string, output: string, options: ResolveMediaOptions): Promise<MediaJob> {
  if (await isVideoJob(input, output, options)) return { kind: 'video', input, output }
  const format = options.format ?? formatFromPath(output)
  if (!format) throw new CoreError('E_INVALID_ARGUMENT', 'output', `Cannot write ${output}: use an extension .png, .jpg, .webp or .avif, or give --format`)
  return { kind: 'image', input, output, format }
}

/** What a found file is by its content; by its extension when the content cannot be read. */
async function kindOf(file: string, options: ResolveMediaOptions): Promise<MediaJob['kind']> {
  try {
    return (await inputKind(file, options)).kind
  } catch {
    return IMAGE_EXTENSIONS.includes(extname(file).toLowerCase()) ? 'image' : 'video'
  }
}

function folderJob(found: FoundFile, kind: MediaJob['kind'], output: string, claims: OutputClaims, format: ImageFormat | undefined): MediaJob {
  if (kind === 'image') return { kind, ...imageJobUnder(output, found, claims, format) }
  return { kind, input: found.file, output: claims.claim(found.file, join(output, `${stemOf(found.relativePath)}${videoExtension(found.file)}`)) }
}

/** A video keeps its container when the encoder writes it; Matroska holds any other source's streams. */
function videoExtension(file: string): string {
  const extension = extname(file).toLowerCase()
  return VIDEO_OUTPUT_EXTENSIONS.includes(extension) ? extension : '.mkv'
}

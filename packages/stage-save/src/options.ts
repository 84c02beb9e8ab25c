import * as path from 'node:path'
import {
  SaveError,
  assertBoolean,
  assertIntegerInRange,
  assertNonNegativeInteger,
  assertOneOf,
  assertPositiveInteger,
  describeValue,
  invalidArgument,
} from './errors'
import { MUXER_BY_EXTENSION, videoCodecProblem, type Muxer, type SourceStream } from './containers'

export const VIDEO_CODECS = ['libx264', 'libx265', 'libvpx-vp9', 'ffv1'] as const
export type VideoCodec = (typeof VIDEO_CODECS)[number]

export const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'] as const
export type Preset = (typeof PRESETS)[number]

export const PIX_FMTS = ['yuv420p', 'yuv422p', 'yuv444p', 'yuv420p10le', 'yuv422p10le', 'yuv444p10le'] as const
export type PixFmt = (typeof PIX_FMTS)[number]

/** Matrix names as ffprobe reports them, plus the aliases 'bt601' and 'bt2020', and 'auto'. */
export const COLORSPACES = ['auto', 'bt709', 'bt601', 'smpte170m', 'bt470bg', 'bt2020nc', 'bt2020', 'smpte240m'] as const
export const COLOR_PRIMARIES = ['bt709', 'bt470m', 'bt470bg', 'smpte170m', 'smpte240m', 'film', 'bt2020', 'smpte428', 'smpte431', 'smpte432'] as const
export const COLOR_TRANSFERS = [
  'bt709', 'gamma22', 'gamma28', 'smpte170m', 'smpte240m', 'linear', 'iec61966-2-1', 'iec61966-2-4', 'bt1361e',
  'bt2020-10', 'bt2020-12', 'smpte2084', 'smpte428', 'arib-std-b67',
] as const
export const COLOR_RANGES = ['tv', 'pc', 'limited', 'full'] as const

export const AUDIO_CODECS = ['copy', 'none', 'aac', 'libopus', 'libvorbis', 'libmp3lame', 'ac3', 'flac', 'alac'] as const
export const SUBTITLE_CODECS = ['copy', 'none', 'mov_text', 'srt', 'ass', 'webvtt'] as const
export const IMAGE_FORMATS = ['png', 'webp'] as const

/** Values ffprobe reports for an untagged stream; they mean "decide for me". */
const UNSPECIFIED = ['unknown', 'unspecified', 'reserved', '']

export interface SaveOptions {
  /** Video mode: the output file (.mkv, .webm, .mp4, .m4v, .mov). Image mode: the output folder. */
  output: string
  /** 'video' (default): one encoded file. 'images': one png/webp file per frame in the `output` folder. */
  mode?: 'video' | 'images'
  /** Replace an existing output (video) or existing frame files (images). Default false: refuse. */
  overwrite?: boolean
  /** Index of the first frame (default 0); indices must then be contiguous. */
  firstIndex?: number
  /** Frames held while waiting for an earlier index (default 64). Exceeding it is an error. */
  reorderCapacity?: number
  /** Kept frames remembered for later duplicates (default 4). */
  duplicateCacheSize?: number
  /** ffmpeg binary: this, else $FFMPEG_PATH, else @ffmpeg-installer/ffmpeg, else `ffmpeg` on PATH. */
  ffmpegPath?: string
  /** Stops the stage: the output is deleted (error E_ABORTED) or, with keepPartial, finalised. */
  signal?: AbortSignal
  /** On a stop (abort, upstream error, unsubscribe), finalise what was written into a playable file. */
  keepPartial?: boolean
  /**
   * Grace period between SIGTERM and SIGKILL when a stop discards the output (default 0: killed at
   * once, since nothing it would finish is kept; a stop is honoured within 2 s).
   */
  killTimeoutMs?: number

  /** Video encoder (default libx264; libvpx-vp9 for .webm). */
  codec?: VideoCodec
  /** Constant-quality factor (libx264/libx265 0-51, default 18/20; libvpx-vp9 0-63, default 31). Not for ffv1. */
  crf?: number
  /** Speed/size trade-off (default medium); for libvpx-vp9 mapped to -cpu-used. Not for ffv1. */
  preset?: Preset
  /** Encoded pixel format (default yuv420p). */
  pixFmt?: PixFmt
  /**
   * Encoded frame size. Frames of another size are scaled by ffmpeg (lanczos, in the same swscale
   * pass as the RGB→YUV conversion, so it costs little). Default: the frames' own size.
   */
  size?: { width: number; height: number }
  /** Constant output rate as a rational ('24000/1001') or integer. Omit to keep each frame's own pts (VFR). */
  frameRate?: string | number
  /**
   * Constant rate: the time (seconds) the rate's grid starts at. Default: the first frame's pts. A
   * segment of a longer video gives the video's first pts, so its frames land on the video's grid.
   */
  gridStart?: number
  /** RGB->YUV matrix, also written as the tag (default 'auto': bt709 for HD, smpte170m below). */
  colorspace?: string
  /** Primaries tag (default: the matrix's own). Colours are not converted, only tagged. */
  colorPrimaries?: string
  /** Transfer tag (default: the matrix's own). */
  colorTransfer?: string
  /** Output range (default 'tv', limited). */
  colorRange?: string
  /** The original file: its audio, subtitle and attachment streams, chapters and metadata are copied. */
  source?: string
  /** The source's streams, when the caller has probed it already (core has): spares listing them with `ffmpeg -i`. */
  sourceStreams?: readonly SourceStream[]
  /** 'copy' (default), 'none' to drop, or an encoder to transcode every audio stream. */
  audioCodec?: (typeof AUDIO_CODECS)[number]
  /** 'copy' (default), 'none' to drop, or a text subtitle codec to convert to. */
  subtitleCodec?: (typeof SUBTITLE_CODECS)[number]
  /** 'copy' (default) or 'none'. */
  attachments?: 'copy' | 'none'
  /** Extra ffmpeg output options, inserted before the output file (escape hatch). */
  extraArgs?: readonly string[]

  /** Image mode: 'png' (default; 16-bit frames stay 16-bit) or 'webp'. */
  imageFormat?: (typeof IMAGE_FORMATS)[number]
  /** Image mode: zero-padded digits of the index in file names (default 6). */
  digits?: number
  /** Image mode: file name prefix (default ''). */
  prefix?: string
  /** Image mode, webp: lossy quality 0-100; omit for lossless. */
  quality?: number
}

export interface Rational {
  num: number
  den: number
}

export interface ColorRequest {
  colorspace: string
  primaries?: string
  transfer?: string
  range: 'tv' | 'pc'
}

export interface ResolvedVideo {
  muxer: Muxer
  codec: VideoCodec
  crf?: number
  preset?: Preset
  pixFmt: PixFmt
  size?: { width: number; height: number }
  frameRate?: Rational
  gridStart?: number
  /** A segment of an output of `muxer`, to be joined by `joinSegments` (see `segmentPlan`). */
  segment?: boolean
  color: ColorRequest
  source?: string
  audioCodec: (typeof AUDIO_CODECS)[number]
  subtitleCodec: (typeof SUBTITLE_CODECS)[number]
  attachments: 'copy' | 'none'
  extraArgs: string[]
}

export interface ResolvedImages {
  format: 'png' | 'webp'
  digits: number
  prefix: string
  quality?: number
}

export interface ResolvedOptions {
  mode: 'video' | 'images'
  output: string
  overwrite: boolean
  firstIndex: number
  reorderCapacity: number
  duplicateCacheSize: number
  ffmpegPath?: string
  signal?: AbortSignal
  keepPartial: boolean
  killTimeoutMs: number
  video?: ResolvedVideo
  images?: ResolvedImages
}

/** Parses '24000/1001', '24' or 24 into a reduced positive rational. */
export function parseRational(name: string, value: unknown): Rational {
  let num: number
  let den = 1
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
    num = value
  } else if (typeof value === 'string' && /^\d+(\/\d+)?$/.test(value.trim())) {
    const [a, b] = value.trim().split('/')
    num = Number(a)
    den = b === undefined ? 1 : Number(b)
  } else {
    throw invalidArgument("positive rational like '24000/1001'", name, value)
  }
  if (!(num > 0) || !(den > 0) || !Number.isSafeInteger(num) || !Number.isSafeInteger(den)) {
    throw invalidArgument("positive rational like '24000/1001'", name, value)
  }
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y))
  const g = gcd(num, den)
  return { num: num / g, den: den / g }
}

/** Constant-quality defaults of each encoder (ffv1 is lossless and has none). */
export const DEFAULT_CRF: Readonly<Record<VideoCodec, number | undefined>> = { libx264: 18, libx265: 20, 'libvpx-vp9': 31, ffv1: undefined }
export const DEFAULT_PRESET: Preset = 'medium'
const MAX_CRF: Record<VideoCodec, number> = { libx264: 51, libx265: 51, 'libvpx-vp9': 63, ffv1: 0 }

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidArgument('string', name, value)
  return value
}

/** Validates every option up front and fills in the defaults; throws a SaveError naming the option. */
export function resolveOptions(options: SaveOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options)
  const o = options
  if (typeof o.output !== 'string' || o.output.trim() === '') throw invalidArgument('non-empty string', 'output', o.output)
  const mode = o.mode ?? 'video'
  assertOneOf('mode', mode, ['video', 'images'] as const)
  const overwrite = o.overwrite ?? false
  assertBoolean('overwrite', overwrite)
  const keepPartial = o.keepPartial ?? false
  assertBoolean('keepPartial', keepPartial)
  const firstIndex = o.firstIndex ?? 0
  assertNonNegativeInteger('firstIndex', firstIndex)
  const reorderCapacity = o.reorderCapacity ?? 64
  assertPositiveInteger('reorderCapacity', reorderCapacity)
  const duplicateCacheSize = o.duplicateCacheSize ?? 4
  assertPositiveInteger('duplicateCacheSize', duplicateCacheSize)
  const killTimeoutMs = o.killTimeoutMs ?? 0
  assertNonNegativeInteger('killTimeoutMs', killTimeoutMs)
  const ffmpegPath = optionalString('ffmpegPath', o.ffmpegPath)
  if (ffmpegPath === '') throw invalidArgument('non-empty string', 'ffmpegPath', ffmpegPath)
  if (o.signal !== undefined && (typeof o.signal !== 'object' || o.signal === null || typeof o.signal.aborted !== 'boolean')) {
    throw invalidArgument('AbortSignal', 'signal', o.signal)
  }
  const output = path.resolve(o.output)
  const base: ResolvedOptions = {
    mode, output, overwrite, firstIndex, reorderCapacity, duplicateCacheSize, keepPartial, killTimeoutMs,
    ...(ffmpegPath !== undefined ? { ffmpegPath } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  }
  if (mode === 'images') return { ...base, images: resolveImages(o) }
  return { ...base, video: resolveVideo(o, output) }
}

function resolveImages(o: SaveOptions): ResolvedImages {
  const format = o.imageFormat ?? 'png'
  assertOneOf('imageFormat', format, IMAGE_FORMATS)
  const digits = o.digits ?? 6
  assertIntegerInRange('digits', digits, 1, 12)
  const prefix = o.prefix ?? ''
  if (typeof prefix !== 'string' || /[\\/\0]/.test(prefix) || prefix.startsWith('.')) {
    throw invalidArgument('file name prefix without path separators or a leading dot', 'prefix', prefix)
  }
  if (o.quality !== undefined) {
    if (format !== 'webp') throw new SaveError('E_INVALID_ARGUMENT', `quality applies to webp images only, but imageFormat is '${format}': remove quality`)
    assertIntegerInRange('quality', o.quality, 0, 100)
  }
  return { format, digits, prefix, ...(o.quality !== undefined ? { quality: o.quality } : {}) }
}

export function resolveSize(size: unknown, pixFmt: PixFmt): { width: number; height: number } {
  if (size === null || typeof size !== 'object') throw invalidArgument('{ width, height }', 'size', size)
  const { width, height } = size as { width: unknown; height: unknown }
  assertPositiveInteger('size.width', width)
  assertPositiveInteger('size.height', height)
  const { evenWidth, evenHeight } = evenSides(pixFmt)
  if ((evenWidth && width % 2) || (evenHeight && height % 2)) {
    throw new SaveError('E_INVALID_ARGUMENT', `Expected an even ${evenHeight ? 'width and height' : 'width'} for size with ${pixFmt} but received ${width}x${height}`)
  }
  return { width, height }
}

/** Which sides a pixel format's chroma subsampling needs even. */
export function evenSides(pixFmt: string): { evenWidth: boolean; evenHeight: boolean } {
  return { evenWidth: pixFmt.startsWith('yuv420') || pixFmt.startsWith('yuv422'), evenHeight: pixFmt.startsWith('yuv420') }
}

function resolveVideo(o: SaveOptions, output: string): ResolvedVideo {
  const extension = path.extname(output).toLowerCase()
  const muxer = MUXER_BY_EXTENSION[extension]
  if (!muxer) {
    throw new SaveError(
      'E_INVALID_ARGUMENT',
      `Expected output to end in ${Object.keys(MUXER_BY_EXTENSION).join(', ')} but received ${describeValue(o.output)}`,
    )
  }
  const codec = o.codec ?? (muxer === 'webm' ? 'libvpx-vp9' : 'libx264')
  assertOneOf('codec', codec, VIDEO_CODECS)
  const problem = videoCodecProblem(muxer, codec)
  if (problem) throw new SaveError('E_INCOMPATIBLE_CONTAINER', problem.parts, { option: problem.option, value: problem.value })

  let crf: number | undefined
  if (codec === 'ffv1') {
    if (o.crf !== undefined) throw new SaveError('E_INVALID_ARGUMENT', `crf does not apply to ffv1, which is always lossless: remove crf (received ${describeValue(o.crf)})`)
    if (o.preset !== undefined) throw new SaveError('E_INVALID_ARGUMENT', `preset does not apply to ffv1: remove preset (received ${describeValue(o.preset)})`)
  } else {
    crf = o.crf ?? DEFAULT_CRF[codec]
    assertIntegerInRange('crf', crf, 0, MAX_CRF[codec])
  }
  let preset: Preset | undefined
  if (codec !== 'ffv1') {
    preset = o.preset ?? DEFAULT_PRESET
    assertOneOf('preset', preset, PRESETS)
  }
  const pixFmt = o.pixFmt ?? 'yuv420p'
  assertOneOf('pixFmt', pixFmt, PIX_FMTS)
  const size = o.size === undefined ? undefined : resolveSize(o.size, pixFmt)
  const frameRate = o.frameRate === undefined ? undefined : parseRational('frameRate', o.frameRate)
  if (o.gridStart !== undefined && !(typeof o.gridStart === 'number' && Number.isFinite(o.gridStart))) throw invalidArgument('number of seconds', 'gridStart', o.gridStart)

  let colorspace = optionalString('colorspace', o.colorspace) ?? 'auto'
  if (UNSPECIFIED.includes(colorspace)) colorspace = 'auto'
  assertOneOf('colorspace', colorspace, COLORSPACES)
  let primaries = optionalString('colorPrimaries', o.colorPrimaries)
  if (primaries !== undefined && UNSPECIFIED.includes(primaries)) primaries = undefined
  if (primaries !== undefined) assertOneOf('colorPrimaries', primaries, COLOR_PRIMARIES)
  let transfer = optionalString('colorTransfer', o.colorTransfer)
  if (transfer !== undefined && UNSPECIFIED.includes(transfer)) transfer = undefined
  if (transfer !== undefined) assertOneOf('colorTransfer', transfer, COLOR_TRANSFERS)
  let rangeName = optionalString('colorRange', o.colorRange) ?? 'tv'
  if (UNSPECIFIED.includes(rangeName)) rangeName = 'tv'
  assertOneOf('colorRange', rangeName, COLOR_RANGES)
  const range = rangeName === 'pc' || rangeName === 'full' ? 'pc' : 'tv'

  const source = optionalString('source', o.source)
  if (source === '') throw invalidArgument('non-empty string', 'source', source)
  const audioCodec = o.audioCodec ?? 'copy'
  assertOneOf('audioCodec', audioCodec, AUDIO_CODECS)
  const subtitleCodec = o.subtitleCodec ?? 'copy'
  assertOneOf('subtitleCodec', subtitleCodec, SUBTITLE_CODECS)
  const attachments = o.attachments ?? 'copy'
  assertOneOf('attachments', attachments, ['copy', 'none'] as const)
  const extraArgs = o.extraArgs ?? []
  if (!Array.isArray(extraArgs) || !extraArgs.every((a) => typeof a === 'string')) {
    throw invalidArgument('array of strings', 'extraArgs', extraArgs)
  }
  return {
    muxer, codec, pixFmt, audioCodec, subtitleCodec, attachments, extraArgs: [...extraArgs],
    color: { colorspace, range, ...(primaries ? { primaries } : {}), ...(transfer ? { transfer } : {}) },
    ...(crf !== undefined ? { crf } : {}),
    ...(preset !== undefined ? { preset } : {}),
    ...(frameRate ? { frameRate } : {}),
    ...(o.gridStart !== undefined ? { gridStart: o.gridStart } : {}),
    ...(size ? { size } : {}),
    ...(source !== undefined ? { source: path.resolve(source) } : {}),
  }
}

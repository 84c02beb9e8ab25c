import { endianness } from 'node:os'
import type { Observable } from 'rxjs'
import { ExtractError, assertNonNegativeInteger, assertOneOf, assertPositiveInteger, invalidArgument } from './errors'
import { parseFrameRateOption, resolveInput } from './input'
import { guessMatrix, isYuv, swsMatrixOf, type SwsMatrix } from './media'
import type { MediaInfo, Rational } from './types'

export const COLOR_MATRICES = ['auto', 'bt601', 'bt709', 'bt2020', 'smpte240m', 'fcc'] as const
export const COLOR_RANGES = ['auto', 'tv', 'pc'] as const
export const PIXEL_FORMATS = ['auto', 'rgb24', 'rgb48'] as const
export const CONVERSIONS = ['accurate', 'fast'] as const

export interface ExtractOptions {
  /** ffmpeg binary (see `resolveFfmpeg`). */
  ffmpegPath?: string
  /** ffprobe binary for the probe run before decoding (see `resolveFfprobe`). */
  ffprobePath?: string
  /** A `probe` result for this input: skips probing again. */
  info?: MediaInfo
  /** Absolute index of the video stream; default: the probed one (first video that is not a cover picture). */
  streamIndex?: number
  /** Frame rate of an image sequence (default 25). */
  frameRate?: number | string | Rational
  /**
   * Backpressure: each emission grants that many more frames (a non-negative integer, or
   * Infinity). No frame is emitted beyond the granted total, and ffmpeg's output is not read
   * while there is no credit, so ffmpeg blocks on the full pipe. Without `demand` frames flow freely.
   */
  demand?: Observable<number>
  /** `rgb24` (Uint8Array), `rgb48` (Uint16Array), or `auto` (default): rgb48 for sources above 8 bits. */
  pixelFormat?: (typeof PIXEL_FORMATS)[number]
  /** YUV→RGB matrix; `auto` (default): the file's own, else BT.709 for HD and BT.601 for SD. */
  colorMatrix?: (typeof COLOR_MATRICES)[number]
  /** YUV range; `auto` (default): the file's own, else full for `yuvj*` formats and limited otherwise. */
  colorRange?: (typeof COLOR_RANGES)[number]
  /** `accurate` (default): exact rounding and full chroma interpolation; `fast`: swscale's SIMD path (about 1 level less accurate, 2-3x cheaper). */
  conversion?: (typeof CONVERSIONS)[number]
  /** Turn frames upright according to the rotation metadata (default true). */
  autorotate?: boolean
  /** Stop after this many frames. */
  maxFrames?: number
  /**
   * Start at the first frame at or after this time (seconds on the source's timeline, as `pts`):
   * ffmpeg seeks to the keyframe before it and decodes from there. Indices still count from 0.
   */
  seekTo?: number
  /** Decoder threads (ffmpeg's `-threads` on the input); default: ffmpeg's choice. */
  threads?: number
  /** Complete normally even when the input looks truncated (default false: `E_TRUNCATED`). */
  allowTruncated?: boolean
  /** After unsubscribe/abort, ffmpeg gets SIGTERM, then SIGKILL after this many ms (default 2000). */
  killGraceMs?: number
  signal?: AbortSignal
  /** Called once ffmpeg runs: its pid and command line (for logs and process supervision). */
  onStart?: (process: { pid: number; command: string; args: string[] }) => void
}

/** How a video will be decoded: frame geometry and format, the colour conversion, and ffmpeg's arguments. */
export interface ExtractPlan {
  width: number
  height: number
  channels: 3
  /** ffmpeg's output pixel format. */
  pixelFormat: 'rgb24' | 'rgb48le' | 'rgb48be'
  bytesPerSample: 1 | 2
  bytesPerFrame: number
  /** Matrix and range of the YUV→RGB conversion; undefined for RGB/palette/grey sources. */
  colorMatrix?: SwsMatrix
  colorRange?: 'tv' | 'pc'
  /** Clockwise rotation applied. */
  rotation: 0 | 90 | 180 | 270
  /** The filter graph given to `-vf`. */
  filters: string
  /** ffmpeg's arguments (without the binary). */
  args: string[]
}

/** Validates the options of `extractFrames` (throws `E_INVALID_ARGUMENT`). */
export function validateExtractOptions(options: unknown): asserts options is ExtractOptions {
  if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options)
  const o = options as ExtractOptions
  if (o.streamIndex !== undefined) assertNonNegativeInteger('streamIndex', o.streamIndex)
  if (o.frameRate !== undefined) parseFrameRateOption('frameRate', o.frameRate)
  if (o.demand !== undefined && typeof (o.demand as { subscribe?: unknown })?.subscribe !== 'function') throw invalidArgument('an Observable of numbers', 'demand', o.demand)
  if (o.pixelFormat !== undefined) assertOneOf('pixelFormat', o.pixelFormat, PIXEL_FORMATS)
  if (o.colorMatrix !== undefined) assertOneOf('colorMatrix', o.colorMatrix, COLOR_MATRICES)
  if (o.colorRange !== undefined) assertOneOf('colorRange', o.colorRange, COLOR_RANGES)
  if (o.conversion !== undefined) assertOneOf('conversion', o.conversion, CONVERSIONS)
  if (o.autorotate !== undefined && typeof o.autorotate !== 'boolean') throw invalidArgument('boolean', 'autorotate', o.autorotate)
  if (o.allowTruncated !== undefined && typeof o.allowTruncated !== 'boolean') throw invalidArgument('boolean', 'allowTruncated', o.allowTruncated)
  if (o.maxFrames !== undefined) assertPositiveInteger('maxFrames', o.maxFrames)
  if (o.seekTo !== undefined && !(typeof o.seekTo === 'number' && Number.isFinite(o.seekTo) && o.seekTo >= 0)) throw invalidArgument('non-negative number of seconds', 'seekTo', o.seekTo)
  if (o.threads !== undefined) assertPositiveInteger('threads', o.threads)
  if (o.killGraceMs !== undefined) assertNonNegativeInteger('killGraceMs', o.killGraceMs)
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArgument('AbortSignal', 'signal', o.signal)
  if (o.onStart !== undefined && typeof o.onStart !== 'function') throw invalidArgument('function', 'onStart', o.onStart)
  if (o.info !== undefined && (typeof o.info !== 'object' || o.info === null || typeof o.info.video?.width !== 'number')) throw invalidArgument('a MediaInfo from probe()', 'info', o.info)
}

/**
 * ffmpeg's -ss for a source timestamp: relative to the file's start time (the earliest stream's:
 * a WebM whose Opus starts at -6.5 ms has its video's frame at 1.000 s at 1.0065 s), in
 * microseconds (what ffmpeg parses), never negative.
 */
export function seekArgument(seekTo: number, fileStart: number): string {
  return (Math.max(0, Math.round((seekTo - fileStart) * 1e6)) / 1e6).toFixed(6)
}

/** zscale's names of the matrices it handles in the 2018 build (its smpte240m is misspelt there; fcc goes to swscale). */
const ZIMG_MATRICES: Partial<Record<SwsMatrix, string>> = { bt601: '170m', bt709: '709', bt2020: '2020_ncl' }

const ROTATE_FILTERS: Record<0 | 90 | 180 | 270, string[]> = {
  0: [],
  90: ['transpose=clock'],
  180: ['hflip', 'vflip'],
  270: ['transpose=cclock'],
}

/**
 * Works out how `extractFrames` decodes a probed input: output size (upright), RGB format,
 * the YUV→RGB matrix and range, the filter graph and ffmpeg's arguments.
 */
export function planExtraction(info: MediaInfo, options: ExtractOptions = {}): ExtractPlan {
  validateExtractOptions(options)
  const video = info.video
  if (options.streamIndex !== undefined && options.streamIndex !== video.index) {
    throw new ExtractError('E_INVALID_ARGUMENT', `streamIndex ${options.streamIndex} does not match the probed video stream ${video.index}: probe with the same streamIndex`)
  }
  const input = resolveInput(info.input)
  const rotation = options.autorotate === false ? 0 : video.rotation
  const turned = rotation === 90 || rotation === 270
  const width = turned ? video.height : video.width
  const height = turned ? video.width : video.height

  const wide = options.pixelFormat === 'rgb48' || ((options.pixelFormat ?? 'auto') === 'auto' && video.bitDepth > 8)
  const pixelFormat = wide ? (endianness() === 'LE' ? 'rgb48le' : 'rgb48be') : 'rgb24'
  const bytesPerSample = wide ? 2 : 1

  let colorMatrix: SwsMatrix | undefined
  let colorRange: 'tv' | 'pc' | undefined
  if (isYuv(video.pixelFormat)) {
    const askedMatrix = options.colorMatrix ?? 'auto'
    colorMatrix = askedMatrix !== 'auto' ? askedMatrix : (swsMatrixOf(video.color.matrix) ?? guessMatrix(video.width, video.height))
    const askedRange = options.colorRange ?? 'auto'
    colorRange = askedRange !== 'auto' ? askedRange : (video.color.range ?? (video.pixelFormat.startsWith('yuvj') ? 'pc' : 'tv'))
  }

  // 16-bit output goes through zimg: the 2018 swscale's YUV -> rgb48 path is off by up to 2/255
  // (white comes out with blue at 253); zimg is within 0.7/255 and faster. 8-bit output uses swscale
  // with exact rounding (within 1/255).
  const zimgMatrix = colorMatrix && ZIMG_MATRICES[colorMatrix]
  let convert: string[]
  if (wide && zimgMatrix && !video.pixelFormat.startsWith('yuvj')) {
    // Same primaries and transfer in and out: zimg converts the matrix and range only (no tone mapping).
    const zimg = `zscale=w=${width}:h=${height}:matrixin=${zimgMatrix}:rangein=${colorRange === 'pc' ? 'full' : 'limited'}:primariesin=709:primaries=709:transferin=709:transfer=709:range=full:filter=bilinear`
    convert = [zimg, 'format=gbrp16le']
  } else {
    const flags = (options.conversion ?? 'accurate') === 'accurate' ? 'bilinear+accurate_rnd+full_chroma_int' : 'bilinear'
    const scale = [`scale=w=${width}:h=${height}`]
    if (colorMatrix) scale.push(`in_color_matrix=${colorMatrix}`, `in_range=${colorRange}`)
    scale.push(`flags=${flags}`)
    convert = [scale.join(':')]
  }
  // showinfo first, so it logs every decoded frame's own timestamp; checksums off (they cost a pass over the pixels).
  const filters = ['showinfo=checksum=0', ...ROTATE_FILTERS[rotation], ...convert, `format=${pixelFormat}`].join(',')

  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'repeat+level+info']
  if (options.threads !== undefined) args.push('-threads', String(options.threads))
  // -copyts: timestamps as in the file; -noautorotate: rotation is done by our filters, once.
  args.push('-copyts', '-noautorotate')
  const sequenceRate = options.frameRate !== undefined ? parseFrameRateOption('frameRate', options.frameRate) : undefined
  if (input.imageSequence && sequenceRate) args.push('-framerate', `${sequenceRate.num}/${sequenceRate.den}`)
  // Before -i: a seek in the input (fast). ffmpeg counts -ss (its seek and its trim of the frames
  // before) from the file's start time, even with -copyts, so a source timestamp is made relative to it.
  if (options.seekTo !== undefined) args.push('-ss', seekArgument(options.seekTo, info.format.startTime ?? 0))
  args.push('-i', input.arg)
  args.push('-map', `0:${video.index}`, '-an', '-sn', '-dn')
  args.push('-vf', filters, '-vsync', 'passthrough')
  if (options.maxFrames !== undefined) args.push('-frames:v', String(options.maxFrames))
  args.push('-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1')

  const plan: ExtractPlan = {
    width,
    height,
    channels: 3,
    pixelFormat,
    bytesPerSample,
    bytesPerFrame: width * height * 3 * bytesPerSample,
    rotation,
    filters,
    args,
  }
  if (colorMatrix) plan.colorMatrix = colorMatrix
  if (colorRange) plan.colorRange = colorRange
  return plan
}

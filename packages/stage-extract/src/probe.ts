import { resolveFfprobe } from './binaries'
import { ExtractError, assertNonNegativeInteger, invalidArgument } from './errors'
import { parseFrameRateOption, resolveInput, type ResolvedInput } from './input'
import { bitDepthOf, parseRational, quarterTurn, rationalFromNumber } from './media'
import { lastLines, runProcess } from './process'
import type { ChapterInfo, ColorInfo, FormatInfo, MediaInfo, Rational, StreamInfo, StreamType, VideoInfo } from './types'

export interface ProbeOptions {
  /** ffprobe binary (see `resolveFfprobe`). */
  ffprobePath?: string
  /**
   * Video packets whose timestamps are read to detect variable frame rate and count frames.
   * `'all'` (default) reads the whole file without decoding it (about 10 ms per 1000 packets);
   * a number caps the cost on long files; 0 skips the scan (VFR then judged from
   * r_frame_rate vs avg_frame_rate only).
   */
  scanPackets?: number | 'all'
  /** Frame rate of an image sequence (ffmpeg's `-framerate`, default 25). Ignored for other inputs. */
  frameRate?: number | string | Rational
  /** Absolute index of the video stream to describe; default: the first video stream that is not a cover picture. */
  streamIndex?: number
  signal?: AbortSignal
}

/* ffprobe's JSON, the parts we read. */
interface RawStream {
  index: number
  codec_type?: string
  codec_name?: string
  codec_long_name?: string
  profile?: string
  width?: number
  height?: number
  pix_fmt?: string
  sample_aspect_ratio?: string
  color_range?: string
  color_space?: string
  color_transfer?: string
  color_primaries?: string
  field_order?: string
  r_frame_rate?: string
  avg_frame_rate?: string
  time_base?: string
  start_time?: string
  duration?: string
  nb_frames?: string
  bits_per_raw_sample?: string
  sample_rate?: string
  channels?: number
  channel_layout?: string
  disposition?: Record<string, number>
  tags?: Record<string, string>
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>
}
interface RawProbe {
  streams?: RawStream[]
  format?: {
    format_name?: string
    format_long_name?: string
    duration?: string
    start_time?: string
    size?: string
    bit_rate?: string
    tags?: Record<string, string>
  }
  chapters?: Array<{ start_time?: string; end_time?: string; tags?: Record<string, string> }>
}

interface PacketScan {
  /** Per video stream: timestamps (pts, else dts) of its packets in time-base ticks, file order, and the last packet's duration. */
  streams: Map<number, { packets: number; ticks: number[]; lastDuration: number }>
  complete: boolean
}

function num(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '' || value === 'N/A') return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

function tagOf(tags: Record<string, string> | undefined, name: string): string | undefined {
  if (!tags) return undefined
  const key = Object.keys(tags).find((k) => k.toLowerCase() === name)
  return key === undefined ? undefined : tags[key]
}

/** Matroska's `DURATION` tag: `00:00:15.015000000`. */
function parseClock(text: string | undefined): number | undefined {
  const match = text && /^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(text.trim())
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) : undefined
}

function known(value: string | undefined): string | undefined {
  return value && !['unknown', 'unspecified', 'reserved', 'N/A'].includes(value) ? value : undefined
}

function streamType(codecType: string | undefined): StreamType {
  return codecType === 'video' || codecType === 'audio' || codecType === 'subtitle' || codecType === 'attachment' || codecType === 'data' ? codecType : 'unknown'
}

function toStreamInfo(raw: RawStream): StreamInfo {
  const tags = raw.tags ?? {}
  const language = tagOf(tags, 'language')
  const info: StreamInfo = {
    index: raw.index,
    type: streamType(raw.codec_type),
    codec: raw.codec_name ?? 'unknown',
    isDefault: raw.disposition?.default === 1,
    forced: raw.disposition?.forced === 1,
    attachedPicture: raw.disposition?.attached_pic === 1,
    tags,
  }
  if (raw.codec_long_name) info.codecLongName = raw.codec_long_name
  if (raw.profile) info.profile = raw.profile
  if (language && language !== 'und') info.language = language
  const title = tagOf(tags, 'title')
  if (title) info.title = title
  if (info.type === 'video') {
    if (raw.width) info.width = raw.width
    if (raw.height) info.height = raw.height
    if (raw.pix_fmt) info.pixelFormat = raw.pix_fmt
  }
  if (info.type === 'audio') {
    const rate = num(raw.sample_rate)
    if (rate) info.sampleRate = rate
    if (raw.channels) info.channels = raw.channels
    if (raw.channel_layout) info.channelLayout = raw.channel_layout
  }
  if (info.type === 'attachment') {
    const filename = tagOf(tags, 'filename')
    const mimeType = tagOf(tags, 'mimetype')
    if (filename) info.filename = filename
    if (mimeType) info.mimeType = mimeType
  }
  return info
}

/** Clockwise quarter turns that make the picture upright. */
function rotationOf(raw: RawStream): 0 | 90 | 180 | 270 {
  const matrix = raw.side_data_list?.find((s) => s.side_data_type === 'Display Matrix' && typeof s.rotation === 'number')
  // ffprobe reports the display matrix's rotation counterclockwise; the legacy `rotate` tag is clockwise.
  if (matrix) return quarterTurn(-(matrix.rotation as number))
  const tag = num(tagOf(raw.tags, 'rotate'))
  return tag === undefined ? 0 : quarterTurn(tag)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * Frame spacing from packet timestamps: constant when every gap between consecutive
 * presentation times is within one time-base tick of the typical gap (containers round
 * timestamps to their time base: 23.976 fps in Matroska's 1 ms base alternates 41 and 42 ms).
 */
export function analyseTimestamps(ticks: number[]): { variable: boolean; gapTicks?: number } {
  if (ticks.length < 3) return { variable: false, gapTicks: ticks.length === 2 ? Math.abs(ticks[1] - ticks[0]) : undefined }
  const sorted = [...ticks].sort((a, b) => a - b)
  const gaps: number[] = []
  for (let i = 1; i < sorted.length; i++) gaps.push(sorted[i] - sorted[i - 1])
  const typical = median(gaps)
  const variable = typical <= 0 || gaps.some((gap) => Math.abs(gap - typical) > 1)
  // The mean gap is a finer estimate of the rate than the (rounded) median.
  return { variable, gapTicks: variable ? typical : (sorted[sorted.length - 1] - sorted[0]) / gaps.length }
}

/** Lists the packets of every video stream (no decoding: it costs a read of the file). */
async function scanPackets(ffprobe: string, input: ResolvedInput, inputArgs: string[], limit: number | 'all', signal?: AbortSignal): Promise<PacketScan | undefined> {
  if (limit === 0) return undefined
  const args = ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=stream_index,pts,dts,duration', '-of', 'compact=p=0']
  if (limit !== 'all') args.push('-read_intervals', `%+#${limit}`)
  args.push(...inputArgs, '-i', input.arg)
  const result = await runProcess(ffprobe, args, { signal })
  if (result.code !== 0) return undefined
  const streams = new Map<number, { packets: number; ticks: number[]; lastDuration: number }>()
  let count = 0
  for (const line of result.stdout.split('\n')) {
    if (!line) continue
    const fields: Record<string, string> = {}
    for (const part of line.split('|')) {
      const eq = part.indexOf('=')
      if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1)
    }
    const index = num(fields.stream_index)
    if (index === undefined) continue
    count++
    let entry = streams.get(index)
    if (!entry) streams.set(index, (entry = { packets: 0, ticks: [], lastDuration: 0 }))
    entry.packets++
    const t = num(fields.pts) ?? num(fields.dts)
    if (t === undefined) continue
    entry.ticks.push(t)
    entry.lastDuration = num(fields.duration) ?? entry.lastDuration
  }
  return { streams, complete: limit === 'all' || count < limit }
}

function chooseVideo(streams: RawStream[], display: string, streamIndex: number | undefined): RawStream {
  if (streamIndex !== undefined) {
    const chosen = streams.find((s) => s.index === streamIndex)
    if (!chosen) throw new ExtractError('E_NO_VIDEO', `'${display}' has no stream ${streamIndex} (it has ${streams.length})`)
    if (chosen.codec_type !== 'video') throw new ExtractError('E_NO_VIDEO', `Stream ${streamIndex} of '${display}' is ${chosen.codec_type ?? 'of unknown type'}, not video`)
    return chosen
  }
  const videos = streams.filter((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1)
  const chosen = videos.find((s) => s.disposition?.default === 1) ?? videos[0]
  if (chosen) return chosen
  if (streams.length === 0) throw new ExtractError('E_NO_VIDEO', `'${display}' has no video stream (it has no streams at all)`)
  const covers = streams.filter((s) => s.codec_type === 'video').length
  const kinds = streams.filter((s) => s.codec_type !== 'video').map((s) => `${s.codec_type ?? 'unknown'} (${s.codec_name ?? '?'})`)
  const what = [...(covers ? ['a cover picture'] : []), ...kinds].join(', ')
  const only = streams.every((s) => s.codec_type === 'audio' || s.disposition?.attached_pic === 1) ? 'it is audio-only: ' : 'it has '
  throw new ExtractError('E_NO_VIDEO', `'${display}' has no video stream (${only}${what})`)
}

function classifyProbeFailure(display: string, stderr: string, code: number | null, signal: NodeJS.Signals | null): ExtractError {
  const tail = lastLines(stderr, 8)
  const last = tail.at(-1) ?? ''
  if (signal) return new ExtractError('E_PROBE', `ffprobe was killed by ${signal} while reading '${display}'`, { stderr: tail })
  if (/no such file or directory/i.test(stderr)) return new ExtractError('E_NOT_FOUND', `Input not found: '${display}' (${last})`, { stderr: tail })
  if (/permission denied/i.test(stderr)) return new ExtractError('E_NOT_READABLE', `Cannot read input '${display}': permission denied`, { stderr: tail })
  const reason = last.replace(/^.*?: (?=[A-Z])/, '') || `ffprobe exited with code ${code}`
  return new ExtractError('E_NOT_MEDIA', `Cannot read '${display}' as media: ${reason}`, { stderr: tail })
}

/** The packets of the chosen video stream, when they were scanned. */
type StreamScan = { packets: number; ticks: number[]; lastDuration: number; complete: boolean }

/** Both ffprobe runs at once (the description, and the packet timestamps), waiting for both so none outlives a failure. */
async function runProbes(ffprobe: string, resolved: ResolvedInput, inputArgs: string[], scanLimit: number | 'all', signal?: AbortSignal): Promise<{ raw: RawProbe; stderr: string; packetScan?: PacketScan }> {
  const describe = runProcess(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-show_chapters', ...inputArgs, '-i', resolved.arg], { signal })
  const packets = scanPackets(ffprobe, resolved, inputArgs, scanLimit, signal)
  const [result, packetScan] = await Promise.all([describe.catch((error: unknown) => error as ExtractError), packets.catch(() => undefined)])
  if (result instanceof Error) throw result
  if (result.code !== 0) throw classifyProbeFailure(resolved.display, result.stderr, result.code, result.signal)
  try {
    return { raw: JSON.parse(result.stdout) as RawProbe, stderr: result.stderr, packetScan }
  } catch (error) {
    throw new ExtractError('E_PROBE', `ffprobe printed unreadable JSON for '${resolved.display}'`, { cause: error, stderr: lastLines(result.stderr, 8) })
  }
}

/** Refuses a video stream that has no frames, or one ffmpeg cannot decode. */
function checkDecodable(video: RawStream, scan: StreamScan | undefined, display: string, stderr: string): void {
  const codec = video.codec_name ?? 'unknown'
  if (video.nb_frames === '0' || (scan?.complete && scan.packets === 0)) {
    throw new ExtractError('E_NO_FRAMES', `The ${codec} video stream of '${display}' has no frames`)
  }
  if (!video.width || !video.height || !video.pix_fmt || video.pix_fmt === 'unknown') {
    const hint = codec === 'webp' ? ": animated WebP is not supported by ffmpeg's WebP decoder; convert it to GIF or a video first" : ''
    throw new ExtractError('E_UNSUPPORTED', `ffmpeg cannot decode the ${codec} video of '${display}' (size or pixel format unknown)${hint}`, { stderr: lastLines(stderr, 8) })
  }
}

interface FrameTiming {
  timeBase: Rational
  rFrameRate?: Rational
  avgFrameRate?: Rational
  frameRate: Rational
  variableFrameRate: boolean
  /** Seconds from the first to the end of the last packet, when every packet was scanned. */
  scanDuration?: number
  /** Seconds of the first packet, when packets were scanned. */
  firstTime?: number
}

/**
 * Frame rate and whether it varies: from the packet timestamps when scanned (a constant rate is one
 * whose gaps stay within a tick of the typical gap), else from r_frame_rate against avg_frame_rate.
 */
function frameTiming(video: RawStream, scan: StreamScan | undefined, sequenceRate: Rational | undefined): FrameTiming {
  const timeBase = parseRational(video.time_base) ?? { num: 1, den: 1000 }
  const tick = timeBase.num / timeBase.den
  const rFrameRate = sequenceRate ?? parseRational(video.r_frame_rate)
  const avgFrameRate = parseRational(video.avg_frame_rate) ?? (sequenceRate ? { ...sequenceRate } : undefined)
  const scanned = scan && scan.ticks.length > 0 ? scan : undefined
  const spacing = scanned ? analyseTimestamps(scanned.ticks) : undefined
  const rateMismatch = !!rFrameRate && !!avgFrameRate && Math.abs(rFrameRate.num / rFrameRate.den / (avgFrameRate.num / avgFrameRate.den) - 1) > 0.01
  const variableFrameRate = spacing && scanned!.ticks.length >= 3 ? spacing.variable || (!scanned!.complete && rateMismatch) : rateMismatch
  const firstTick = scanned ? scanned.ticks.reduce((a, b) => Math.min(a, b)) : undefined
  const lastTick = scanned ? scanned.ticks.reduce((a, b) => Math.max(a, b)) : undefined
  const scanDuration = scanned?.complete ? (lastTick! + scanned.lastDuration - firstTick!) * tick : undefined
  const measuredRate = scanDuration && scanned!.packets > 1 ? rationalFromNumber(Math.round((scanned!.packets / scanDuration) * 1000) / 1000) : undefined
  const fitsGap = (rate: Rational | undefined) => !!rate && !!spacing?.gapTicks && Math.abs(rate.den / rate.num / tick - spacing.gapTicks) <= 1
  let frameRate: Rational
  if (variableFrameRate) {
    // The measured average when all timestamps were read (ffprobe's avg_frame_rate can be far off for VFR Matroska).
    frameRate = measuredRate ?? avgFrameRate ?? rFrameRate ?? { num: 25, den: 1 }
  } else if (!spacing?.gapTicks || fitsGap(rFrameRate)) frameRate = rFrameRate ?? avgFrameRate ?? { num: 25, den: 1 }
  else if (fitsGap(avgFrameRate)) frameRate = avgFrameRate!
  else frameRate = rationalFromNumber(Math.round((1 / (spacing.gapTicks * tick)) * 1000) / 1000)
  return { timeBase, rFrameRate, avgFrameRate, frameRate, variableFrameRate, scanDuration, ...(firstTick !== undefined ? { firstTime: firstTick * tick } : {}) }
}

/** The frame count: exact from the container, else the scanned packets, else duration × rate. */
function frameCountOf(video: RawStream, scan: StreamScan | undefined, duration: number, fps: number, imageSequence: boolean): { frameCount: number; frameCountExact: boolean } {
  const nbFrames = num(video.nb_frames)
  if (nbFrames !== undefined && Number.isInteger(nbFrames) && nbFrames >= 0 && !imageSequence) return { frameCount: nbFrames, frameCountExact: true }
  if (scan?.complete) return { frameCount: scan.packets, frameCountExact: false }
  return { frameCount: Math.round(duration * fps), frameCountExact: false }
}

function colorOf(video: RawStream): ColorInfo {
  const color: ColorInfo = {}
  if (known(video.color_space)) color.matrix = video.color_space
  if (video.color_range === 'tv' || video.color_range === 'pc') color.range = video.color_range
  if (known(video.color_primaries)) color.primaries = video.color_primaries
  if (known(video.color_transfer)) color.transfer = video.color_transfer
  return color
}

/** Bits per component: from the pixel format, or from bits_per_raw_sample when the format is 8-bit but the codec says more. */
function bitDepthOfStream(video: RawStream): number {
  const bitDepth = bitDepthOf(video.pix_fmt!)
  const rawBits = num(video.bits_per_raw_sample)
  return bitDepth === 8 && rawBits !== undefined && rawBits > 8 && rawBits <= 16 ? rawBits : bitDepth
}

function describeVideo(video: RawStream, scan: StreamScan | undefined, raw: RawProbe, sequenceRate: Rational | undefined, imageSequence: boolean): VideoInfo {
  const timing = frameTiming(video, scan, sequenceRate)
  const duration = num(video.duration) ?? parseClock(tagOf(video.tags, 'duration')) ?? num(raw.format?.duration) ?? timing.scanDuration ?? 0
  const rotation = rotationOf(video)
  const turned = rotation === 90 || rotation === 270
  const info: VideoInfo = {
    index: video.index,
    codec: video.codec_name ?? 'unknown',
    width: video.width!,
    height: video.height!,
    displayWidth: turned ? video.height! : video.width!,
    displayHeight: turned ? video.width! : video.height!,
    rotation,
    sampleAspectRatio: parseRational(video.sample_aspect_ratio) ?? { num: 1, den: 1 },
    pixelFormat: video.pix_fmt!,
    bitDepth: bitDepthOfStream(video),
    color: colorOf(video),
    frameRate: timing.frameRate,
    variableFrameRate: timing.variableFrameRate,
    timestampsScanned: scan?.ticks.length ?? 0,
    timestampsComplete: scan?.complete ?? false,
    timeBase: timing.timeBase,
    startTime: num(video.start_time) ?? timing.firstTime ?? num(raw.format?.start_time) ?? 0,
    duration,
    ...frameCountOf(video, scan, duration, timing.frameRate.num / timing.frameRate.den, imageSequence),
  }
  if (video.profile) info.profile = video.profile
  if (timing.rFrameRate) info.rFrameRate = timing.rFrameRate
  if (timing.avgFrameRate) info.avgFrameRate = timing.avgFrameRate
  if (video.field_order && video.field_order !== 'unknown') info.fieldOrder = video.field_order
  return info
}

function formatOf(raw: RawProbe): FormatInfo {
  const format: FormatInfo = { name: raw.format?.format_name ?? 'unknown', tags: raw.format?.tags ?? {} }
  if (raw.format?.format_long_name) format.longName = raw.format.format_long_name
  const numbers = { duration: num(raw.format?.duration), startTime: num(raw.format?.start_time), size: num(raw.format?.size), bitRate: num(raw.format?.bit_rate) }
  for (const [key, value] of Object.entries(numbers)) if (value !== undefined) format[key as 'duration'] = value
  return format
}

function chaptersOf(raw: RawProbe): ChapterInfo[] {
  return (raw.chapters ?? []).map((c) => {
    const chapter: ChapterInfo = { start: num(c.start_time) ?? 0, end: num(c.end_time) ?? 0 }
    const title = tagOf(c.tags, 'title')
    if (title) chapter.title = title
    return chapter
  })
}

/**
 * Describes a video (or animated GIF, or image sequence) with ffprobe: its streams, the video's
 * size, rotation, pixel format, bit depth, colour description, frame rate (exact rationals, and
 * whether it varies), duration and frame count. Rejects with an `ExtractError` when the input is
 * missing (`E_NOT_FOUND`), not media (`E_NOT_MEDIA`), has no video (`E_NO_VIDEO`), has a video
 * stream without frames (`E_NO_FRAMES`) or one ffmpeg cannot decode (`E_UNSUPPORTED`).
 */
export async function probe(input: string, options: ProbeOptions = {}): Promise<MediaInfo> {
  const scanLimit = options.scanPackets ?? 'all'
  if (scanLimit !== 'all') assertNonNegativeInteger('scanPackets', scanLimit)
  if (options.streamIndex !== undefined) assertNonNegativeInteger('streamIndex', options.streamIndex)
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArgument('AbortSignal', 'signal', options.signal)
  const sequenceRate = options.frameRate === undefined ? undefined : parseFrameRateOption('frameRate', options.frameRate)
  const resolved = resolveInput(input)
  const inputArgs = resolved.imageSequence && sequenceRate ? ['-framerate', `${sequenceRate.num}/${sequenceRate.den}`] : []
  const { raw, stderr, packetScan } = await runProbes(resolveFfprobe(options.ffprobePath), resolved, inputArgs, scanLimit, options.signal)
  const streams = raw.streams ?? []
  const video = chooseVideo(streams, resolved.display, options.streamIndex)
  const scan = packetScan ? { ...(packetScan.streams.get(video.index) ?? { packets: 0, ticks: [], lastDuration: 0 }), complete: packetScan.complete } : undefined
  checkDecodable(video, scan, resolved.display, stderr)
  const videoInfo = describeVideo(video, scan, raw, sequenceRate, resolved.imageSequence)
  const format = formatOf(raw)
  return {
    input,
    imageSequence: resolved.imageSequence,
    format,
    duration: videoInfo.duration || (format.duration ?? 0),
    video: videoInfo,
    streams: streams.map(toStreamInfo),
    chapters: chaptersOf(raw),
  }
}

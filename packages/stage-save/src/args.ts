import type { Muxer, StreamPlan } from './containers'
import type { StreamTiming } from './frame-order'
import type { RawPixelFormat } from './matroska'
import type { ColorRequest, Preset, ResolvedImages, ResolvedVideo } from './options'

/** The colour tags written to the output and the matrix swscale converts with. */
export interface ResolvedColor {
  /** Name for swscale's out_color_matrix. */
  scaleMatrix: string
  colorspace: string
  primaries: string
  transfer: string
  range: 'tv' | 'pc'
}

const MATRICES: Record<string, { scale: string; primaries: string; transfer: string }> = {
  bt709: { scale: 'bt709', primaries: 'bt709', transfer: 'bt709' },
  smpte170m: { scale: 'smpte170m', primaries: 'smpte170m', transfer: 'smpte170m' },
  bt470bg: { scale: 'bt470', primaries: 'bt470bg', transfer: 'smpte170m' },
  bt2020nc: { scale: 'bt2020', primaries: 'bt2020', transfer: 'bt2020-10' },
  smpte240m: { scale: 'smpte240m', primaries: 'smpte240m', transfer: 'smpte240m' },
}

/** True for what is conventionally called HD (and larger): such outputs use BT.709. */
export function isHd(width: number, height: number): boolean {
  return width > 1024 || height > 576
}

/** Resolves 'auto' and the aliases; primaries and transfer default to the matrix's own. */
export function resolveColor(request: ColorRequest, width: number, height: number): ResolvedColor {
  let name = request.colorspace
  if (name === 'auto') name = isHd(width, height) ? 'bt709' : 'smpte170m'
  if (name === 'bt601') name = 'smpte170m'
  if (name === 'bt2020') name = 'bt2020nc'
  const m = MATRICES[name] ?? MATRICES.bt709
  return {
    scaleMatrix: m.scale,
    colorspace: name,
    primaries: request.primaries ?? m.primaries,
    transfer: request.transfer ?? m.transfer,
    range: request.range,
  }
}

/** libvpx-vp9 has no presets: map the x264 names onto -cpu-used (0 slowest/best .. 8 fastest). */
const VP9_CPU_USED: Record<Preset, number> = {
  ultrafast: 8, superfast: 7, veryfast: 6, faster: 5, fast: 4, medium: 2, slow: 1, slower: 0, veryslow: 0, placebo: 0,
}

const COMMON = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning']

export interface VideoArgsInput {
  video: ResolvedVideo
  width: number
  height: number
  pixelFormat: RawPixelFormat
  temporary: string
  /** Streams to carry over from `video.source`, when there is one. */
  streams?: StreamPlan
  /** Language of the source's video stream, given to the new video stream. */
  videoLanguage?: string
  /** The stream's timing, known from its first frame. */
  timing: StreamTiming
}

/**
 * True when the output needs two passes: MP4/QuickTime whose times are not all on one 1/rate grid
 * (variable rate, or a constant rate whose first frame is off the grid). The 2018 mov muxer cannot
 * close such a track from a live encoder correctly (it measures the track by its last dts and the
 * last packet has no duration, so the edit list drops the last frame(s)); the same packets remuxed
 * from Matroska carry durations, and the result keeps every frame and the start offset. So the
 * encoder writes Matroska first, then the video is copied into the container.
 */
export function needsRemux(video: ResolvedVideo, timing: StreamTiming): boolean {
  return !video.segment && needsMatroskaFirst(video, timing)
}

/** MP4/MOV off the rate's grid are encoded without B-frames into Matroska first: whole outputs (then remuxed) and their segments alike. */
function needsMatroskaFirst(video: ResolvedVideo, timing: StreamTiming): boolean {
  return (video.muxer === 'mp4' || video.muxer === 'mov') && !timing.onGrid
}

/**
 * What the encoder writes: the container itself; Matroska for a first pass (see needsRemux); for a
 * segment, NUT (exact time bases, any codec), or Matroska when the final container needs that first pass.
 */
function encodedMuxer(video: ResolvedVideo, timing: StreamTiming): Muxer {
  if (needsMatroskaFirst(video, timing)) return 'matroska'
  return video.segment ? 'nut' : video.muxer
}

/**
 * The encoder's time base. On the grid, 1/rate (what `-r` sets): exact, and MP4 gets constant
 * sample durations. Off the grid, a time base that holds both the rate's ticks and the
 * milliseconds of the start exactly (1/3000 for 24 fps, 1/24000 for 24000/1001). Variable rate:
 * milliseconds, as Matroska stores them.
 */
function timeBaseArgs(timing: StreamTiming): string[] {
  const { rate, onGrid } = timing
  if (rate && onGrid) return ['-r', `${rate.num}/${rate.den}`]
  if (rate) return ['-enc_time_base', `1/${lcm(rate.num, 1000)}`]
  return ['-enc_time_base', '1/1000']
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y))
  return (a / gcd(a, b)) * b
}

/**
 * -map, -c and metadata options that carry the source's streams over (input #1). Per-stream
 * metadata (language, title, an attachment's filename and mimetype) follows each copied stream by
 * default; any explicit per-stream -map_metadata would switch that off, so the new video stream
 * gets the source video's language with -metadata instead.
 */
function sourceStreamArgs(v: ResolvedVideo, streams: StreamPlan | undefined, videoLanguage: string | undefined): string[] {
  if (!v.source || !streams) return []
  const args: string[] = []
  for (const s of [...streams.audio, ...streams.subtitle, ...streams.attachment]) args.push('-map', `1:${s.index}`)
  args.push('-map_chapters', '1', '-map_metadata', '1')
  if (videoLanguage) args.push('-metadata:s:v:0', `language=${videoLanguage}`)
  if (streams.audio.length) args.push('-c:a', v.audioCodec === 'copy' ? 'copy' : v.audioCodec)
  if (streams.subtitle.length) args.push('-c:s', v.subtitleCodec === 'copy' ? 'copy' : v.subtitleCodec)
  if (streams.attachment.length) args.push('-c:t', 'copy')
  return args
}

/**
 * The encoder's ffmpeg command line (without the binary). For a two-pass output (see needsRemux)
 * this is the first pass: video only, into Matroska.
 */
export function videoArgs(input: VideoArgsInput): { args: string[]; color: ResolvedColor } {
  const { video: v, temporary } = input
  const { width, height } = v.size ?? input
  const resize = width !== input.width || height !== input.height
  const color = resolveColor(v.color, width, height)
  const noBFrames = needsMatroskaFirst(v, input.timing)
  const muxer = encodedMuxer(v, input.timing)
  const withSource = muxer === v.muxer && !!v.source
  const args = [...COMMON, '-thread_queue_size', '4', '-f', 'matroska', '-i', 'pipe:0']
  if (withSource) args.push('-i', v.source!)
  args.push('-map', '0:v:0')
  if (withSource) args.push(...sourceStreamArgs(v, input.streams, input.videoLanguage))

  // One swscale pass: the size (lanczos) and, for RGB, the conversion to YUV with the chosen matrix
  // and range; accurate rounding, chroma from full resolution.
  const scale = resize ? `w=${width}:h=${height}:flags=lanczos+accurate_rnd+full_chroma_int` : 'flags=bicubic+accurate_rnd+full_chroma_int'
  if (input.pixelFormat === 'rgb24' || input.pixelFormat === 'rgb48le') {
    args.push('-vf', `scale=${scale}:out_color_matrix=${color.scaleMatrix}:out_range=${color.range},format=${v.pixFmt}`)
  } else if (resize || v.pixFmt !== input.pixelFormat) {
    // Already Y'CbCr with the output's matrix (checked by the sink): only the size, sampling or depth changes.
    args.push('-vf', `${resize ? `scale=${scale},` : ''}format=${v.pixFmt}`)
  }
  args.push('-c:v', v.codec)
  switch (v.codec) {
    case 'libx264':
      args.push('-preset', v.preset ?? 'medium', '-crf', String(v.crf))
      // Variable rate into MP4: without B-frames dts = pts, so the mov muxer's dts-based track
      // length cannot cut the last frames.
      if (noBFrames) args.push('-bf', '0')
      break
    case 'libx265':
      args.push('-preset', v.preset ?? 'medium', '-crf', String(v.crf))
      args.push('-x265-params', noBFrames ? 'log-level=error:bframes=0' : 'log-level=error')
      break
    case 'libvpx-vp9':
      args.push('-crf', String(v.crf), '-b:v', '0', '-deadline', 'good', '-cpu-used', String(VP9_CPU_USED[v.preset ?? 'medium']), '-row-mt', '1')
      break
    case 'ffv1':
      args.push('-level', '3', '-g', '1', '-slicecrc', '1')
      break
  }
  args.push('-pix_fmt', v.pixFmt)
  args.push('-color_primaries', color.primaries, '-color_trc', color.transfer, '-colorspace', color.colorspace, '-color_range', color.range)

  // Timestamps: never duplicate or drop (one output frame per input frame), keep the input's times.
  args.push('-copyts', '-vsync', 'passthrough')
  args.push(...timeBaseArgs(input.timing))
  if (muxer === 'mp4' || muxer === 'mov') args.push('-movflags', '+write_colr')
  // Matroska stores presentation times only, so negative decode times (B-frames) need no shift; the
  // shift this ffmpeg applies when a copied stream starts below zero (AAC priming at −21 ms) moved
  // B-frames by that amount while the other frames stayed put.
  if (muxer === 'matroska' || muxer === 'webm' || muxer === 'nut') args.push('-avoid_negative_ts', 'disabled')
  args.push('-max_interleave_delta', '0', '-max_muxing_queue_size', '9999')
  args.push(...v.extraArgs)
  args.push('-f', muxer, '-y', temporary)
  return { args, color }
}

/**
 * Copies encoded video (input #0, opened with `videoInput`: a file, or a concat list of segments)
 * and the source's streams (input #1) into the output container, timestamps as they are.
 */
export function copyArgs(v: ResolvedVideo, videoInput: readonly string[], temporary: string, streams?: StreamPlan, videoLanguage?: string): string[] {
  const args = [...COMMON, ...videoInput]
  if (v.source) args.push('-i', v.source)
  args.push('-map', '0:v:0', ...sourceStreamArgs(v, streams, videoLanguage))
  args.push('-c:v', 'copy', '-copyts')
  if (v.muxer === 'mp4' || v.muxer === 'mov') args.push('-movflags', '+write_colr')
  if (v.muxer === 'matroska' || v.muxer === 'webm') args.push('-avoid_negative_ts', 'disabled')
  args.push('-max_interleave_delta', '0', '-max_muxing_queue_size', '9999')
  args.push('-f', v.muxer, '-y', temporary)
  return args
}

/** Second pass of a two-pass output: copy the encoded video and the source's streams into the container. */
export function remuxArgs(v: ResolvedVideo, encoded: string, temporary: string, streams?: StreamPlan, videoLanguage?: string): string[] {
  return copyArgs(v, ['-i', encoded], temporary, streams, videoLanguage)
}

/** The ffmpeg command line of the image mode: one png/webp per frame, concatenated on stdout. */
export function imageArgs(images: ResolvedImages, pixelFormat: Exclude<RawPixelFormat, 'yuv420p'>): string[] {
  const args = [...COMMON, '-f', 'matroska', '-i', 'pipe:0', '-map', '0:v:0', '-vsync', 'passthrough']
  if (images.format === 'png') {
    args.push('-c:v', 'png', '-pix_fmt', pixelFormat === 'rgb48le' ? 'rgb48be' : 'rgb24')
  } else {
    // libwebp converts from RGB itself (lossy: BT.601 limited, as WebP defines it).
    args.push('-c:v', 'libwebp', '-pix_fmt', 'bgra')
    if (images.quality === undefined) args.push('-lossless', '1')
    else args.push('-lossless', '0', '-quality', String(images.quality))
  }
  args.push('-f', 'image2pipe', 'pipe:1')
  return args
}

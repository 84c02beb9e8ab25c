import { resolveFfprobe } from './binaries'
import { ExtractError, invalidArgument } from './errors'
import { resolveInput } from './input'
import { lastLines, runProcess } from './process'
import { probe } from './probe'
import type { MediaInfo } from './types'

/** The frames of a video, known from its packets (nothing is decoded). */
export interface FrameList {
  /** Presentation time of every frame, seconds on the source's timeline, in presentation order. */
  times: number[]
  /** Indices (into `times`) of the frames a decoder can start at. */
  keyframes: number[]
}

export interface ListFramesOptions {
  /** A `probe` result for this input: its video stream and time base are used. */
  info?: MediaInfo
  ffprobePath?: string
  signal?: AbortSignal
}

/**
 * Lists the presentation time of every frame of the video stream, and which frames are keyframes,
 * from the packets ffprobe reads (the file is read, not decoded: about 10 ms per 1000 packets).
 * Packets a demuxer marks as discarded (before an MP4 edit list's start) are left out, as the
 * decoder leaves them out. For planning work on parts of a video: frame `i` of the list is frame
 * `i` of `extractFrames`.
 */
export async function listFrames(input: string, options: ListFramesOptions = {}): Promise<FrameList> {
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArgument('AbortSignal', 'signal', options.signal)
  const info = options.info ?? (await probe(input, { ffprobePath: options.ffprobePath, scanPackets: 0, signal: options.signal }))
  const resolved = resolveInput(input)
  const { index, timeBase } = info.video
  const args = ['-v', 'error', '-select_streams', String(index), '-show_entries', 'packet=pts,dts,flags', '-of', 'compact=p=0:nk=1', '-i', resolved.arg]
  const result = await runProcess(resolveFfprobe(options.ffprobePath), args, { signal: options.signal })
  if (result.code !== 0) {
    throw new ExtractError('E_PROBE', `ffprobe could not list the packets of '${resolved.display}'`, { stderr: lastLines(result.stderr, 8) })
  }
  const packets: { ticks: number; key: boolean }[] = []
  for (const line of result.stdout.split('\n')) {
    const [pts, dts, flags = ''] = line.split('|')
    const ticks = Number(pts === 'N/A' ? dts : pts)
    if (line === '' || flags.includes('D') || !Number.isFinite(ticks)) continue
    packets.push({ ticks, key: flags.includes('K') })
  }
  if (packets.length === 0) throw new ExtractError('E_NO_FRAMES', `The video stream of '${resolved.display}' has no packets with timestamps`)
  packets.sort((a, b) => a.ticks - b.ticks)
  return {
    times: packets.map((p) => (p.ticks * timeBase.num) / timeBase.den),
    keyframes: packets.flatMap((p, i) => (p.key ? [i] : [])),
  }
}

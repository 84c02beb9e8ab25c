import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { runProcess, temporarySibling } from '@anime-upscaler/common'
import { copyArgs } from './args'
import { SaveError, ioError } from './errors'
import { copyError, resolveFfmpegPath, startFfmpeg, type FfmpegProcess } from './ffmpeg'
import type { SavePlan } from './plan'
import { moveIntoPlace } from './sinks'

export interface SegmentOptions {
  /** The segment's file (its extension does not matter: the container is decided at its first frame). */
  output: string
  /**
   * Constant rate: the time the whole video's grid starts at (its first frame's pts), so the
   * segment's frames get the times they would have in one encode of the whole video.
   */
  gridStart?: number
  signal?: AbortSignal
  /** Frames held waiting for an earlier index (default: the plan's). */
  reorderCapacity?: number
}

/**
 * The plan of one segment of `plan`'s output: the same encoder, size, colour and rate, video only
 * (the join muxes the source's streams once), into NUT (exact time bases), or into Matroska without
 * B-frames where the final container needs that (MP4/MOV off the rate's grid, as a whole encode
 * does). Frames are numbered from 0 in each segment; replacing an existing segment file is allowed,
 * so a segment done twice (a retried job) is harmless.
 */
export function segmentPlan(plan: SavePlan, options: SegmentOptions): SavePlan {
  const video = plan.options.video
  if (!video) throw new SaveError('E_INVALID_ARGUMENT', 'Segments apply to video mode only')
  const { source: _source, ...rest } = video
  const { signal: _signal, ...common } = plan.options
  return {
    ...plan,
    streams: undefined,
    videoLanguage: undefined,
    options: {
      ...common,
      output: path.resolve(options.output),
      overwrite: true,
      keepPartial: false,
      firstIndex: 0,
      reorderCapacity: options.reorderCapacity ?? plan.options.reorderCapacity,
      ...(options.signal ? { signal: options.signal } : {}),
      video: { ...rest, segment: true, ...(options.gridStart !== undefined ? { gridStart: options.gridStart } : {}) },
    },
  }
}

export interface JoinOptions {
  /** The whole output's plan (`planSave` with the source): container, source streams, destination. */
  plan: SavePlan
  /** The segment files, in order, written with `segmentPlan(plan, …)`. */
  segments: readonly string[]
  /** Stops the join: ffmpeg ends, nothing is left at the destination. */
  signal?: AbortSignal
}

/** A path for ffmpeg's concat list: single-quoted, a quote written as '\'' . */
function quoted(file: string): string {
  return `'${file.replace(/'/g, "'\\''")}'`
}

/** A segment's first frame's time and whether ffmpeg itself reports that as the file's start. */
interface SegmentStart {
  us: number
  reported: boolean
}

/**
 * The concat list. The concat demuxer shifts each file's packets by the durations before it minus
 * the file's in point (its start time when no in point is given); each duration is the gap to the
 * next file's first frame, in whole microseconds: the sums telescope exactly, and every frame keeps
 * its time (less the first file's, which `-itsoffset` gives back). An in point is given only where
 * ffmpeg cannot tell the file's start (a short NUT file): it makes the demuxer seek, and NUT cannot
 * seek in some encoder-written files that start off the rate's grid (EPERM).
 */
function concatList(segments: readonly string[], starts: readonly SegmentStart[]): string {
  const lines = ['ffconcat version 1.0']
  const seconds = (us: number) => (us / 1e6).toFixed(6)
  segments.forEach((file, i) => {
    lines.push(`file ${quoted(path.resolve(file))}`)
    if (!starts[i].reported) lines.push(`inpoint ${seconds(starts[i].us)}`)
    if (i + 1 < segments.length) lines.push(`duration ${seconds(starts[i + 1].us - starts[i].us)}`)
  })
  return `${lines.join('\n')}\n`
}

/**
 * The presentation time of a segment's first packet, in whole microseconds, from one packet copied
 * as it is (`-copyts`, no shift) into framecrc (`#tb` and the packet's pts), and whether ffmpeg's
 * input summary ("start: …") gives that same time as the file's start. A segment starts with a
 * keyframe that no frame precedes, so its first packet is its first frame.
 */
async function segmentStart(ffmpegPath: string, segment: string, signal?: AbortSignal): Promise<SegmentStart> {
  const args = ['-hide_banner', '-v', 'info', '-nostats', '-copyts', '-i', segment, '-map', '0:v:0', '-c', 'copy', '-frames:v', '1', '-avoid_negative_ts', 'disabled', '-f', 'framecrc', '-']
  const result = await runProcess(ffmpegPath, args, signal ? { signal } : {})
  const base = /^#tb 0: (\d+)\/(\d+)$/m.exec(result.stdout)
  const packet = /^0,\s*-?\d+,\s*(-?\d+),/m.exec(result.stdout)
  if (result.code !== 0 || !base || !packet) {
    throw new SaveError('E_SOURCE', `ffmpeg cannot read the first frame's time of the segment '${segment}'`, { stderr: result.stderr.trim() })
  }
  const us = Math.round((Number(packet[1]) * Number(base[1]) * 1e6) / Number(base[2]))
  const start = /, start: (-?\d+(?:\.\d+)?),/.exec(result.stderr)
  return { us, reported: start !== null && Math.abs(Math.round(Number(start[1]) * 1e6) - us) <= 1 }
}

/**
 * Most ffmpeg reading segment starts at once. Each takes ~0.1 s, most of it ffmpeg starting up: a
 * season's episode has dozens of segments, read one after another in seconds, at the end of the job.
 */
const START_READERS = 4

/** Every segment's start, in order, read by up to START_READERS ffmpeg at a time; none starts after a failure. */
async function segmentStarts(ffmpegPath: string, segments: readonly string[], signal?: AbortSignal): Promise<SegmentStart[]> {
  const starts: SegmentStart[] = []
  let next = 0
  let failed = false
  const reader = async () => {
    while (!failed && next < segments.length) {
      const index = next++
      starts[index] = await segmentStart(ffmpegPath, segments[index], signal).catch((error: unknown) => {
        failed = true
        throw error
      })
    }
  }
  await Promise.all(Array.from({ length: Math.min(START_READERS, segments.length) }, reader))
  return starts
}

/**
 * Joins segments into the plan's output with one stream copy: the video of each segment in turn,
 * every frame at its own time, and the source's audio, subtitles, attachments, chapters and
 * metadata muxed once. Written to a temporary sibling and renamed; on failure or stop nothing is
 * left at the destination (`E_NO_SPACE` for a full disk, `E_ABORTED` for a stop).
 */
export async function joinSegments({ plan, segments, signal }: JoinOptions): Promise<{ output: string }> {
  const video = plan.options.video
  if (!video || video.segment) throw new SaveError('E_INVALID_ARGUMENT', 'joinSegments needs the plan of a whole video output')
  if (segments.length === 0) throw new SaveError('E_NO_FRAMES', 'No segments to join')
  const { output, overwrite } = plan.options
  const ffmpegPath = resolveFfmpegPath(plan.options.ffmpegPath)
  const temporary = temporarySibling(output, path.extname(output))
  const list = temporarySibling(output, '.ffconcat')
  let proc: FfmpegProcess | undefined
  const stop = () => void proc?.stop(0)
  signal?.addEventListener('abort', stop, { once: true })
  try {
    const starts = await segmentStarts(ffmpegPath, segments, signal)
    await fsp.writeFile(list, concatList(segments, starts)).catch((error: unknown) => Promise.reject(ioError(error, `writing the list of segments beside ${output}`)))
    const offset = starts[0].us === 0 ? [] : ['-itsoffset', (starts[0].us / 1e6).toFixed(6)]
    const args = copyArgs(video, [...offset, '-f', 'concat', '-safe', '0', '-i', list], temporary, plan.streams, plan.videoLanguage)
    if (signal?.aborted) throw abortedJoin(output)
    proc = await startFfmpeg(ffmpegPath, args)
    if (signal?.aborted) await proc.stop(0)
    const status = await proc.end()
    if (signal?.aborted) throw abortedJoin(output)
    if (status.code !== 0) throw copyError(proc, status, output)
    await moveIntoPlace(temporary, output, overwrite)
    return { output }
  } finally {
    signal?.removeEventListener('abort', stop)
    await Promise.all([temporary, list].map((file) => fsp.rm(file, { force: true }).catch(() => undefined)))
  }
}

function abortedJoin(output: string): SaveError {
  return new SaveError('E_ABORTED', `Joining the segments into ${output} was stopped; nothing was left at the destination`)
}

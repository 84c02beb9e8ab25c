import { Subject, lastValueFrom, tap } from 'rxjs'
import { binaryChoice, upscaleVideo, type VideoEvent } from '@anime-upscaler/core'
import type { CliIo } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'
import { listenForKeys } from '../keys'
import { VideoProgressDisplay } from '../video-progress'
import { segmentOptions } from './segment-flags'
import { distributedOptions } from './distributed'
import { poolOptions, type UpscaleFlags } from './upscale'

function jsonLine(event: VideoEvent): string {
  return JSON.stringify(event.type === 'start' ? { ...event, model: event.model.id } : event)
}

/** Which ffmpeg does the work, and why that one: said at the start of every video run. */
export function ffmpegLine(): string {
  const ffmpeg = binaryChoice('ffmpeg')
  return `ffmpeg: ${ffmpeg.path}${ffmpeg.version ? ` ${ffmpeg.version}` : ''} (${ffmpeg.source === 'environment' ? 'FFMPEG_PATH' : ffmpeg.source}${ffmpeg.reason ? `; ${ffmpeg.reason}` : ''})`
}

export function videoOptions(flags: UpscaleFlags) {
  return {
    ...poolOptions(flags),
    mode: flags.mode,
    frameFormat: flags.frameFormat,
    autoThreshold: flags.autoThreshold,
    capacity: flags.capacity,
    maxOutputPixels: flags.maxOutputPixels,
    encoder: {
      codec: flags.codec,
      crf: flags.crf,
      preset: flags.preset,
      pixFmt: flags.pixFmt,
      audioCodec: flags.audioCodec,
      subtitleCodec: flags.subtitleCodec,
      attachments: flags.attachments,
    },
    dedup: { detector: flags.detector ?? flags.dedup, hi: flags.dedupHi, lo: flags.dedupLo, frac: flags.dedupFrac, maxRun: flags.dedupMaxRun },
    reuse: flags.reuse,
    reuseRefs: flags.reuseRefs,
    reuseTileSize: flags.reuseTile,
    reuseThreshold: flags.reuseThreshold,
    overwrite: flags.overwrite,
    keepPartial: flags.keepPartial,
    allowTruncated: flags.allowTruncated,
    planFile: flags.plan,
    ...segmentOptions(flags),
    ...distributedOptions(flags),
  }
}

export async function upscaleVideoCommand(input: string, output: string, flags: UpscaleFlags, io: CliIo): Promise<ExitCode> {
  const display = new VideoProgressDisplay(io.stderr)
  const paused = new Subject<boolean>()
  const restoreTerminal = io.stdin ? listenForKeys(io.stdin, paused, () => io.requestStop?.()) : () => undefined
  try {
    display.line(ffmpegLine())
    const events = upscaleVideo(input, output, { ...videoOptions(flags), paused, signal: io.signal, onWarning: (message) => display.line(message) })
    const last = await lastValueFrom(
      events.pipe(
        tap((event: VideoEvent) => {
          if (flags.json) io.stdout.write(`${jsonLine(event)}\n`)
          display.handle(event)
        }),
      ),
    )
    // With --keep-partial a stop or a failure still ends in a (partial) file: the exit code tells which.
    if (last.type === 'done' && last.partial) return io.signal?.aborted ? EXIT.interrupted : EXIT.failed
    return EXIT.ok
  } finally {
    restoreTerminal()
  }
}

import type { Command } from 'commander'
import { CoreError, DEFAULTS, type UpscaleVideoOptions, type VideoEvent } from '@anime-upscaler/core'
import { positiveNumber } from '../options'

/** The flags of a segmented, resumable video job. */
export interface SegmentFlags {
  /** `--segments` alone: true (the default length); with a value: seconds. */
  segments?: number | true
  /** false with `--no-resume`. */
  resume: boolean
  restart?: boolean
}

export function addSegmentOptions(command: Command): Command {
  return command
    .option(
      '--segments [seconds]',
      `video: split into segments of about this many seconds (default ${DEFAULTS.segmentSeconds}) kept in a hidden job folder beside the output: the same command continues after a crash, a kill or a stop`,
      positiveNumber('--segments'),
    )
    .option('--restart', 'video, with --segments: discard the job folder of an earlier run (another source or other settings) and start over')
    .option('--no-resume', 'video, with --segments: remove the job folder when the run fails or stops instead of keeping it for the next run')
}

/** Refuses resume flags without `--segments`, before anything is read. */
export function checkSegmentFlags(flags: SegmentFlags): void {
  if (flags.segments !== undefined) return
  const given = flags.restart ? '--restart' : flags.resume === false ? '--no-resume' : undefined
  if (given) throw new CoreError('E_INVALID_ARGUMENT', 'input', `${given} needs --segments: only a segmented job has a job folder`, { option: 'segments' })
}

/** core's `segments` and `resume` options from the flags. */
export function segmentOptions(flags: SegmentFlags): Pick<UpscaleVideoOptions, 'segments' | 'resume'> {
  if (flags.segments === undefined) return {}
  return {
    segments: flags.segments === true ? true : { seconds: flags.segments },
    resume: flags.resume ? { restart: flags.restart === true } : false,
  }
}

/** The line said at the start of a segmented run. */
export function segmentsLine(event: Extract<VideoEvent, { type: 'start' }>): string | undefined {
  const { segments } = event
  if (!segments) return undefined
  const earlier = segments.done > 0 ? `, ${segments.done} done by an earlier run and kept` : ''
  return `${segments.count} segment${segments.count === 1 ? '' : 's'}${earlier}; job folder ${segments.folder}`
}

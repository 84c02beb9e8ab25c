import type { Command } from 'commander'
import type { UpscaleVideoOptions, VideoEvent } from '@anime-upscaler/core'

/** The coordinator's side of the distributed mode on `upscale` (workers: `anime-upscaler worker`). */
export function addDistributedOptions(command: Command): Command {
  return command.option(
    '--redis <url>',
    'video: upscale the segments (--segments is implied) on workers (anime-upscaler worker) through this Redis; input, output and job folder must be on storage every machine reaches at the same path',
  )
}

/** core's `queue` option from the flags (segments are implied). */
export function distributedOptions(flags: { redis?: string }): Pick<UpscaleVideoOptions, 'queue'> {
  return flags.redis === undefined ? {} : { queue: { redis: flags.redis } }
}

/** Where the frames are upscaled: this process's workers, or a distributed job's queue (its coordinator only plans). */
export function whereLine(event: Extract<VideoEvent, { type: 'start' }>): string {
  if (event.queue) return `segments queued on ${event.queue.redis} for the workers there`
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  return `${plural(event.workers, 'worker')} x ${plural(event.threads, 'thread')}, ${event.mode} mode, up to ${event.capacity} frames in flight`
}

/** A `workers` event as one line: each worker's segment, speed and finished segments. */
export function workersLine(event: Extract<VideoEvent, { type: 'workers' }>): string {
  if (event.workers.length === 0) return 'workers: none has taken a segment yet'
  const shares = event.workers.map((w) => `${w.worker} ${w.current === undefined ? 'idle' : `segment ${w.current} ${w.fps.toFixed(2)} fps`}, ${w.segments} done`)
  return `workers: ${shares.join(' · ')}`
}

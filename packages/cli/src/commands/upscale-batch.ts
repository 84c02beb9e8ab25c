import { Subject, lastValueFrom, tap } from 'rxjs'
import { CoreError, upscaleBatch, type BatchEvent, type MediaJob } from '@anime-upscaler/core'
import { BatchProgressDisplay } from '../batch-progress'
import type { CliIo } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'
import { listenForKeys } from '../keys'
import { failureJson } from './upscale-images'
import type { UpscaleFlags } from './upscale'
import { ffmpegLine, videoOptions } from './upscale-video'

/** A batch event as one JSON line: models by their id, failures by their words. */
function jsonLine(event: BatchEvent): string {
  if (event.type === 'images') return JSON.stringify({ ...event, model: event.model.id })
  if (event.type === 'video' && event.event.type === 'start') return JSON.stringify({ ...event, event: { ...event.event, model: event.event.model.id } })
  if (event.type === 'failed') return JSON.stringify(failureJson(event))
  if (event.type === 'done') return JSON.stringify({ ...event, failures: event.failures.map(failureJson) })
  return JSON.stringify(event)
}

/** Videos with or without images: one after the other, a failed file named and the batch going on. */
export async function upscaleBatchCommand(jobs: MediaJob[], flags: UpscaleFlags, io: CliIo): Promise<ExitCode> {
  const display = new BatchProgressDisplay(io.stderr)
  const paused = new Subject<boolean>()
  const restoreTerminal = io.stdin ? listenForKeys(io.stdin, paused, () => io.requestStop?.()) : () => undefined
  const written: string[] = []
  try {
    display.line(ffmpegLine())
    const options = { ...videoOptions(flags), quality: flags.quality, maxPixels: flags.maxPixels, paused, signal: io.signal, onWarning: (message: string) => display.line(message) }
    const last = await lastValueFrom(
      upscaleBatch(jobs, options).pipe(
        tap((event) => {
          if (event.type === 'written') written.push(event.output)
          if (flags.json) io.stdout.write(`${jsonLine(event)}\n`)
          display.handle(event)
        }),
      ),
    )
    return last.type === 'done' && last.failures.length === 0 ? EXIT.ok : EXIT.failed
  } catch (error) {
    if (!(error instanceof CoreError && error.code === 'E_ABORTED')) throw error
    // The files finished before the stop are whole and stay: say which.
    io.stderr.write(`Stopped: ${written.length} file${written.length === 1 ? '' : 's'} written before the stop ${written.length === 1 ? 'is' : 'are'} kept${written.length ? ` (${written.join(', ')})` : ''}; nothing partial was left.\n`)
    return EXIT.interrupted
  } finally {
    restoreTerminal()
  }
}

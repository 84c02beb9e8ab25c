import { Subject, lastValueFrom, tap } from 'rxjs'
import { upscaleImages, type ImageEvent, type ImageJob } from '@anime-upscaler/core'
import type { CliIo } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'
import { listenForKeys } from '../keys'
import { ProgressDisplay } from '../progress'
import { describeForCli } from '../wording'
import { poolOptions, type UpscaleFlags } from './upscale'

/** A failure for JSON: its words for this command line instead of the error object. */
export function failureJson<T extends { message: string; error?: unknown }>({ error, ...failure }: T): Omit<T, 'error'> {
  return { ...failure, message: describeForCli(error ?? failure.message) }
}

/** An image event as one JSON line: the model by its id, failures by their words (not the error object). */
function jsonLine(event: ImageEvent): string {
  if (event.type === 'start') return JSON.stringify({ ...event, model: event.model.id })
  if (event.type === 'failed') return JSON.stringify(failureJson(event))
  if (event.type === 'done') return JSON.stringify({ ...event, failures: event.failures.map(failureJson) })
  return JSON.stringify(event)
}

export async function upscaleImagesCommand(jobs: ImageJob[], flags: UpscaleFlags, io: CliIo): Promise<ExitCode> {
  const display = new ProgressDisplay(io.stderr)
  const paused = new Subject<boolean>()
  const restoreTerminal = io.stdin ? listenForKeys(io.stdin, paused, () => io.requestStop?.()) : () => undefined
  try {
    const events = upscaleImages(jobs, {
      ...poolOptions(flags),
      overwrite: flags.overwrite,
      quality: flags.quality,
      maxPixels: flags.maxPixels,
      maxOutputPixels: flags.maxOutputPixels,
      paused,
      signal: io.signal,
      onWarning: (message) => display.line(message),
    })
    const last = await lastValueFrom(
      events.pipe(
        tap((event: ImageEvent) => {
          if (flags.json) io.stdout.write(`${jsonLine(event)}\n`)
          display.handle(event)
        }),
      ),
    )
    return last.type === 'done' && last.failures.length === 0 ? EXIT.ok : EXIT.failed
  } finally {
    restoreTerminal()
  }
}

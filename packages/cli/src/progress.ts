import type { ImageEvent } from '@anime-upscaler/core'
import { StatusLine, type ProgressStream } from './status-line'
import { describeForCli } from './wording'

/** Renders image-batch events on stderr: a redrawn bar on a terminal, plain lines otherwise. */
export class ProgressDisplay {
  private readonly status: StatusLine

  constructor(stream: ProgressStream | StatusLine = process.stderr) {
    this.status = StatusLine.on(stream)
  }

  handle(event: ImageEvent): void {
    switch (event.type) {
      case 'start':
        this.line(`Upscaling ${event.total} image${event.total === 1 ? '' : 's'} with ${event.model.id} (${event.model.scale}x per pass, ${event.workers} worker${event.workers === 1 ? '' : 's'} x ${event.threads} thread${event.threads === 1 ? '' : 's'}, ${event.model.provider})`)
        break
      case 'image':
        this.line(`${event.input} → ${event.output} (${event.sourceWidth}x${event.sourceHeight} → ${event.width}x${event.height}, ${(event.milliseconds / 1000).toFixed(2)} s)`)
        break
      case 'failed':
        this.line(`error: ${event.input}: ${event.error ? describeForCli(event.error) : event.message}`)
        break
      case 'warning':
        this.line(`warning: ${event.message}`)
        break
      case 'progress': {
        const eta = event.etaSeconds === undefined ? '?' : `${Math.ceil(event.etaSeconds)} s`
        const status = `${event.done}/${event.total} ${event.percent.toFixed(0)}% ${event.imagesPerSecond.toFixed(2)} img/s ETA ${eta}${event.failed ? ` (${event.failed} failed)` : ''}${event.paused ? '  [paused]' : ''}`
        if (this.status.interactive) this.status.redraw(`${bar(event.percent)} ${status}`)
        break
      }
      case 'paused':
        this.line('Paused: images in progress finish, no new one starts. Press p to resume.')
        break
      case 'resumed':
        this.line('Resumed.')
        break
      case 'done':
        this.line(`Done: ${event.results.length} written, ${event.failures.length} failed in ${event.seconds.toFixed(1)} s`)
        break
    }
  }

  line(text: string): void {
    this.status.line(text)
  }
}

function bar(percent: number, width = 24): string {
  const filled = Math.round((percent / 100) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}

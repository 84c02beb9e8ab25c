import type { ImageEvent } from '@anime-upscaler/core'

/** Renders image-batch events on stderr: a redrawn bar on a terminal, plain lines otherwise. */
export class ProgressDisplay {
  private lastLineLength = 0

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  private get interactive(): boolean {
    return this.stream.isTTY === true
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
        this.line(`error: ${event.input}: ${event.message}`)
        break
      case 'progress': {
        const eta = event.etaSeconds === undefined ? '?' : `${Math.ceil(event.etaSeconds)} s`
        const status = `${event.done}/${event.total} ${event.percent.toFixed(0)}% ${event.imagesPerSecond.toFixed(2)} img/s ETA ${eta}${event.failed ? ` (${event.failed} failed)` : ''}`
        if (this.interactive) this.redraw(`${bar(event.percent)} ${status}`)
        break
      }
      case 'done':
        this.line(`Done: ${event.results.length} written, ${event.failures.length} failed in ${event.seconds.toFixed(1)} s`)
        break
    }
  }

  /** A permanent line; on a terminal it first clears the bar, which is redrawn by the next progress event. */
  line(text: string): void {
    if (this.interactive && this.lastLineLength > 0) this.stream.write(`\r${' '.repeat(this.lastLineLength)}\r`)
    this.lastLineLength = 0
    this.stream.write(`${text}\n`)
  }

  private redraw(text: string): void {
    this.stream.write(`\r${text.padEnd(this.lastLineLength)}`)
    this.lastLineLength = text.length
  }
}

function bar(percent: number, width = 24): string {
  const filled = Math.round((percent / 100) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}

import type { VideoEvent } from '@anime-upscaler/core'

/** Renders video events on stderr: a redrawn status line on a terminal, a line every few seconds otherwise. */
export class VideoProgressDisplay {
  private lastLength = 0
  private lastPlainLine = 0

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly plainIntervalMs = 2000,
  ) {}

  private get interactive(): boolean {
    return this.stream.isTTY === true
  }

  handle(event: VideoEvent): void {
    switch (event.type) {
      case 'start': {
        const { source } = event
        const rate = source.variableFrameRate ? `variable rate (~${source.frameRate})` : `${source.frameRate} fps`
        this.line(
          `Upscaling ${event.input} (${source.width}x${source.height}, ${source.framesExact ? '' : '~'}${source.frames} frames, ${rate}) → ${event.output} (${event.outputWidth}x${event.outputHeight})`,
        )
        this.line(`${event.model.id}, ${event.workers} worker${event.workers === 1 ? '' : 's'} x ${event.threads} thread${event.threads === 1 ? '' : 's'}, ${event.mode} mode, up to ${event.capacity} frames in flight${this.interactive ? ' — p: pause/resume, q: stop' : ''}`)
        break
      }
      case 'progress': {
        const eta = event.etaSeconds === undefined ? '?' : formatDuration(event.etaSeconds)
        const text = `decoded ${event.decoded} · upscaled ${event.upscaled} · encoded ${event.encoded}/${event.total}  ${event.percent.toFixed(1)}%  ${event.fps.toFixed(2)} fps  ETA ${eta}${event.paused ? '  [paused]' : ''}`
        if (this.interactive) this.redraw(text)
        else if (performance.now() - this.lastPlainLine >= this.plainIntervalMs || event.encoded === event.total) {
          this.lastPlainLine = performance.now()
          this.line(text)
        }
        break
      }
      case 'paused':
        this.line('Paused: frames in flight finish, nothing new is decoded. Press p to resume.')
        break
      case 'resumed':
        this.line('Resumed.')
        break
      case 'done':
        this.line(`Done: ${event.output}${event.partial ? ' (partial, stopped early)' : ''}: ${event.frames} frames in ${formatDuration(event.seconds)} (${event.fps.toFixed(2)} fps)`)
        break
    }
  }

  line(text: string): void {
    if (this.interactive && this.lastLength > 0) this.stream.write(`\r${' '.repeat(this.lastLength)}\r`)
    this.lastLength = 0
    this.stream.write(`${text}\n`)
  }

  private redraw(text: string): void {
    this.stream.write(`\r${text.padEnd(this.lastLength)}`)
    this.lastLength = text.length
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}

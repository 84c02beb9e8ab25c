import type { VideoEvent } from '@anime-upscaler/core'
import { segmentsLine } from './commands/segment-flags'
import { whereLine, workersLine } from './commands/distributed'
import { StatusLine, type ProgressStream } from './status-line'

/** Renders video events on stderr: a redrawn status line on a terminal, a line every few seconds otherwise. */
export class VideoProgressDisplay {
  private readonly status: StatusLine
  private lastPlainLine = 0
  private lastWorkers = ''
  private lastWorkersAt = -Infinity

  constructor(
    stream: ProgressStream | StatusLine = process.stderr,
    private readonly plainIntervalMs = 2000,
    /** Frames the status text (a batch adds the file's number and the batch's ETA). */
    private readonly decorate: (status: string) => string = (status) => status,
  ) {
    this.status = StatusLine.on(stream)
  }

  handle(event: VideoEvent): void {
    switch (event.type) {
      case 'start': {
        const { source } = event
        const rate = source.variableFrameRate ? `variable rate (~${source.frameRate})` : `${source.frameRate} fps`
        this.line(
          `Upscaling ${event.input} (${source.width}x${source.height}, ${source.framesExact ? '' : '~'}${source.frames} frames, ${rate}) → ${event.output} (${event.outputWidth}x${event.outputHeight})`,
        )
        const segments = segmentsLine(event)
        if (segments) this.line(segments)
        this.line(reuseLine(event))
        this.line(`${event.model.id}, ${whereLine(event)}, ${event.frameFormat === 'rgb' ? 'RGB' : `Y'CbCr 4:2:0 from the model (${event.frameFormat})`} to the encoder${this.status.interactive ? ' — p: pause/resume, q: stop' : ''}`)
        break
      }
      case 'progress': {
        const eta = event.etaSeconds === undefined ? '?' : formatDuration(event.etaSeconds)
        const skipped = event.duplicates > 0 ? ` (${event.duplicates} duplicates, ${(event.skippedShare * 100).toFixed(0)}% skipped)` : ''
        const text = this.decorate(`decoded ${event.decoded}${skipped} · upscaled ${event.upscaled} · encoded ${event.encoded}/${event.total}  ${event.percent.toFixed(1)}%  model work ${percent(event.modelWork)}  ${event.fps.toFixed(2)} fps  ETA ${eta}${event.paused ? '  [paused]' : ''}`)
        if (this.status.interactive) this.status.redraw(text)
        else if (performance.now() - this.lastPlainLine >= this.plainIntervalMs || event.encoded === event.total) {
          this.lastPlainLine = performance.now()
          this.line(text)
        }
        break
      }
      case 'workers':
        this.workers(workersLine(event))
        break
      case 'paused':
        this.line('Paused: frames in flight finish, nothing new is decoded. Press p to resume.')
        break
      case 'resumed':
        this.line('Resumed.')
        break
      case 'done':
        this.line(
          `Done: ${event.output}${event.partial ? ' (partial, stopped early)' : ''}: ${event.frames} frames in ${formatDuration(event.seconds)} (${event.fps.toFixed(2)} fps); ${event.unique} upscaled, ${event.duplicates} duplicates repeated (${((100 * event.duplicates) / Math.max(1, event.unique + event.duplicates)).toFixed(0)}% skipped); model work ${percent(event.modelWork)}`,
        )
        break
    }
  }

  /** What each worker does: a line when it changes, at most every few seconds. */
  private workers(text: string): void {
    if (text === this.lastWorkers || performance.now() - this.lastWorkersAt < this.plainIntervalMs) return
    this.lastWorkers = text
    this.lastWorkersAt = performance.now()
    this.line(text)
  }

  line(text: string): void {
    this.status.line(text)
  }
}

/** A share (0..1) as "47 %". */
function percent(share: number): string {
  return `${(100 * share).toFixed(0)} %`
}

/** What the job reuses, in the words of the flags (a segmented job's segments each start with nothing held). */
function reuseLine({ reuse, segments }: Extract<VideoEvent, { type: 'start' }>): string {
  const references = `${reuse.references} reference${reuse.references === 1 ? '' : 's'}`
  const tiles = reuse.tiles ? `, ${reuse.tiles.size}-px tiles with a ${reuse.tiles.halo}-px halo, threshold ${reuse.tiles.threshold}` : ''
  const anew = segments && reuse.mode !== 'off' ? ', anew in each segment' : ''
  return `Reuse: ${reuse.mode} (${references}${tiles}${anew})${reuse.note ? `; ${reuse.note}` : ''}`
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}

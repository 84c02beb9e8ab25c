import type { BatchEvent, BatchProgress, VideoEvent } from '@anime-upscaler/core'
import { ProgressDisplay } from './progress'
import { StatusLine, type ProgressStream } from './status-line'
import { VideoProgressDisplay, formatDuration } from './video-progress'
import { describeForCli } from './wording'

type VideoProgress = Extract<VideoEvent, { type: 'progress' }>

/**
 * Renders a batch of videos and images on stderr: the images' and each video's own lines, and one
 * status line that says which file of how many is in progress, its progress and the batch's ETA.
 */
export class BatchProgressDisplay {
  private readonly status: StatusLine
  private readonly images: ProgressDisplay
  private readonly videos: VideoProgressDisplay
  private batch?: BatchProgress
  private video?: VideoProgress

  constructor(stream: ProgressStream = process.stderr) {
    this.status = StatusLine.on(stream)
    this.images = new ProgressDisplay(this.status)
    this.videos = new VideoProgressDisplay(this.status, 2000, (text) => `${this.place()} ${text}  · ${this.batchText()}`)
  }

  handle(event: BatchEvent): void {
    switch (event.type) {
      case 'start':
        this.line(`Upscaling ${event.files} files: ${count(event.videos, 'video')} and ${count(event.images, 'image')}${this.status.interactive ? ' — p: pause/resume, q: stop' : ''}`)
        break
      case 'images':
        this.images.handle({ type: 'start', total: event.images, model: event.model, workers: event.workers, threads: event.threads })
        break
      case 'video':
        this.handleVideo(event.event)
        break
      case 'written':
        if (event.kind === 'image') this.line(`[${event.file}/${event.files}] ${event.input} → ${event.output} (${event.width}x${event.height})`)
        break
      case 'failed':
        this.line(`error: [${event.file}/${event.files}] ${event.input}: ${describeForCli(event.error ?? event.message)}`)
        break
      case 'warning':
        this.line(`warning: ${event.message}`)
        break
      case 'progress':
        this.showProgress(event)
        break
      case 'paused':
        this.line('Paused: the file in progress holds, no new one starts. Press p to resume.')
        break
      case 'resumed':
        this.line('Resumed.')
        break
      case 'done':
        this.line(`Done: ${event.results.length} written, ${event.failures.length} failed in ${formatDuration(event.seconds)}`)
        if (event.failures.length > 0) this.line(`Failed: ${event.failures.map((failure) => failure.input).join(', ')}`)
        break
    }
  }

  /** A video's progress is drawn with the batch's, which follows it. */
  private handleVideo(event: Extract<BatchEvent, { type: 'video' }>['event']): void {
    if (event.type === 'progress') this.video = event
    else {
      this.video = undefined
      this.videos.handle(event)
    }
  }

  private showProgress(progress: BatchProgress): void {
    this.batch = progress
    if (this.video && progress.filePercent !== undefined) this.videos.handle(this.video)
    else if (this.status.interactive) this.status.redraw(`${this.place()} ${progress.done} written${progress.failed ? `, ${progress.failed} failed` : ''}  · ${this.batchText()}`)
  }

  private place(): string {
    return this.batch ? `[${this.batch.file}/${this.batch.files}]` : ''
  }

  private batchText(): string {
    if (!this.batch) return 'batch ?'
    const eta = this.batch.etaSeconds === undefined ? '?' : formatDuration(this.batch.etaSeconds)
    return `batch ${this.batch.percent.toFixed(1)}% ETA ${eta}${this.batch.paused ? '  [paused]' : ''}`
  }

  line(text: string): void {
    this.status.line(text)
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

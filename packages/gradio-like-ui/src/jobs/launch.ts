import type { ProcessError, RunRequest, RunnerEvent } from '../job-protocol'
import { startJobProcess } from '../job-process'
import type { Job } from './job'

/** What a run needs from the manager. */
export interface RunHooks {
  /** The job changed: tell the pages (`urgent` false for progress, which is coalesced). */
  changed(job: Job, urgent?: boolean): void
  /** The job process ended (`error` undefined when core completed the run). */
  end(job: Job, error: ProcessError | undefined): void
  /** Temporary folder of job processes. */
  tempDir: string
}

/** MIME types of the outputs, by extension. */
export const OUTPUT_MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
}

/**
 * Starts core in a job process. Progress, pause and resume are handled alike for images and
 * videos; `onEvent` gets the events that differ.
 */
export function launch(job: Job, request: RunRequest, hooks: RunHooks, onEvent: (event: RunnerEvent) => void): void {
  job.process = startJobProcess(
    request,
    {
      event: (event) => {
        switch (event.type) {
          case 'progress': {
            const { type: _type, ...progress } = event
            job.progress = progress
            return hooks.changed(job, false)
          }
          // core reports the pause once what was in flight has settled: the state follows core.
          case 'paused':
            if (job.state === 'running') job.state = 'paused'
            return hooks.changed(job)
          case 'resumed':
            if (job.state === 'paused') job.state = 'running'
            return hooks.changed(job)
          default:
            return onEvent(event)
        }
      },
      warning: (message) => {
        job.warnings.push(message)
        hooks.changed(job)
      },
      end: (error) => hooks.end(job, error),
    },
    hooks.tempDir,
  )
  if (job.pauseRequested) job.process.pause(true)
}

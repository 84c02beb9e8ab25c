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

/** Frames decoded but not yet encoded (a video's work in flight). */
function framesInFlight(job: Job): number {
  const { decoded, encoded } = (job.progress ?? {}) as { decoded?: number; encoded?: number }
  return (decoded ?? 0) - (encoded ?? 0)
}

/**
 * Shows the job paused once core paused and, for a video, the frames in flight are encoded: until
 * then the page says "Pausing…". An image batch's images in flight are not counted by core's
 * events, so a batch shows paused at once (and says that started images finish). True when it changed.
 */
function settlePause(job: Job): boolean {
  if (job.state !== 'running' || !job.corePaused) return false
  if (job.kind === 'video' && framesInFlight(job) > 0) return false
  job.enterPause()
  return true
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
            if (settlePause(job)) return hooks.changed(job)
            return hooks.changed(job, false)
          }
          case 'paused':
            job.corePaused = true
            settlePause(job)
            return hooks.changed(job)
          case 'resumed':
            job.corePaused = false
            job.leavePause()
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

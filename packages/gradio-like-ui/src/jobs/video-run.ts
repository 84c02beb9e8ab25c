import { basename, extname } from 'node:path'
import { videoOptions } from '../core-options'
import type { RunnerEvent, VideoRunOptions } from '../job-protocol'
import { stem, type Job, type JobFile } from './job'
import { OUTPUT_MIME, launch, type RunHooks } from './launch'

/** Runs one video with core's upscaleVideo; the container is the chosen one, or decided from the source. */
export function startVideoRun(job: Job, hooks: RunHooks): void {
  const input = job.inputs[0]
  let output: Pick<JobFile, 'name' | 'path'> | undefined
  const onEvent = (event: RunnerEvent) => {
    if (event.type === 'output') {
      output = { name: basename(event.path), path: event.path }
    } else if (event.type === 'start' && 'source' in event) {
      const { model, workers, threads, mode, capacity, outputWidth, outputHeight, segments } = event
      job.info = { model, workers, threads, mode, capacity, outputWidth, outputHeight, source: { width: event.source.width, height: event.source.height, frames: event.source.frames }, ...(segments ? { segments: { count: segments.count, done: segments.done } } : {}) }
      hooks.changed(job)
    } else if (event.type === 'done' && 'frames' in event && output) {
      const width = job.info?.outputWidth ?? 0
      const height = job.info?.outputHeight ?? 0
      const extension = extname(output.name)
      job.addFile({ ...output, mime: OUTPUT_MIME[extension], downloadName: `${stem(input.name)}-${width}x${height}${extension}`, role: 'output' })
      job.outputs.push(output.name)
      job.video = { output: output.name, width, height, frames: event.frames, seconds: event.seconds, fps: event.fps, unique: event.unique, duplicates: event.duplicates, modelWork: event.modelWork }
    }
  }
  const request = { kind: 'video', input: job.kept?.input ?? input.path, outputDir: job.outDir, outputStem: 'output', container: job.settings.container, options: { ...videoOptions(job.settings, {}), ...resumable(job) } } as const
  launch(job, request, hooks, onEvent)
}

/** A kept video runs segmented, its job folder kept (core's `resume`) with the web app's record of it. */
function resumable({ kept }: Job): Pick<VideoRunOptions, 'segments' | 'resume'> {
  if (!kept) return {}
  return { segments: { seconds: kept.record.segmentSeconds }, resume: { folder: kept.folder, request: kept.record } }
}

import { extname, join } from 'node:path'
import { formatFromPath, readImage, writeImage, type ImageFormat } from '@anime-upscaler/core'
import { imageOptions } from '../core-options'
import type { RunnerEvent } from '../job-protocol'
import { plainError } from '../plain-errors'
import { stem, type Job, type JobInput } from './job'
import { OUTPUT_MIME, launch, type RunHooks } from './launch'

interface PlannedImage {
  input: JobInput
  /** The output's served name: output-N.<format>. */
  name: string
  output: string
  format: ImageFormat
}

function planImages(job: Job): PlannedImage[] {
  const chosen = job.settings.imageFormat
  return job.inputs.map((input, index) => {
    const format: ImageFormat = chosen === 'same' ? (formatFromPath(input.file) ?? 'png') : chosen
    const name = `output-${index + 1}.${format}`
    return { input, name, output: join(job.outDir, name), format }
  })
}

/** TIFF inputs are shown through a PNG copy: browsers do not display TIFF. */
async function ensureDisplayable(job: Job, input: JobInput, maxPixels: number | undefined): Promise<void> {
  if (input.display) return
  const name = `${stem(input.file)}-display.png`
  const path = join(job.inDir, name)
  try {
    const decoded = await readImage(input.path, maxPixels)
    await writeImage(decoded.image, path, { format: 'png', overwrite: true })
    job.addFile({ name, path, mime: 'image/png', downloadName: `${stem(input.name)}.png`, role: 'input' })
    input.display = name
  } catch {
    // The comparison then shows the result alone.
  }
}

/** Runs an image batch with core's upscaleImages: results listed in input order as they finish. */
export function startImageRun(job: Job, hooks: RunHooks, maxPixels: number | undefined): void {
  const plan = planImages(job)
  const byInput = new Map(plan.map((entry) => [entry.input.path, entry]))
  const position = (name: string) => plan.findIndex((candidate) => candidate.name === name)
  const onEvent = (event: RunnerEvent) => {
    if (event.type === 'start' && 'total' in event) {
      job.info = { model: event.model, workers: event.workers, threads: event.threads }
      hooks.changed(job)
    } else if (event.type === 'image') {
      const entry = byInput.get(event.input)!
      const extension = extname(entry.name)
      job.addFile({ name: entry.name, path: event.output, mime: OUTPUT_MIME[extension] ?? 'application/octet-stream', downloadName: `${stem(entry.input.name)}-${event.width}x${event.height}${extension}`, role: 'output' })
      // Results finish in any order (several images at once); they are listed in input order.
      job.outputs.push(entry.name)
      job.outputs.sort((a, b) => position(a) - position(b))
      job.results.push({ ...event, input: entry.input.file, output: entry.name })
      job.results.sort((a, b) => position(a.output) - position(b.output))
      job.side(() => ensureDisplayable(job, entry.input, maxPixels)).then(
        () => hooks.changed(job),
        () => undefined, // removed meanwhile
      )
    } else if (event.type === 'failed') {
      const entry = byInput.get(event.input)
      job.failures.push({ input: entry?.input.name ?? 'an image', message: plainError(event, job.names()).message })
      hooks.changed(job)
    }
  }
  const jobs = plan.map(({ input, output, format }) => ({ input: input.path, output, format }))
  launch(job, { kind: 'image', jobs, options: imageOptions(job.settings, { maxPixels }) }, hooks, onEvent)
}

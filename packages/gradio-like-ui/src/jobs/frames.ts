import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeImage } from '@anime-upscaler/core'
import { LIMITS } from '../limits'
import { readVideoFrame } from '../media'
import { stem, type Job } from './job'

export interface ComparedFrame {
  index: number
  before: string
  after: string
  width: number
  height: number
}

/** Keeps the last few compared frames of a job only. */
async function dropOldFrames(job: Job): Promise<void> {
  const frames = [...job.files.values()].filter((file) => file.role === 'frame')
  for (const old of frames.slice(0, Math.max(0, frames.length - LIMITS.framesKept))) {
    job.files.delete(old.name)
    await rm(old.path, { force: true })
  }
}

/** Frame `index` of a done video job's input and output, written as PNGs and served as job files. */
export async function extractFramePair(job: Job, index: number): Promise<ComparedFrame> {
  const before = `frame-${index}-before.png`
  const after = `frame-${index}-after.png`
  if (job.files.has(after)) return { index, before, after, width: job.video!.width, height: job.video!.height }
  await mkdir(job.framesDir, { recursive: true })
  const output = job.files.get(job.video!.output)!
  const [source, result] = await Promise.all([readVideoFrame(job.inputs[0].path, index), readVideoFrame(output.path, index)])
  await writeImage(source.image, join(job.framesDir, before), { format: 'png', overwrite: true })
  await writeImage(result.image, join(job.framesDir, after), { format: 'png', overwrite: true })
  await dropOldFrames(job)
  const base = stem(job.inputs[0].name)
  job.addFile({ name: before, path: join(job.framesDir, before), mime: 'image/png', downloadName: `${base}-frame-${index}-before.png`, role: 'frame' })
  job.addFile({ name: after, path: join(job.framesDir, after), mime: 'image/png', downloadName: `${base}-frame-${index}-after.png`, role: 'frame' })
  return { index, before, after, width: result.image.width, height: result.image.height }
}

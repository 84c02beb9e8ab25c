import { mkdir, rename, rm } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { CoreError, formatFromPath, readImage, writeImage, type CoreErrorCode, type ImageFormat, type ImageResult, type ImageJob, type Stage } from '@anime-upscaler/core'
import { imageOptions, videoOptions } from './core-options'
import { startJobProcess, type JobProcess, type ProcessError, type ProcessEvent } from './job-process'
import { readVideoFrame } from './media'
import { plainError, type PlainError } from './plain-errors'
import { videoExtension, type UiSettings } from './settings'
import { HttpError, randomId, type Upload } from './uploads'

export type JobState = 'queued' | 'running' | 'paused' | 'stopping' | 'done' | 'failed' | 'stopped'
const ACTIVE: JobState[] = ['running', 'paused', 'stopping']
const FINISHED: JobState[] = ['done', 'failed', 'stopped']

/** A file of a job that may be served: only these, by exact name. */
export interface JobFile {
  /** The name in URLs: generated, [A-Za-z0-9.-] only. */
  name: string
  path: string
  mime: string
  /** File name offered when downloading. */
  downloadName: string
  role: 'input' | 'output' | 'frame'
}

export interface JobInputView {
  name: string
  file: string
  size: number
  type: string
  /** A browser-displayable version of the input (the input itself, or a PNG of it). */
  display?: string
}

/** One upscaled image, as core reports it. */
export type ImageResultView = ImageResult

export interface JobView {
  id: string
  kind: 'image' | 'video'
  state: JobState
  title: string
  createdAt: number
  startedAt?: number
  finishedAt?: number
  settings: UiSettings
  inputs: JobInputView[]
  /** Output file names, in order. */
  outputs: string[]
  /** Files offered for download (outputs), with their download names. */
  downloads: { file: string; name: string; size?: number }[]
  pauseRequested: boolean
  info?: { model: string; workers: number; threads: number; mode?: string; capacity?: number; source?: Record<string, unknown>; outputWidth?: number; outputHeight?: number }
  /** The last progress event from core, as is (new counters such as `unique` pass through). */
  progress?: Record<string, unknown>
  results: ImageResultView[]
  video?: { output: string; width: number; height: number; frames: number; seconds: number; fps: number; unique?: number; duplicates?: number }
  failures: { input: string; message: string }[]
  error?: PlainError
  warnings: string[]
}

const MIME_BY_EXTENSION: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
}
const BROWSER_IMAGES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']

function stem(name: string): string {
  const extension = extname(name)
  return (extension ? name.slice(0, -extension.length) : name) || 'upscaled'
}

class Job {
  readonly createdAt = Date.now()
  state: JobState = 'queued'
  startedAt?: number
  finishedAt?: number
  readonly files = new Map<string, JobFile>()
  readonly inputs: (JobInputView & { path: string })[] = []
  readonly outputs: string[] = []
  readonly results: ImageResultView[] = []
  readonly failures: { input: string; message: string }[] = []
  readonly warnings: string[] = []
  info?: JobView['info']
  progress?: Record<string, unknown>
  video?: JobView['video']
  error?: PlainError
  pauseRequested = false
  process?: JobProcess
  stopRequested = false
  /** Resolves once the job is done, failed or stopped. */
  readonly finished: Promise<void>
  private resolveFinished!: () => void
  /** Serialises frame extraction for comparisons. */
  frameTask: Promise<unknown> = Promise.resolve()

  constructor(
    readonly id: string,
    readonly kind: 'image' | 'video',
    readonly dir: string,
    readonly settings: UiSettings,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve))
  }

  get inDir(): string {
    return join(this.dir, 'in')
  }

  get outDir(): string {
    return join(this.dir, 'out')
  }

  get title(): string {
    const first = this.inputs[0]?.name ?? 'job'
    return this.inputs.length > 1 ? `${first} + ${this.inputs.length - 1} more` : first
  }

  /** Server paths → the names the user knows, for messages. */
  names(): Map<string, string> {
    const names = new Map<string, string>()
    for (const input of this.inputs) names.set(input.path, input.name)
    for (const file of this.files.values()) if (file.role !== 'input') names.set(file.path, file.downloadName)
    names.set(this.dir, 'the job folder')
    return names
  }

  addFile(file: JobFile): void {
    this.files.set(file.name, file)
  }

  markFinished(state: 'done' | 'failed' | 'stopped'): void {
    this.state = state
    this.finishedAt = Date.now()
    this.resolveFinished()
  }

  view(): JobView {
    return {
      id: this.id,
      kind: this.kind,
      state: this.state,
      title: this.title,
      createdAt: this.createdAt,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      settings: this.settings,
      inputs: this.inputs.map(({ path: _path, ...input }) => input),
      outputs: [...this.outputs],
      downloads: this.outputs.map((name) => ({ file: name, name: this.files.get(name)?.downloadName ?? name })),
      pauseRequested: this.pauseRequested,
      info: this.info,
      progress: this.progress,
      results: [...this.results],
      video: this.video,
      failures: [...this.failures],
      error: this.error,
      warnings: [...this.warnings],
    }
  }
}

export interface JobManagerOptions {
  dir: string
  /** Temporary folder of the job processes. */
  tempDir: string
  maxConcurrentJobs: number
  maxQueuedJobs: number
  maxFiles: number
  maxPixels?: number
}

export type JobListener = (event: { type: 'job'; job: JobView; urgent: boolean } | { type: 'removed'; id: string }) => void

/** The queue: jobs wait, run up to `maxConcurrentJobs` at once, and own a folder each. */
export class JobManager {
  private readonly jobs = new Map<string, Job>()
  private readonly listeners = new Set<JobListener>()
  private closing = false

  constructor(private readonly options: JobManagerOptions) {}

  subscribe(listener: JobListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed(job: Job, urgent = true): void {
    const view = job.view()
    for (const listener of this.listeners) listener({ type: 'job', job: view, urgent })
  }

  list(): JobView[] {
    return [...this.jobs.values()].map((job) => job.view())
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id)
  }

  /** The served file `name` of job `id`, or undefined: nothing else is ever looked up. */
  file(id: string, name: string): JobFile | undefined {
    return this.jobs.get(id)?.files.get(name)
  }

  /** Creates a job from uploads (already taken from the store) and queues it. */
  async create(uploads: Upload[], settings: UiSettings): Promise<JobView> {
    if (this.closing) throw new HttpError(503, 'The server is shutting down')
    if (uploads.length === 0) throw new HttpError(400, 'Add at least one image or a video first')
    const kinds = new Set(uploads.map((upload) => upload.type.kind))
    if (kinds.size > 1) throw new HttpError(400, 'A job takes images or one video, not both: start them as separate jobs')
    const kind = uploads[0].type.kind
    if (kind === 'video' && uploads.length > 1) throw new HttpError(400, 'A job takes one video at a time: start one job per video')
    if (uploads.length > this.options.maxFiles) throw new HttpError(413, `Too many files: at most ${this.options.maxFiles} per job`)
    const waiting = [...this.jobs.values()].filter((job) => job.state === 'queued').length
    if (waiting >= this.options.maxQueuedJobs) throw new HttpError(429, `The queue is full (${this.options.maxQueuedJobs} jobs waiting); wait for some to finish`)

    const id = randomId()
    const job = new Job(id, kind, join(this.options.dir, id), settings)
    await mkdir(job.inDir, { recursive: true })
    await mkdir(job.outDir, { recursive: true })
    for (const [index, upload] of uploads.entries()) {
      const file = `input-${index + 1}${upload.type.extension}`
      const path = join(job.inDir, file)
      await rename(upload.path, path)
      await rm(join(upload.path, '..'), { recursive: true, force: true })
      job.inputs.push({ name: upload.name, file, size: upload.size, type: upload.type.mime, path, display: BROWSER_IMAGES.includes(upload.type.mime) ? file : undefined })
      job.addFile({ name: file, path, mime: upload.type.mime, downloadName: upload.name, role: 'input' })
    }
    this.jobs.set(job.id, job)
    this.changed(job)
    this.schedule()
    return job.view()
  }

  private schedule(): void {
    if (this.closing) return
    let running = [...this.jobs.values()].filter((job) => ACTIVE.includes(job.state)).length
    for (const job of this.jobs.values()) {
      if (running >= this.options.maxConcurrentJobs) break
      if (job.state !== 'queued') continue
      running++
      this.start(job)
    }
  }

  private start(job: Job): void {
    job.state = 'running'
    job.startedAt = Date.now()
    this.changed(job)
    if (job.kind === 'video') this.runVideo(job)
    else this.runImages(job)
  }

  /** Starts core in a job process; `onEvent` receives the events that differ between images and videos. */
  private launch(job: Job, request: Parameters<typeof startJobProcess>[0], onEvent: (event: ProcessEvent) => void): void {
    const { signal: _signal, onWarning: _onWarning, ...options } = request.options as Record<string, unknown>
    job.process = startJobProcess({ ...request, options } as Parameters<typeof startJobProcess>[0], {
      event: (event) => {
        switch (event.type) {
          case 'progress': {
            const { type: _type, ...progress } = event
            job.progress = progress
            return this.changed(job, false)
          }
          // Videos and image batches pause alike: core reports it, the job's state follows.
          case 'paused':
            if (job.state === 'running') job.state = 'paused'
            return this.changed(job)
          case 'resumed':
            if (job.state === 'paused') job.state = 'running'
            return this.changed(job)
          default:
            return onEvent(event)
        }
      },
      warning: (message) => {
        job.warnings.push(message)
        this.changed(job)
      },
      end: (error) => void this.end(job, error),
    }, this.options.tempDir)
    if (job.pauseRequested) job.process.pause(true)
  }

  private runImages(job: Job): void {
    const chosen = job.settings.imageFormat
    const plan = job.inputs.map((input, index) => {
      const format: ImageFormat = chosen === 'same' ? (formatFromPath(input.file) ?? 'png') : chosen
      const name = `output-${index + 1}.${format}`
      return { input, name, job: { input: input.path, output: join(job.outDir, name), format } satisfies ImageJob }
    })
    const byInput = new Map(plan.map((entry) => [entry.job.input, entry]))
    const position = (name: string) => plan.findIndex((candidate) => candidate.name === name)
    const options = imageOptions(job.settings, { maxPixels: this.options.maxPixels })
    this.launch(job, { kind: 'image', jobs: plan.map((entry) => entry.job), options }, (event) => {
      switch (event.type) {
        case 'start':
          job.info = { model: String(event.model), workers: Number(event.workers), threads: Number(event.threads) }
          this.changed(job)
          break
        case 'image': {
          const result = event as unknown as { input: string; output: string; width: number; height: number; sourceWidth: number; sourceHeight: number; milliseconds: number }
          const entry = byInput.get(result.input)!
          const extension = extname(entry.name)
          job.addFile({ name: entry.name, path: result.output, mime: MIME_BY_EXTENSION[extension] ?? 'application/octet-stream', downloadName: `${stem(entry.input.name)}-${result.width}x${result.height}${extension}`, role: 'output' })
          // Results finish in any order (several images at once); they are listed in input order.
          job.outputs.push(entry.name)
          job.outputs.sort((a, b) => position(a) - position(b))
          job.results.push({ input: entry.input.file, output: entry.name, width: result.width, height: result.height, sourceWidth: result.sourceWidth, sourceHeight: result.sourceHeight, milliseconds: result.milliseconds })
          job.results.sort((a, b) => position(a.output) - position(b.output))
          void this.ensureDisplayable(job, entry.input).then(() => this.changed(job))
          break
        }
        case 'failed': {
          const failure = event as unknown as { input: string; code: CoreErrorCode; stage: Stage; message: string }
          const entry = byInput.get(failure.input)
          job.failures.push({ input: entry?.input.name ?? 'an image', message: plainError(new CoreError(failure.code, failure.stage, failure.message), job.names()).message })
          this.changed(job)
          break
        }
      }
    })
  }

  /** TIFF inputs are shown through a PNG copy: browsers do not display TIFF. */
  private async ensureDisplayable(job: Job, input: JobInputView & { path: string }): Promise<void> {
    if (input.display) return
    const name = `${stem(input.file)}-display.png`
    const path = join(job.inDir, name)
    try {
      const decoded = await readImage(input.path, this.options.maxPixels)
      await writeImage(decoded.image, path, { format: 'png', overwrite: true })
      job.addFile({ name, path, mime: 'image/png', downloadName: `${stem(input.name)}.png`, role: 'input' })
      input.display = name
    } catch {
      // The comparison then shows the result alone.
    }
  }

  private runVideo(job: Job): void {
    const input = job.inputs[0]
    const extension = videoExtension(job.settings)
    const name = `output${extension}`
    const output = join(job.outDir, name)
    const options = videoOptions(job.settings, {})
    this.launch(job, { kind: 'video', input: input.path, output, options }, (event) => {
      switch (event.type) {
        case 'start':
          job.info = {
            model: String(event.model),
            workers: Number(event.workers),
            threads: Number(event.threads),
            mode: String(event.mode),
            capacity: Number(event.capacity),
            source: event.source as Record<string, unknown>,
            outputWidth: Number(event.outputWidth),
            outputHeight: Number(event.outputHeight),
          }
          this.changed(job)
          break
        case 'done': {
          const done = event as unknown as { output: string; frames: number; seconds: number; fps: number; unique?: number; duplicates?: number }
          const width = job.info?.outputWidth ?? 0
          const height = job.info?.outputHeight ?? 0
          job.addFile({ name, path: done.output, mime: MIME_BY_EXTENSION[extension], downloadName: `${stem(input.name)}-${width}x${height}${extension}`, role: 'output' })
          job.outputs.push(name)
          job.video = { output: name, width, height, frames: done.frames, seconds: done.seconds, fps: done.fps, unique: done.unique, duplicates: done.duplicates }
          break
        }
      }
    })
  }

  private async end(job: Job, error?: ProcessError): Promise<void> {
    if (FINISHED.includes(job.state)) return
    job.process = undefined
    if (job.stopRequested || error?.code === 'E_ABORTED') {
      // A stopped job leaves no output: what was written is removed with the folder.
      await this.dropOutputs(job)
      job.markFinished('stopped')
    } else if (error !== undefined) {
      await this.dropOutputs(job)
      const failure = error.code === 'E_PROCESS' ? error : plainError(new CoreError(error.code as CoreErrorCode, error.stage as Stage, error.message), job.names())
      job.error = { message: failure.message, detail: failure.detail ?? error.detail, code: error.code }
      job.markFinished('failed')
    } else if (job.outputs.length === 0) {
      job.error = { message: job.failures.length === 1 ? job.failures[0].message : `None of the ${job.failures.length} images could be upscaled; see each one's reason below.` }
      job.markFinished('failed')
    } else {
      job.markFinished('done')
    }
    this.changed(job)
    this.schedule()
  }

  private async dropOutputs(job: Job): Promise<void> {
    for (const name of job.outputs) job.files.delete(name)
    for (const [name, file] of job.files) if (file.role === 'frame') job.files.delete(name)
    job.outputs.length = 0
    job.results.length = 0
    job.video = undefined
    await rm(job.outDir, { recursive: true, force: true })
    await rm(join(job.dir, 'frames'), { recursive: true, force: true })
  }

  pause(id: string, paused: boolean): JobView {
    const job = this.require(id)
    if (FINISHED.includes(job.state) || job.state === 'stopping') throw new HttpError(409, `This job has already ${job.state === 'stopping' ? 'been asked to stop' : job.state === 'done' ? 'finished' : job.state}`)
    job.pauseRequested = paused
    job.process?.pause(paused)
    this.changed(job)
    return job.view()
  }

  /** Stops a queued or running job; its outputs are removed. Resolves once it has ended. */
  async stop(id: string): Promise<JobView> {
    const job = this.require(id)
    await this.halt(job)
    return job.view()
  }

  private async halt(job: Job): Promise<void> {
    if (FINISHED.includes(job.state)) return
    job.stopRequested = true
    if (job.state === 'queued') {
      await this.dropOutputs(job)
      job.markFinished('stopped')
      this.changed(job)
      return
    }
    if (job.state !== 'stopping') {
      job.state = 'stopping'
      this.changed(job)
    }
    // core stops on the AbortSignal; a process that does not end in time is killed.
    job.process?.stop(5000)
    await job.finished
  }

  /** Stops the job if needed and deletes it with every file it had. */
  async remove(id: string): Promise<void> {
    const job = this.require(id)
    await this.halt(job)
    this.jobs.delete(id)
    await rm(job.dir, { recursive: true, force: true })
    for (const listener of this.listeners) listener({ type: 'removed', id })
  }

  /** Extracts frame `index` of a finished video job's input and output, as PNGs to compare. */
  async compareFrame(id: string, index: number): Promise<{ index: number; before: string; after: string; width: number; height: number }> {
    const job = this.require(id)
    if (job.kind !== 'video' || job.state !== 'done' || !job.video) throw new HttpError(409, 'Frames can be compared once a video job is done')
    const frames = job.video.frames
    if (!Number.isInteger(index) || index < 0 || index >= frames) throw new HttpError(400, `Choose a frame from 0 to ${frames - 1}`)
    const task = job.frameTask.then(async () => {
      const before = `frame-${index}-before.png`
      const after = `frame-${index}-after.png`
      const dir = join(job.dir, 'frames')
      await mkdir(dir, { recursive: true })
      const output = job.files.get(job.video!.output)!
      let size = { width: 0, height: 0 }
      if (!job.files.has(after)) {
        const [source, result] = await Promise.all([readVideoFrame(job.inputs[0].path, index), readVideoFrame(output.path, index)])
        await writeImage(source.image, join(dir, before), { format: 'png', overwrite: true })
        await writeImage(result.image, join(dir, after), { format: 'png', overwrite: true })
        size = { width: result.image.width, height: result.image.height }
        // Keep the last few compared frames only.
        const frameFiles = [...job.files.values()].filter((file) => file.role === 'frame')
        for (const old of frameFiles.slice(0, Math.max(0, frameFiles.length - 6))) {
          job.files.delete(old.name)
          await rm(old.path, { force: true })
        }
        const base = stem(job.inputs[0].name)
        job.addFile({ name: before, path: join(dir, before), mime: 'image/png', downloadName: `${base}-frame-${index}-before.png`, role: 'frame' })
        job.addFile({ name: after, path: join(dir, after), mime: 'image/png', downloadName: `${base}-frame-${index}-after.png`, role: 'frame' })
      } else {
        size = { width: job.video!.width, height: job.video!.height }
      }
      return { index, before, after, ...size }
    })
    job.frameTask = task.catch(() => undefined)
    try {
      return await task
    } catch (error) {
      if (error instanceof HttpError) throw error
      throw new HttpError(500, plainError(error, job.names()).message)
    }
  }

  private require(id: string): Job {
    const job = this.jobs.get(id)
    if (!job) throw new HttpError(404, 'No such job (it may have been removed)')
    return job
  }

  /** Kills every job process at once (a forced shutdown). */
  killAll(): void {
    this.closing = true
    for (const job of this.jobs.values()) job.process?.kill()
  }

  /** Stops everything and deletes every job folder. */
  async close(): Promise<void> {
    this.closing = true
    await Promise.all([...this.jobs.values()].map((job) => this.halt(job)))
    for (const job of this.jobs.values()) await rm(job.dir, { recursive: true, force: true })
    this.jobs.clear()
    this.listeners.clear()
  }
}

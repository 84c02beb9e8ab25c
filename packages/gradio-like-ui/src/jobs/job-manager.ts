import { copyFile, link, mkdir, rm } from 'node:fs/promises'
import { extname, join } from 'node:path'
import type { JobView, UiSettings } from '../api-types'
import { HttpError } from '../http'
import type { ProcessError } from '../job-protocol'
import { plainError } from '../plain-errors'
import { randomId } from '../ids'
import type { Upload } from '../uploads'
import { extractFramePair, type ComparedFrame } from './frames'
import { startImageRun } from './image-run'
import { ACTIVE_STATES, Job, type JobFile } from './job'
import type { KeptJob, KeptJobs } from './kept-jobs'
import type { RunHooks } from './launch'
import { startVideoRun } from './video-run'

export type { JobFile } from './job'

export interface JobManagerOptions {
  dir: string
  /** Temporary folder of the job processes. */
  tempDir: string
  maxConcurrentJobs: number
  maxQueuedJobs: number
  maxFiles: number
  maxPixels?: number
  /** Where video jobs are kept so that they can be resumed. */
  kept: KeptJobs
}

export type JobListener = (event: { type: 'job'; job: JobView; urgent: boolean } | { type: 'removed'; id: string }) => void

/** A file a job is made from: an upload, the input of an earlier job, or a kept video. */
export interface JobSource {
  path: string
  name: string
  size: number
  mime: string
  extension: string
  kind: 'image' | 'video'
}

const BROWSER_IMAGES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']

/** The queue: jobs wait, run up to `maxConcurrentJobs` at once, and own a folder each. */
export class JobManager {
  private readonly jobs = new Map<string, Job>()
  private readonly listeners = new Set<JobListener>()
  private closing = false
  private readonly hooks: RunHooks

  constructor(private readonly options: JobManagerOptions) {
    this.hooks = { changed: (job, urgent) => this.changed(job, urgent), end: (job, error) => void this.end(job, error), tempDir: options.tempDir }
  }

  subscribe(listener: JobListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Every job's view, oldest first. */
  list(): JobView[] {
    return [...this.jobs.values()].map((job) => this.viewOf(job))
  }

  /** A job's view, or 404. */
  view(id: string): JobView {
    return this.viewOf(this.require(id))
  }

  /** The served file `name` of job `id`, or undefined: nothing else is ever looked up. */
  file(id: string, name: string): JobFile | undefined {
    return this.jobs.get(id)?.files.get(name)
  }

  /** A done job's outputs, in order, for the zip. */
  outputs(id: string): JobFile[] {
    const job = this.require(id)
    return job.outputs.map((name) => job.files.get(name)!)
  }

  /** Creates a job from uploads (linked into its folder) and queues it. */
  async create(uploads: Upload[], settings: UiSettings): Promise<JobView> {
    const sources = uploads.map(({ path, name, size, type }) => ({ path, name, size, mime: type.mime, extension: type.extension, kind: type.kind }))
    return this.viewOf(await this.createFrom(sources, settings))
  }

  /** A stopped or failed job again, as a new job with the same files and settings; the old one goes. */
  async retry(id: string): Promise<JobView> {
    const old = this.require(id)
    if (old.state !== 'stopped' && old.state !== 'failed') throw new HttpError(409, 'Only a stopped or failed job can be retried')
    const sources = old.inputs.map(({ path, name, size, type, file }) => ({ path, name, size, mime: type, extension: extname(file), kind: old.kind }))
    // A failed video continues from the segments it finished.
    const job = await this.createFrom(sources, old.settings, old.kept)
    old.kept = undefined
    await this.remove(id)
    return this.viewOf(job)
  }

  /** Queues a kept video job again (an interrupted one): it continues from the segments it finished. */
  async createResumed(source: Omit<JobSource, 'kind'>, settings: UiSettings, kept: KeptJob): Promise<JobView> {
    return this.viewOf(await this.createFrom([{ ...source, kind: 'video' }], settings, kept))
  }

  /** The kept jobs this server holds (queued, running, or failed and not removed yet). */
  heldKept(): Set<string> {
    return new Set([...this.jobs.values()].flatMap((job) => (job.kept ? [job.kept.id] : [])))
  }

  private async createFrom(sources: JobSource[], settings: UiSettings, kept?: KeptJob): Promise<Job> {
    this.checkCreate(sources)
    const id = randomId()
    const job = new Job(id, sources[0].kind, join(this.options.dir, id), settings)
    if (job.kind === 'video') job.kept = await this.keep(sources[0], settings, kept)
    try {
      await this.placeInputs(job, sources)
    } catch (error) {
      // A video kept for this job alone goes; one given stays where it was.
      if (job.kept && !kept) await this.options.kept.discard(job.kept)
      await rm(job.dir, { recursive: true, force: true })
      throw error
    }
    this.jobs.set(job.id, job)
    this.changed(job)
    this.schedule()
    return job
  }

  private async placeInputs(job: Job, sources: JobSource[]): Promise<void> {
    await mkdir(job.inDir, { recursive: true })
    await mkdir(job.outDir, { recursive: true })
    for (const [index, source] of sources.entries()) {
      const file = `input-${index + 1}${source.extension}`
      const path = join(job.inDir, file)
      // A link: the upload stays in the page's list to run again with other settings.
      await link(source.path, path).catch(() => copyFile(source.path, path))
      job.inputs.push({ name: source.name, file, size: source.size, type: source.mime, path, display: BROWSER_IMAGES.includes(source.mime) ? file : undefined })
      job.addFile({ name: file, path, mime: source.mime, downloadName: source.name, role: 'input' })
    }
  }

  /** A video's kept folder: a new one, or the one given (resumed, retried), held by this server. */
  private async keep(source: JobSource, settings: UiSettings, kept: KeptJob | undefined): Promise<KeptJob> {
    if (!kept) return this.options.kept.create(source, settings)
    await this.options.kept.hold(kept.dir)
    return kept
  }

  private checkCreate(sources: JobSource[]): void {
    if (this.closing) throw new HttpError(503, 'The server is shutting down')
    if (sources.length === 0) throw new HttpError(400, 'Add at least one image or a video first')
    const kinds = new Set(sources.map((source) => source.kind))
    if (kinds.size > 1) throw new HttpError(400, 'A job takes images or one video, not both: start them as separate jobs')
    if (sources[0].kind === 'video' && sources.length > 1) throw new HttpError(400, 'A job takes one video at a time: start one job per video')
    if (sources.length > this.options.maxFiles) throw new HttpError(413, `Too many files: at most ${this.options.maxFiles} per job`)
    const waiting = this.queued().length
    if (waiting >= this.options.maxQueuedJobs) throw new HttpError(429, `The queue is full (${this.options.maxQueuedJobs} jobs waiting); wait for some to finish`)
  }

  private queued(): Job[] {
    return [...this.jobs.values()].filter((job) => job.state === 'queued')
  }

  private viewOf(job: Job): JobView {
    const position = this.queued().indexOf(job)
    return job.view(position >= 0 ? position + 1 : undefined)
  }

  private changed(job: Job, urgent = true): void {
    const view = this.viewOf(job)
    for (const listener of this.listeners) listener({ type: 'job', job: view, urgent })
  }

  private schedule(): void {
    if (this.closing) return
    let running = [...this.jobs.values()].filter((job) => ACTIVE_STATES.includes(job.state)).length
    for (const job of this.queued()) {
      if (running >= this.options.maxConcurrentJobs) break
      running++
      job.state = 'running'
      job.startedAt = Date.now()
      if (job.kind === 'video') startVideoRun(job, this.hooks)
      else startImageRun(job, this.hooks, this.options.maxPixels)
      this.changed(job)
    }
    // The others moved up the queue.
    for (const job of this.queued()) this.changed(job)
  }

  private async end(job: Job, error?: ProcessError): Promise<void> {
    if (job.isFinished) return
    job.process = undefined
    const state = this.outcome(job, error)
    // A stopped or failed job leaves no output: what was written is removed with the folder.
    if (state === 'stopped' || error !== undefined) await this.dropOutputs(job)
    await this.settleKept(job, state)
    job.markFinished(state)
    this.changed(job)
    this.schedule()
  }

  /** How the run ended, with the error said for the page. */
  private outcome(job: Job, error: ProcessError | undefined): 'done' | 'failed' | 'stopped' {
    if (job.stopRequested || error?.code === 'E_ABORTED') return 'stopped'
    if (error !== undefined) {
      job.error = { ...plainError(error, job.names()), ...(error.detail ? { detail: error.detail } : {}) }
      if (error.code === 'E_JOB_MISMATCH') job.error.message = `"${job.title}" cannot continue from its finished segments: its kept source video changed, or they were made by another version of the app. Remove this job and upscale the video again.`
      return 'failed'
    }
    if (job.outputs.length > 0) return 'done'
    job.error = { message: job.failures.length === 1 ? job.failures[0].message : `None of the ${job.failures.length} images could be upscaled; see each one's reason below.` }
    return 'failed'
  }

  /**
   * A video's kept folder once it ended: gone when done or stopped by the user; kept when the server
   * is shutting down or it failed, if core kept its finished segments (resumable, or Retry continues).
   */
  private async settleKept(job: Job, state: 'done' | 'failed' | 'stopped'): Promise<void> {
    const kept = job.kept
    if (!kept) return
    if (state === 'done' || (state === 'stopped' && !this.closing)) {
      job.kept = undefined
      await this.options.kept.discard(kept)
    } else if (!(await this.options.kept.release(kept))) {
      job.kept = undefined
    }
  }

  private async dropOutputs(job: Job): Promise<void> {
    for (const [name, file] of job.files) if (file.role !== 'input') job.files.delete(name)
    job.outputs.length = 0
    job.results.length = 0
    job.video = undefined
    await rm(job.outDir, { recursive: true, force: true })
    await rm(job.framesDir, { recursive: true, force: true })
  }

  pause(id: string, paused: boolean): JobView {
    const job = this.require(id)
    if (job.isFinished || job.state === 'stopping') throw new HttpError(409, `This job has already ${job.state === 'stopping' ? 'been asked to stop' : job.state === 'done' ? 'finished' : job.state}`)
    job.pauseRequested = paused
    job.process?.pause(paused)
    this.changed(job)
    return this.viewOf(job)
  }

  /** Stops a queued or running job; its outputs are removed. Resolves once it has ended. */
  async stop(id: string): Promise<JobView> {
    const job = this.require(id)
    await this.halt(job)
    return this.viewOf(job)
  }

  private async halt(job: Job): Promise<void> {
    if (job.isFinished) return
    job.stopRequested = true
    if (job.state === 'queued') {
      await this.dropOutputs(job)
      await this.settleKept(job, 'stopped')
      job.markFinished('stopped')
      this.changed(job)
      this.schedule()
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
    job.removed = true
    await this.halt(job)
    this.jobs.delete(id)
    // A failed video's finished segments go with it.
    if (job.kept) await this.options.kept.discard(job.kept)
    job.kept = undefined
    await this.deleteFolder(job)
    for (const listener of this.listeners) listener({ type: 'removed', id })
    for (const waiting of this.queued()) this.changed(waiting)
  }

  /** Removes every finished job ("Clear finished"); returns their ids. */
  async removeFinished(): Promise<string[]> {
    const finished = [...this.jobs.values()].filter((job) => job.isFinished).map((job) => job.id)
    for (const id of finished) await this.remove(id)
    return finished
  }

  /** Extracts frame `index` of a finished video job's input and output, as PNGs to compare. */
  async compareFrame(id: string, index: number): Promise<ComparedFrame> {
    const job = this.require(id)
    if (job.kind !== 'video' || job.state !== 'done' || !job.video) throw new HttpError(409, 'Frames can be compared once a video job is done')
    const frames = job.video.frames
    if (!Number.isInteger(index) || index < 0 || index >= frames) throw new HttpError(400, `Choose a frame from 0 to ${frames - 1}`)
    try {
      return await job.side(() => extractFramePair(job, index))
    } catch (error) {
      if (job.removed) throw new HttpError(404, 'No such job (it was removed)')
      throw new HttpError(500, plainError(error, job.names()).message)
    }
  }

  /** Deletes a job's folder once nothing writes into it any more (a frame being compared would make it again). */
  private async deleteFolder(job: Job): Promise<void> {
    await job.sideWorkDone()
    await rm(job.dir, { recursive: true, force: true })
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
    this.listeners.clear()
    for (const job of this.jobs.values()) job.removed = true
    await Promise.all([...this.jobs.values()].map((job) => this.halt(job)))
    for (const job of this.jobs.values()) await this.deleteFolder(job)
    this.jobs.clear()
  }
}

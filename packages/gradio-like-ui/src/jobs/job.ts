import { extname, join } from 'node:path'
import type { ImageResult } from '@anime-upscaler/core'
import type { JobInputView, JobState, JobView, PlainError, UiSettings } from '../api-types'
import type { JobProcess } from '../job-process'
import type { KeptJob } from './kept-jobs'

export const ACTIVE_STATES: readonly JobState[] = ['running', 'paused', 'stopping']
export const FINISHED_STATES: readonly JobState[] = ['done', 'failed', 'stopped']

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

export type JobInput = JobInputView & { path: string }

/** "episode.mkv" → "episode": download names are made from the names the user knows. */
export function stem(name: string): string {
  const extension = extname(name)
  return (extension ? name.slice(0, -extension.length) : name) || 'upscaled'
}

/** One job: its inputs, state, progress and files. The manager changes it; `view()` is what the page sees. */
export class Job {
  readonly createdAt = Date.now()
  state: JobState = 'queued'
  startedAt?: number
  finishedAt?: number
  readonly files = new Map<string, JobFile>()
  readonly inputs: JobInput[] = []
  readonly outputs: string[] = []
  readonly results: ImageResult[] = []
  readonly failures: { input: string; message: string }[] = []
  readonly warnings: string[] = []
  info?: JobView['info']
  progress?: Record<string, unknown>
  video?: JobView['video']
  error?: PlainError
  pauseRequested = false
  /** core said it paused; a video shows "paused" once the frames in flight are encoded too. */
  corePaused = false
  private pausedSince: number | undefined
  private pausedMs = 0
  stopRequested = false
  process?: JobProcess
  /** A video's source and job folder, kept outside the work folder so that it can be resumed. */
  kept?: KeptJob
  /** Resolves once the job is done, failed or stopped. */
  readonly finished: Promise<void>
  private resolveFinished!: () => void
  /** Work that writes into the job's folder beside the run (compared frames, display copies), one at a time. */
  private sideWork: Promise<unknown> = Promise.resolve()
  /** Set when the job is being deleted: no side work starts any more. */
  removed = false

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

  get framesDir(): string {
    return join(this.dir, 'frames')
  }

  get title(): string {
    const first = this.inputs[0]?.name ?? 'job'
    return this.inputs.length > 1 ? `${first} + ${this.inputs.length - 1} more` : first
  }

  get isFinished(): boolean {
    return FINISHED_STATES.includes(this.state)
  }

  /** Server paths → the names the user knows, for messages. */
  names(): Map<string, string> {
    const names = new Map<string, string>()
    for (const input of this.inputs) names.set(input.path, input.name)
    if (this.kept) names.set(this.kept.input, this.inputs[0].name)
    for (const file of this.files.values()) if (file.role !== 'input') names.set(file.path, file.downloadName)
    names.set(this.dir, 'the job folder')
    return names
  }

  addFile(file: JobFile): void {
    this.files.set(file.name, file)
  }

  /** Paused for the page: the clock stops. */
  enterPause(): void {
    this.state = 'paused'
    this.pausedSince ??= Date.now()
  }

  /** Running again: the clock goes on. */
  leavePause(): void {
    if (this.state === 'paused') this.state = 'running'
    this.closePause()
  }

  private closePause(): void {
    if (this.pausedSince !== undefined) this.pausedMs += Date.now() - this.pausedSince
    this.pausedSince = undefined
  }

  /** Time spent running, paused time left out. */
  elapsedMs(now = Date.now()): number | undefined {
    if (this.startedAt === undefined) return undefined
    const pausedNow = this.pausedSince === undefined ? 0 : now - this.pausedSince
    return (this.finishedAt ?? now) - this.startedAt - this.pausedMs - pausedNow
  }

  /** Runs `task` after the side work before it; refused once the job is being removed. */
  side<T>(task: () => Promise<T>): Promise<T> {
    if (this.removed) return Promise.reject(new Error('This job was removed'))
    const run = this.sideWork.then(task)
    this.sideWork = run.catch(() => undefined)
    return run
  }

  /** Resolves once no side work is running: the folder can then be deleted without anything writing into it again. */
  async sideWorkDone(): Promise<void> {
    for (let current = this.sideWork; ; current = this.sideWork) {
      await current
      if (current === this.sideWork) return
    }
  }

  markFinished(state: 'done' | 'failed' | 'stopped'): void {
    this.closePause()
    this.state = state
    this.finishedAt = Date.now()
    this.resolveFinished()
  }

  view(queuePosition?: number): JobView {
    return {
      id: this.id,
      kind: this.kind,
      state: this.state,
      title: this.title,
      createdAt: this.createdAt,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      elapsedMs: this.elapsedMs(),
      settings: this.settings,
      inputs: this.inputs.map(({ path: _path, ...input }) => input),
      outputs: [...this.outputs],
      downloads: this.outputs.map((name) => ({ file: name, name: this.files.get(name)?.downloadName ?? name })),
      zip: this.outputs.length > 1 ? `${stem(this.inputs[0]?.name ?? 'images')}-upscaled.zip` : undefined,
      pauseRequested: this.pauseRequested,
      queuePosition,
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

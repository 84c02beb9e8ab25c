import { extname } from 'node:path'
import type { InterruptedList, InterruptedView, JobView, UiSettings } from '../api-types'
import { HttpError } from '../http'
import { SettingsError, parseSettings } from '../settings'
import type { JobManager } from './job-manager'
import type { InterruptedEntry, KeptJobs, ResumeRecord } from './kept-jobs'

/** The settings a job was started with, checked again (a model may have gone since). */
function settingsOf(record: ResumeRecord): UiSettings {
  try {
    return parseSettings(record.settings)
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error
    throw new HttpError(409, `"${record.name}" cannot be resumed: its settings cannot be used any more (${error.message}). Discard it, then upscale the video again.`)
  }
}

/**
 * The web app's video jobs that stopped before they finished (the server was stopped, killed or
 * crashed): listed from core's registry at start, resumed into the queue, or discarded.
 */
export class InterruptedJobs {
  private views: InterruptedView[] = []
  /** Jobs being resumed or discarded right now: a second click is refused. */
  private readonly claimed = new Set<string>()
  private readonly listeners = new Set<(list: InterruptedList) => void>()

  constructor(
    private readonly kept: KeptJobs,
    private readonly jobs: JobManager,
  ) {}

  /** The list as last read. */
  list(): InterruptedList {
    return { jobs: this.views, folder: this.kept.root }
  }

  onChange(listener: (list: InterruptedList) => void): void {
    this.listeners.add(listener)
  }

  /** Reads the list again (core's registry, the kept sources); tells the listeners when it changed. */
  async refresh(): Promise<InterruptedList> {
    const entries = await this.kept.interrupted(this.held())
    const views = await Promise.all(entries.map((entry) => this.viewOf(entry)))
    const changed = JSON.stringify(views) !== JSON.stringify(this.views)
    this.views = views
    if (changed) for (const listener of this.listeners) listener(this.list())
    return this.list()
  }

  /** Queues the job again with its recorded settings: it continues from its finished segments. */
  async resume(id: string): Promise<JobView> {
    const entry = await this.claim(id)
    try {
      const { record } = entry.kept
      if (!(await this.kept.sourceExists(entry.kept))) {
        throw new HttpError(410, `"${record.name}" cannot be resumed: its kept source video is gone. Discard it, then upscale the video again.`)
      }
      const source = { path: entry.kept.input, name: record.name, size: record.size, mime: record.mime, extension: extname(entry.kept.input) }
      return await this.jobs.createResumed(source, settingsOf(record), entry.kept)
    } finally {
      this.claimed.delete(id)
      await this.refresh()
    }
  }

  /** Deletes the job's kept source and finished segments. */
  async discard(id: string): Promise<void> {
    const entry = await this.claim(id)
    try {
      await this.kept.discard(entry.kept)
    } finally {
      this.claimed.delete(id)
      await this.refresh()
    }
  }

  private held(): Set<string> {
    return new Set([...this.jobs.heldKept(), ...this.claimed])
  }

  /** The interrupted job `id`, reserved for one action: 409 when the queue has it already, 404 when it is not listed. */
  private async claim(id: string): Promise<InterruptedEntry> {
    if (this.held().has(id)) throw new HttpError(409, 'This job is already in the queue: follow it, stop it or remove it there')
    this.claimed.add(id)
    try {
      const entry = (await this.kept.interrupted(new Set(this.jobs.heldKept()))).find((candidate) => candidate.kept.id === id)
      if (!entry) throw new HttpError(404, 'No such interrupted job: it was resumed or discarded meanwhile')
      return entry
    } catch (error) {
      this.claimed.delete(id)
      throw error
    }
  }

  private async viewOf(entry: InterruptedEntry): Promise<InterruptedView> {
    const { record } = entry.kept
    return {
      id: record.id,
      name: record.name,
      size: record.size,
      segments: entry.segments,
      segmentsDone: entry.segmentsDone,
      updatedAt: entry.updatedAt.getTime(),
      settings: record.settings,
      sourceMissing: !(await this.kept.sourceExists(entry.kept)),
    }
  }
}

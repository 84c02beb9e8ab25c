import type { Observable } from 'rxjs'
import type { UpscaleVideoOptions } from '../options'
import { openSegmentUpscaler, type SegmentUpscaler } from '../segments/job'
import type { SegmentResult } from '../segments/run-segment'
import type { SegmentTask } from './protocol'

/** This machine's share of the work: model sessions, threads, provider (not settings of a job). */
export type PoolChoice = Pick<UpscaleVideoOptions, 'workers' | 'threads' | 'provider'>

/** How long a job's model workers stay loaded after its last segment here (the next one usually follows). */
const IDLE_CLOSE_MS = 15_000

export interface SegmentHooks {
  paused: Observable<boolean>
  signal: AbortSignal
  onEncoded(): void
}

/** A job's loaded model, held while a segment of it runs. */
export interface Lease {
  run(index: number, file: string, hooks: SegmentHooks): Promise<SegmentResult>
  release(): void
}

interface Loaded {
  upscaler: Promise<SegmentUpscaler>
  users: number
  idle?: NodeJS.Timeout
}

/**
 * The model workers of the jobs this worker serves, one set per job, shared by its segments in
 * progress and closed once the job has been idle here for a while (or another job needs the memory).
 */
export class SegmentContexts {
  private readonly loaded = new Map<string, Loaded>()

  constructor(private readonly pool: PoolChoice) {}

  /**
   * Loads (or reuses) the job's model with this machine's pool and the task's options as this
   * machine has them (`localOptions`); refused with E_JOB_MISMATCH when they differ from the job's.
   */
  async acquire(task: SegmentTask, local: Record<string, unknown>): Promise<Lease> {
    await this.closeIdle(task.jobId)
    let entry = this.loaded.get(task.jobId)
    if (!entry) {
      // The output is the coordinator's to check and write (`overwrite` there); a worker only reads its plan.
      const options: UpscaleVideoOptions = { ...(local as UpscaleVideoOptions), overwrite: true, ...definedOnly(this.pool) }
      entry = { upscaler: openSegmentUpscaler(task.job, options), users: 0 }
      this.loaded.set(task.jobId, entry)
      entry.upscaler.catch(() => this.loaded.delete(task.jobId))
    }
    clearTimeout(entry.idle)
    entry.users++
    const held = entry
    const upscaler = await held.upscaler.catch((error: unknown) => {
      held.users--
      throw error
    })
    return {
      run: (index, file, hooks) => upscaler.upscaleSegment(index, file, hooks),
      release: () => {
        if (--held.users === 0) held.idle = setTimeout(() => void this.unload(task.jobId), IDLE_CLOSE_MS)
      },
    }
  }

  /** Other jobs' idle models go before a new one loads. */
  private async closeIdle(except: string): Promise<void> {
    await Promise.all([...this.loaded].filter(([jobId, entry]) => jobId !== except && entry.users === 0).map(([jobId]) => this.unload(jobId)))
  }

  private async unload(jobId: string): Promise<void> {
    const entry = this.loaded.get(jobId)
    if (!entry || entry.users > 0) return
    clearTimeout(entry.idle)
    this.loaded.delete(jobId)
    await (await entry.upscaler.catch(() => undefined))?.close()
  }

  async close(): Promise<void> {
    await Promise.all([...this.loaded.keys()].map((jobId) => this.unload(jobId)))
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

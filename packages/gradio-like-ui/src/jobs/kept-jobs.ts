// Video jobs kept on disk so that they can be resumed after a crash, a kill or a restart of the
// server: outside the work folder, which goes when the server stops.
import { copyFile, link, mkdir, readFile, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { cacheFolder, isRunning } from '@anime-upscaler/common'
import { discardJob, listInterruptedJobs, type InterruptedJob } from '@anime-upscaler/core'
import type { UiSettings } from '../api-types'
import { ID_PATTERN, randomId } from '../ids'

/** Marks the web app's jobs in core's list of interrupted jobs (which has every program's). */
export const RECORD_APP = 'anime-upscaler-ui'

/** What the web app records with a video job (core's `resume.request`): enough to run it again. */
export interface ResumeRecord {
  app: typeof RECORD_APP
  version: 1
  /** The kept folder's name. */
  id: string
  /** The video's name as uploaded, its size and type. */
  name: string
  size: number
  mime: string
  settings: UiSettings
  /** core refuses to continue a job with another segment length: the first run's is kept. */
  segmentSeconds: number
}

/**
 * A video job's kept folder, `<root>/<id>/`: its source (`input.<ext>`), core's job folder (`job/`:
 * job.json, journal, finished segments) and `owner.json`, the server that holds it.
 */
export interface KeptJob {
  id: string
  dir: string
  input: string
  folder: string
  record: ResumeRecord
}

/** A video to keep: a file on disk, with the facts the page shows. */
export interface KeptSource {
  path: string
  name: string
  size: number
  mime: string
  extension: string
}

/** An interrupted job of the web app: core's entry, with the web app's record. */
export type InterruptedEntry = InterruptedJob & { kept: KeptJob }

const OWNER = 'owner.json'
/** A folder younger than this and without its owner yet may be one a server is still making. */
const MAKING_MS = 60_000

/** Where kept jobs go: beside the work folders when the user chose where those go, else in the user's cache folder. */
export function keptRoot(workDir: string | undefined): string {
  return workDir ? join(workDir, 'anime-upscaler-ui-jobs') : join(cacheFolder(), 'ui-jobs')
}

function isRecord(value: unknown): value is ResumeRecord {
  const record = value as Partial<ResumeRecord> | undefined
  return (
    typeof record === 'object' &&
    record !== null &&
    record.app === RECORD_APP &&
    record.version === 1 &&
    typeof record.id === 'string' &&
    ID_PATTERN.test(record.id) &&
    typeof record.name === 'string' &&
    typeof record.size === 'number' &&
    typeof record.mime === 'string' &&
    typeof record.settings === 'object' &&
    typeof record.segmentSeconds === 'number'
  )
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined
}

interface Owner {
  pid: number
  host: string
}

function ownerOf(dir: string): Promise<Owner | undefined> {
  return readFile(join(dir, OWNER), 'utf8').then((text) => JSON.parse(text) as Owner, () => undefined)
}

/** True when a live server (or one on another machine, which cannot be checked) holds the folder. */
function heldByLive(owner: Owner | undefined): boolean {
  return owner !== undefined && (owner.host !== hostname() || isRunning(owner.pid))
}

/** The kept jobs of this server's root, and the web app's interrupted jobs wherever they are kept. */
export class KeptJobs {
  constructor(
    readonly root: string,
    private readonly segmentSeconds: number,
  ) {}

  /** Keeps a new video job's source: a hard link when on the same disk, else a copy. */
  async create(source: KeptSource, settings: UiSettings): Promise<KeptJob> {
    const id = randomId()
    const dir = join(this.root, id)
    await mkdir(dir, { recursive: true })
    try {
      await this.hold(dir)
      const input = join(dir, `input${source.extension}`)
      await link(source.path, input).catch(() => copyFile(source.path, input))
      const record: ResumeRecord = { app: RECORD_APP, version: 1, id, name: source.name, size: source.size, mime: source.mime, settings, segmentSeconds: this.segmentSeconds }
      return { id, dir, input, folder: join(dir, 'job'), record }
    } catch (error) {
      await this.remove(dir)
      throw error
    }
  }

  /** Marks the folder as this server's: another server then neither lists nor sweeps it. */
  hold(dir: string): Promise<void> {
    return writeFile(join(dir, OWNER), JSON.stringify({ pid: process.pid, host: hostname() }))
  }

  /** The job ended unfinished: it stays when core kept its folder (it can be resumed), else it goes. True when it stays. */
  async release(kept: KeptJob): Promise<boolean> {
    if (await exists(join(kept.folder, 'job.json'))) return true
    await this.remove(kept.dir)
    return false
  }

  /** Deletes a kept job: core's folder and its entry in core's list, then the source. */
  async discard(kept: Pick<KeptJob, 'dir' | 'folder'>): Promise<void> {
    await discardJob(kept.folder)
    await this.remove(kept.dir)
  }

  private async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true })
    // The root goes with its last job (a work folder the user chose is left as it was).
    await rmdir(dirname(dir)).catch(() => undefined)
  }

  /** The web app's interrupted jobs, newest first, but those a live server holds (`held`: this server's own). */
  async interrupted(held: ReadonlySet<string>): Promise<InterruptedEntry[]> {
    const entries: InterruptedEntry[] = []
    for (const job of await listInterruptedJobs()) {
      const record = job.request
      if (!isRecord(record) || basename(dirname(job.folder)) !== record.id || held.has(record.id)) continue
      const dir = dirname(job.folder)
      // This server's own jobs are in `held`; a folder it held and let go (closed) is listed.
      const owner = await ownerOf(dir)
      if (owner?.pid !== process.pid && heldByLive(owner)) continue
      entries.push({ ...job, kept: { id: record.id, dir, input: job.input, folder: job.folder, record } })
    }
    return entries
  }

  /**
   * Removes what a killed server left in this root that cannot be resumed: folders without core's
   * job (killed while queued, or before its first segment was planned) that no live server holds.
   */
  async sweep(): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[])
    for (const name of names.filter((candidate) => ID_PATTERN.test(candidate))) {
      const dir = join(this.root, name)
      if (await exists(join(dir, 'job', 'job.json'))) continue
      const owner = await ownerOf(dir)
      // A folder without its owner yet is being made, unless it is old.
      const making = owner === undefined && Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? 0) < MAKING_MS
      if (!making && !heldByLive(owner)) await this.remove(dir)
    }
  }

  /** Whether the kept source of a job is still there. */
  sourceExists(kept: KeptJob): Promise<boolean> {
    return exists(kept.input)
  }
}

import { appendFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { isRunning, message, optionName, optionSetting, writeAtomically, type MessagePart } from '@anime-upscaler/common'
import { CoreError } from '../../errors'
import { sha256File } from './checksums'
import { deregisterJob, registerJob } from './registry'
import type { SegmentedJob } from './job'
import { settingChanges } from './settings'

/** A job as its folder records it: the job, and the caller's own record of the request. */
export interface JobDescription extends SegmentedJob {
  /** The caller's own record of the request (JSON), for resuming it from elsewhere (the web app). */
  request?: unknown
}

/** A segment in the job folder, as the journal records it once its file is in place. */
export interface SegmentDone {
  index: number
  sha256: string
  bytes: number
  frames: number
  unique: number
  duplicates: number
  /** Of its frames' source pixels, the share that went through the model (0..1). */
  modelWork: number
  /** Who made it: `local`, or a distributed worker's id. */
  worker: string
}

type JournalEntry = { run: number; at: string } & ({ event: 'run' } | { event: 'start'; segment: number; worker: string } | ({ event: 'done' } & SegmentDone))

/** The hidden job folder beside an output: `.episode-2x.mkv.job`. */
export function defaultJobFolder(output: string): string {
  return join(dirname(resolve(output)), `.${basename(output)}.job`)
}

const LOCK = 'lock'
const JOURNAL = 'journal.jsonl'
const DESCRIPTION = 'job.json'

/** Reads the journal; a torn last line (power loss mid-append) is ignored. */
async function readJournal(folder: string): Promise<JournalEntry[]> {
  const text = await readFile(join(folder, JOURNAL), 'utf8').catch(() => '')
  return text.split('\n').flatMap((line) => {
    try {
      return line ? [JSON.parse(line) as JournalEntry] : []
    } catch {
      return []
    }
  })
}

function mismatch(folder: string, what: readonly MessagePart[]): CoreError {
  return new CoreError('E_JOB_MISMATCH', 'input', [...message`The job folder '${folder}' belongs to another job: `, ...what, ...message`. Use ${optionSetting('resume.restart', true)} to discard it and start over`], {
    option: 'resume.restart',
    value: false,
  })
}

/**
 * The folder of a segmented job: `job.json` (what the job is), `journal.jsonl` (each run, each
 * segment started and done with its checksum, appended: a crash loses at most a line being
 * written) and `segments/` (finished segment files, written under temporary names and renamed). A
 * `lock` file names the process running it. Only one process writes the journal (the coordinator).
 */
export class JobFolder {
  private constructor(
    readonly folder: string,
    readonly description: JobDescription,
    /** This run's number (1 for a new job). */
    readonly run: number,
    /** Segments an earlier run started and did not finish. */
    readonly interrupted: ReadonlySet<number>,
    private readonly journal: JournalEntry[],
  ) {}

  /**
   * Opens the job folder for `description`, continuing it when it describes the same source and
   * settings (else `E_JOB_MISMATCH`, unless `restart` discards it), creating it otherwise, and
   * takes its lock (`E_JOB_BUSY` when a live process holds it).
   */
  static async open(folder: string, description: JobDescription, options: { restart: boolean }): Promise<JobFolder> {
    if (options.restart) {
      await checkNotBusy(folder)
      await rm(folder, { recursive: true, force: true })
    }
    const existing = await readFile(join(folder, DESCRIPTION), 'utf8').then((text) => JSON.parse(text) as JobDescription, () => undefined)
    if (existing) checkSameJob(folder, existing, description)
    await mkdir(join(folder, 'segments'), { recursive: true })
    await takeLock(folder)
    const stored = existing ?? description
    if (!existing) await writeAtomically(join(folder, DESCRIPTION), true, (temporary) => writeFile(temporary, `${JSON.stringify(description, null, 2)}\n`))
    const journal = await readJournal(folder)
    const run = Math.max(0, ...journal.map((entry) => entry.run)) + 1
    const job = new JobFolder(folder, { ...stored, request: description.request ?? stored.request }, run, interruptedSegments(journal), journal)
    await job.append({ event: 'run' })
    await registerJob(folder, job.description)
    return job
  }

  segmentFile(index: number): string {
    return join(this.folder, 'segments', `${String(index).padStart(5, '0')}.seg`)
  }

  /** Segments the journal says are done and whose files are intact (size and SHA-256): those are not done again. */
  async verifiedDone(): Promise<Map<number, SegmentDone>> {
    const done = new Map<number, SegmentDone>()
    for (const entry of this.journal) if (entry.event === 'done') done.set(entry.index, entry)
    const intact = await Promise.all(
      [...done.values()].map(async (segment) => {
        const file = this.segmentFile(segment.index)
        const size = await stat(file).then((s) => s.size, () => -1)
        return size === segment.bytes && (await sha256File(file)) === segment.sha256
      }),
    )
    return new Map([...done].filter((_, i) => intact[i]))
  }

  started(index: number, worker: string): Promise<void> {
    return this.append({ event: 'start', segment: index, worker })
  }

  finished(segment: SegmentDone): Promise<void> {
    return this.append({ event: 'done', ...segment })
  }

  private async append(entry: { event: 'run' } | { event: 'start'; segment: number; worker: string } | ({ event: 'done' } & SegmentDone)): Promise<void> {
    const line = { run: this.run, at: new Date().toISOString(), ...entry } as JournalEntry
    this.journal.push(line)
    await appendFile(join(this.folder, JOURNAL), `${JSON.stringify(line)}\n`)
  }

  /** Leaves the job for a later run: the lock goes, the finished segments stay (a job with none is removed: nothing to continue). */
  async close(): Promise<void> {
    if (!this.journal.some((entry) => entry.event === 'done')) return this.remove()
    await rm(join(this.folder, LOCK), { force: true })
  }

  /** The job is complete (or discarded): the folder and its entry in the registry go. */
  async remove(): Promise<void> {
    await rm(this.folder, { recursive: true, force: true })
    await deregisterJob(this.folder)
  }
}

function checkSameJob(folder: string, before: JobDescription, now: JobDescription): void {
  if (before.source !== now.source) {
    throw mismatch(folder, message`it was made from another source than ${optionName('input')} '${now.input}' (the file changed, or the folder was made for ${before.input})`)
  }
  const changes = settingChanges(before.settings, now.settings)
  if (changes.length > 0) throw mismatch(folder, ['it was made with other settings (', ...changes, ')'])
}

/** Segments started in a run and never done since. */
function interruptedSegments(journal: JournalEntry[]): Set<number> {
  const open = new Set<number>()
  for (const entry of journal) {
    if (entry.event === 'start') open.add(entry.segment)
    if (entry.event === 'done') open.delete(entry.index)
  }
  return open
}

interface LockHolder {
  pid: number
  host: string
}

/** Refuses a folder whose lock names a live process (on this machine; another machine's lock is always live). */
async function checkNotBusy(folder: string): Promise<void> {
  const lock = join(folder, LOCK)
  const holder = await readFile(lock, 'utf8').then((text) => JSON.parse(text) as LockHolder, () => undefined)
  if (holder && (holder.host !== hostname() || isRunning(holder.pid))) {
    throw new CoreError('E_JOB_BUSY', 'input', `The job in '${folder}' is being run by process ${holder.pid} on ${holder.host}: wait for it, or stop it (if it is gone, delete '${lock}')`)
  }
}

/** Takes the lock, replacing one a dead process left (a kill or a crash). */
async function takeLock(folder: string): Promise<void> {
  const lock = join(folder, LOCK)
  const me: LockHolder = { pid: process.pid, host: hostname() }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, JSON.stringify(me), { flag: 'wx' })
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    await checkNotBusy(folder)
    await rm(lock, { force: true })
  }
  throw new CoreError('E_JOB_BUSY', 'input', `Cannot take the lock of the job in '${folder}'`)
}

/** Every job folder entry in `folder`'s segments that is a temporary file: leftovers of killed runs (only the lock holder may remove them). */
export async function removePartialSegments(job: JobFolder): Promise<void> {
  const segments = join(job.folder, 'segments')
  const names = await readdir(segments).catch(() => [] as string[])
  await Promise.all(names.filter((name) => name.includes('.partial')).map((name) => rm(join(segments, name), { force: true })))
}

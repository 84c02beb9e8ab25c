import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { cacheFolder, isRunning, writeAtomically } from '@anime-upscaler/common'
import type { JobDescription } from './job-folder'

/** Where job folders are listed, so an application can find interrupted jobs wherever their folders are. */
function registryFolder(): string {
  return join(cacheFolder(), 'jobs')
}

function entryFile(folder: string): string {
  return join(registryFolder(), `${createHash('sha256').update(folder).digest('hex').slice(0, 24)}.json`)
}

interface RegistryEntry {
  folder: string
  input: string
  output: string
  request?: unknown
}

/** Lists the job (an index only: a cache folder that cannot be written does not stop the job). */
export async function registerJob(folder: string, description: JobDescription): Promise<void> {
  const entry: RegistryEntry = { folder, input: description.input, output: description.output, ...(description.request !== undefined ? { request: description.request } : {}) }
  try {
    await mkdir(registryFolder(), { recursive: true })
    await writeAtomically(entryFile(folder), true, (temporary) => writeFile(temporary, JSON.stringify(entry)))
  } catch {
    // Not listed: the job itself is unaffected.
  }
}

export async function deregisterJob(folder: string): Promise<void> {
  await rm(entryFile(folder), { force: true }).catch(() => undefined)
}

/** A segmented job that did not finish: its folder holds the segments done so far. */
export interface InterruptedJob {
  folder: string
  input: string
  output: string
  /** What the caller recorded when it started the job (`upscaleVideo`'s `resume.request`). */
  request?: unknown
  segments: number
  segmentsDone: number
  /** When the job last did something. */
  updatedAt: Date
}

/** The job's state, or undefined when the folder is gone or a live process on this machine runs it. */
async function inspect(entry: RegistryEntry): Promise<InterruptedJob | undefined> {
  const description = await readFile(join(entry.folder, 'job.json'), 'utf8').then((text) => JSON.parse(text) as JobDescription, () => undefined)
  if (!description) return undefined
  const lock = await readFile(join(entry.folder, 'lock'), 'utf8').then((text) => JSON.parse(text) as { pid: number; host: string }, () => undefined)
  if (lock && (lock.host !== hostname() || isRunning(lock.pid))) return undefined
  const journal = await readFile(join(entry.folder, 'journal.jsonl'), 'utf8').catch(() => '')
  const done = new Set(journal.split('\n').flatMap((line) => (/"event":"done"/.test(line) ? [JSON.parse(line).index as number] : [])))
  const updatedAt = (await stat(join(entry.folder, 'journal.jsonl')).catch(() => stat(entry.folder))).mtime
  return { ...entry, segments: description.segments.length, segmentsDone: done.size, updatedAt }
}

/**
 * Segmented jobs that were interrupted (a crash, a kill, a stop) and can be continued by running
 * them again with `resume`: listed from the user's cache folder, newest first. Entries whose folder
 * is gone are dropped from the list.
 */
export async function listInterruptedJobs(): Promise<InterruptedJob[]> {
  const names = await readdir(registryFolder()).catch(() => [] as string[])
  const jobs: InterruptedJob[] = []
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const entry = await readFile(join(registryFolder(), name), 'utf8').then((text) => JSON.parse(text) as RegistryEntry, () => undefined)
    if (!entry) continue
    const job = await inspect(entry).catch(() => undefined)
    if (job) jobs.push(job)
    else if (!(await stat(join(entry.folder, 'job.json')).catch(() => undefined))) await deregisterJob(entry.folder)
  }
  return jobs.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())
}

/** Deletes an interrupted job's folder (its finished segments) and its entry. */
export async function discardJob(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true })
  await deregisterJob(folder)
}

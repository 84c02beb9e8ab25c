import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import { AnimeUpscalerError, message, optionName, optionSetting } from './errors'
import { isRunning } from './process'

/** An output path that cannot be written, or an output that exists (and may not be replaced). */
export class OutputError extends AnimeUpscalerError<'E_OUTPUT_EXISTS' | 'E_OUTPUT_NOT_WRITABLE'> {
  override name = 'OutputError'
}

/**
 * A hidden sibling of `destination` to write into before the final rename: same folder (so the
 * rename is atomic), same extension (encoders look at it), and the writing process's pid, so a
 * later run can tell a leftover of a killed run from a file another run is writing.
 */
export function temporarySibling(destination: string, extension = extname(destination)): string {
  return join(dirname(destination), `.${basename(destination)}.${process.pid}-${randomBytes(6).toString('hex')}.partial${extension}`)
}

/** Names written before temporary files carried a pid: stale once they are this old. */
const UNOWNED_STALE_MS = 60 * 60 * 1000

/**
 * Removes the temporary siblings that runs killed before they could clean up (SIGKILL, power loss)
 * left beside `destination`: those whose process is gone. Returns the removed paths.
 */
export async function removeStalePartials(destination: string): Promise<string[]> {
  const folder = dirname(destination)
  const prefix = `.${basename(destination)}.`
  let names: string[]
  try {
    names = await fsp.readdir(folder)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const match = /^(?:(\d+)-)?[0-9a-f]{12}\.partial(\.[^.]*)?$/.exec(name.slice(prefix.length))
    if (!match) continue
    const path = join(folder, name)
    if (match[1] !== undefined ? isRunning(Number(match[1])) : await isRecent(path)) continue
    await fsp.rm(path, { force: true })
    removed.push(path)
  }
  return removed
}

async function isRecent(path: string): Promise<boolean> {
  try {
    return Date.now() - (await fsp.stat(path)).mtimeMs < UNOWNED_STALE_MS
  } catch {
    return true
  }
}

/** The error for an output that exists without `overwrite`; `option` names the caller's overwrite option. */
export function outputExists(destination: string, option = 'overwrite', cause?: unknown): OutputError {
  return new OutputError('E_OUTPUT_EXISTS', `Output '${destination}' already exists`, { option, value: false, hint: message`use ${optionSetting(option, true)} to replace it`, cause })
}

/**
 * Moves a finished temporary file to its destination atomically. Without `overwrite`, a hard link
 * refuses a destination that appeared meanwhile; file systems without hard links fall back to a
 * check then a rename.
 */
export async function moveIntoPlace(temporary: string, destination: string, overwrite: boolean, overwriteOption = 'overwrite'): Promise<void> {
  if (overwrite) {
    await fsp.rename(temporary, destination)
    return
  }
  try {
    await fsp.link(temporary, destination)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw outputExists(destination, overwriteOption, error)
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error
    if (await exists(destination)) throw outputExists(destination, overwriteOption, error)
    await fsp.rename(temporary, destination)
    return
  }
  await fsp.unlink(temporary)
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path)
    return true
  } catch {
    return false
  }
}

/**
 * Writes a file so the destination never holds a partial result: `write` fills a temporary
 * sibling, which is then moved into place. Missing parent folders are created.
 */
export async function writeAtomically(destination: string, overwrite: boolean, write: (temporary: string) => Promise<void>): Promise<void> {
  await fsp.mkdir(dirname(destination), { recursive: true })
  const temporary = temporarySibling(destination)
  try {
    await write(temporary)
    await moveIntoPlace(temporary, destination, overwrite)
  } finally {
    await fsp.rm(temporary, { force: true })
  }
}

/**
 * Checks, before any work, that a file can be written at `destination` (named `option` in errors):
 * its folder, or the nearest one that exists, takes a new file (one is created and removed); and without `overwrite`
 * that nothing is there yet. Leaves nothing behind.
 */
export async function checkOutputPath(destination: string, options: { option: string; overwrite: boolean; overwriteOption?: string }): Promise<void> {
  const { option, overwrite, overwriteOption = 'overwrite' } = options
  const existing = await fsp.stat(destination).catch(() => undefined)
  if (existing?.isDirectory()) {
    throw new OutputError('E_OUTPUT_NOT_WRITABLE', message`${optionName(option)} '${destination}' is a folder`, { option, value: destination, hint: 'give a file name' })
  }
  if (existing && !overwrite) throw outputExists(destination, overwriteOption)
  let folder = dirname(destination)
  for (;;) {
    const found = await fsp.stat(folder).then(
      (stats) => ({ stats, code: undefined }),
      (error: NodeJS.ErrnoException) => ({ stats: undefined, code: error.code }),
    )
    if (found.stats) {
      if (!found.stats.isDirectory()) throw notWritable(option, destination, `'${folder}' is a file, not a folder`)
      break
    }
    if (found.code !== 'ENOENT') throw notWritable(option, destination, `cannot read '${folder}' (${found.code})`)
    const parent = dirname(folder)
    if (parent === folder) break
    folder = parent
  }
  // Permission bits do not tell (root, read-only mounts, ACLs, /proc): create a file and remove it.
  const probe = join(folder, basename(temporarySibling(destination)))
  try {
    await (await fsp.open(probe, 'wx')).close()
  } catch (error) {
    throw notWritable(option, destination, `the folder '${folder}' is not writable (${(error as NodeJS.ErrnoException).code ?? 'denied'})`)
  }
  await fsp.rm(probe, { force: true })
}

function notWritable(option: string, destination: string, why: string): OutputError {
  return new OutputError('E_OUTPUT_NOT_WRITABLE', message`Cannot write ${optionName(option)} '${destination}': ${why}`, { option, value: destination, hint: 'choose another place, or fix the permissions' })
}

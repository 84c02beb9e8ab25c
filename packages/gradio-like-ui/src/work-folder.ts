// The server's temporary work folder: made at start, removed at close, and removed at a later
// start when a killed server (kill -9, a crash, power loss) could not remove it itself.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { isRunning } from '@anime-upscaler/common'

const PREFIX = 'anime-upscaler-ui-'
/** Names the server that made the folder. */
const OWNER = 'server.json'

/** Removes the work folders in `parent` whose server (on this machine) is gone. */
async function removeStale(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[])
  for (const name of names.filter((candidate) => candidate.startsWith(PREFIX))) {
    const folder = join(parent, name)
    const owner = await readFile(join(folder, OWNER), 'utf8').then((text) => JSON.parse(text) as { pid: number; host: string }, () => undefined)
    // Without its owner file it is being made (or not ours); another user's is not ours to remove.
    if (owner && owner.host === hostname() && !isRunning(owner.pid)) await rm(folder, { recursive: true, force: true }).catch(() => undefined)
  }
}

/** Makes this server's work folder in `parent` (after removing those of dead servers), marked as this process's. */
export async function makeWorkFolder(parent: string): Promise<string> {
  await mkdir(parent, { recursive: true })
  await removeStale(parent)
  const folder = await mkdtemp(join(parent, PREFIX))
  await writeFile(join(folder, OWNER), JSON.stringify({ pid: process.pid, host: hostname() }))
  return folder
}

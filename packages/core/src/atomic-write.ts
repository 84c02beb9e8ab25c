import { randomBytes } from 'node:crypto'
import { link, mkdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'

/**
 * Writes a file so the destination never holds a partial result: `write` fills a temporary
 * sibling, which is then renamed over (or, without `overwrite`, hard-linked to) the destination.
 * Missing parent folders are created.
 */
export async function writeAtomically(destination: string, overwrite: boolean, write: (temporary: string) => Promise<void>): Promise<void> {
  const folder = dirname(destination)
  await mkdir(folder, { recursive: true })
  // Same folder (so rename is atomic), same extension (so encoders that look at it still work).
  const temporary = join(folder, `.${basename(destination)}.${randomBytes(6).toString('hex')}.partial${extname(destination)}`)
  try {
    await write(temporary)
    if (overwrite) await rename(temporary, destination)
    // link fails with EEXIST instead of replacing a file that appeared meanwhile.
    else await link(temporary, destination)
  } finally {
    await rm(temporary, { force: true })
  }
}

import { execFileSync } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { uniqueNames, zipStream } from '../src/zip'
import { useTempDir } from './helpers'

const temp = useTempDir()
const haveUnzip = existsSync('/usr/bin/unzip')
if (!haveUnzip) console.warn('zip tests skipped: unzip is missing (apt-get install -y unzip)')
const withUnzip = haveUnzip ? test : test.skip

/** Files of several sizes (one empty, one of several chunks), with a name outside ASCII. */
function files(): { name: string; path: string; bytes: Buffer }[] {
  const made = [
    ['one.png', Buffer.from('a small file')],
    ['empty.txt', Buffer.alloc(0)],
    ['grande-épisode.bin', Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251))],
  ] as const
  return made.map(([name, bytes]) => {
    const path = join(temp(), `source-${name}`)
    writeFileSync(path, bytes)
    utimesSync(path, new Date('2024-05-06T07:08:10'), new Date('2024-05-06T07:08:10'))
    return { name, path, bytes }
  })
}

async function write(archive: string, zip64: boolean) {
  const entries = files()
  await pipeline(Readable.from(zipStream(entries, { zip64 })), createWriteStream(archive))
  return entries
}

describe.each([false, true])('zipStream (ZIP64 records: %s)', (zip64) => {
  withUnzip('Info-ZIP tests it whole and extracts every file byte for byte, names and times kept', async () => {
    const archive = join(temp(), `archive-${zip64}.zip`)
    const entries = await write(archive, zip64)
    execFileSync('unzip', ['-tq', archive])
    const listing = execFileSync('unzip', ['-Z', '-T', archive], { encoding: 'utf8' })
    for (const { name } of entries) expect(listing).toMatch(new RegExp(`20240506\\.07081\\d ${name}`))
    const out = join(temp(), `out-${zip64}`)
    execFileSync('unzip', ['-q', archive, '-d', out])
    for (const { name, bytes } of entries) expect(readFileSync(join(out, name)).equals(bytes)).toBe(true)
  })
})

test('names are made unique within an archive', () => {
  expect(uniqueNames(['a.png', 'a.png', 'b', 'b', 'a.png'])).toEqual(['a.png', 'a (2).png', 'b', 'b (2)', 'a (3).png'])
})

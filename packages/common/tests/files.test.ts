import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkOutputPath, removeStalePartials, temporarySibling, writeAtomically } from '../src'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'common-files-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** A pid that was alive a moment ago and is not any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid!
}

describe('temporary siblings and their leftovers', () => {
  test('a temporary sibling is hidden, beside the destination, keeps the extension and names its process', () => {
    const name = temporarySibling(join(dir, 'out.mkv'))
    expect(name.startsWith(join(dir, `.out.mkv.${process.pid}-`))).toBe(true)
    expect(name.endsWith('.partial.mkv')).toBe(true)
  })

  test('removeStalePartials removes what dead runs left, keeps what live runs write and unrelated files', async () => {
    const destination = join(dir, 'out.mkv')
    const dead = join(dir, `.out.mkv.${await deadPid()}-0123456789ab.partial.mkv`)
    const live = temporarySibling(destination)
    const other = join(dir, '.other.mkv.1-0123456789ab.partial.mkv')
    for (const file of [dead, live, other]) writeFileSync(file, 'x')
    expect(await removeStalePartials(destination)).toEqual([dead])
    expect(readdirSync(dir).sort()).toEqual([live, other].map((f) => f.slice(dir.length + 1)).sort())
  })

  test('writeAtomically leaves no temporary file when the write fails, and refuses an existing output', async () => {
    const destination = join(dir, 'plan.json')
    await expect(writeAtomically(destination, false, async () => Promise.reject(new Error('disk on fire')))).rejects.toThrow('disk on fire')
    expect(readdirSync(dir)).toEqual([])
    await writeAtomically(destination, false, async (temporary) => writeFileSync(temporary, '1'))
    await expect(writeAtomically(destination, false, async (temporary) => writeFileSync(temporary, '2'))).rejects.toMatchObject({ code: 'E_OUTPUT_EXISTS', option: 'overwrite' })
    expect(readdirSync(dir)).toEqual(['plan.json'])
  })
})

describe('checkOutputPath', () => {
  test('an existing output without overwrite, a folder, and a path below a file are refused before any work', async () => {
    writeFileSync(join(dir, 'taken.mkv'), 'x')
    await expect(checkOutputPath(join(dir, 'taken.mkv'), { option: 'output', overwrite: false })).rejects.toMatchObject({ code: 'E_OUTPUT_EXISTS' })
    await expect(checkOutputPath(join(dir, 'taken.mkv'), { option: 'output', overwrite: true })).resolves.toBeUndefined()
    await expect(checkOutputPath(dir, { option: 'planFile', overwrite: true })).rejects.toMatchObject({ code: 'E_OUTPUT_NOT_WRITABLE', option: 'planFile' })
    await expect(checkOutputPath(join(dir, 'taken.mkv', 'plan.json'), { option: 'planFile', overwrite: false })).rejects.toThrow(/is a file, not a folder/)
  })

  const linux = process.platform === 'linux'
  ;(linux ? test : test.skip)('a folder that takes no new file is refused, whatever its permission bits say (root, /proc, read-only mounts)', async () => {
    const error = await checkOutputPath('/proc/plan.json', { option: 'planFile', overwrite: false }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_OUTPUT_NOT_WRITABLE', option: 'planFile' })
    expect((error as Error).message).toMatch(/^Cannot write planFile '\/proc\/plan.json': the folder '\/proc' is not writable/)
  })

  test('a missing folder below a writable one is fine and is not created', async () => {
    await expect(checkOutputPath(join(dir, 'a', 'b', 'out.mkv'), { option: 'output', overwrite: false })).resolves.toBeUndefined()
    expect(readdirSync(dir)).toEqual([])
  })
})

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { resolveImageJobs } from '../src/image-jobs'
import { useTempDir } from './helpers'

const tempDir = useTempDir()

function touch(...parts: string[]): string {
  const file = join(tempDir(), ...parts)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, 'x')
  return file
}

describe('resolveImageJobs', () => {
  test('one file to a file path: that file, format from its extension', async () => {
    const input = touch('one', 'a.png')
    const output = join(tempDir(), 'out', 'a-2x.webp')
    expect(await resolveImageJobs([input], output)).toEqual([{ input, output, format: 'webp' }])
  })

  test('a folder is searched recursively and its layout kept under the output folder', async () => {
    touch('tree', 'a.png')
    touch('tree', 'sub', 'b.JPG')
    touch('tree', 'sub', 'notes.txt')
    const jobs = await resolveImageJobs([join(tempDir(), 'tree')], join(tempDir(), 'out'))
    expect(jobs.map((j) => [j.output.slice(tempDir().length), j.format])).toEqual([
      ['/out/a.png', 'png'],
      ['/out/sub/b.jpg', 'jpg'],
    ])
  })

  test('a glob keeps the layout below its static part; --format overrides every output', async () => {
    touch('glob', 'x', 'c.png')
    touch('glob', 'y', 'd.webp')
    const jobs = await resolveImageJobs([`${tempDir()}/glob/**/*.{png,webp}`], join(tempDir(), 'g'), 'avif')
    expect(jobs.map((j) => j.output.slice(tempDir().length))).toEqual(['/g/x/c.avif', '/g/y/d.avif'])
  })

  test('inputs that give nothing to do are refused with what was looked for', async () => {
    mkdirSync(join(tempDir(), 'empty'))
    await expect(resolveImageJobs([join(tempDir(), 'empty')], 'out')).rejects.toMatchObject({ code: 'E_NO_IMAGES', message: expect.stringContaining('No images found in folder') })
    await expect(resolveImageJobs([join(tempDir(), 'missing.png')], 'out')).rejects.toMatchObject({ code: 'E_INPUT_NOT_FOUND', message: expect.stringContaining('Input not found') })
    await expect(resolveImageJobs([`${tempDir()}/nothing/*.png`], 'out')).rejects.toMatchObject({ code: 'E_NO_IMAGES' })
    await expect(resolveImageJobs([], 'out')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
  })

  test('an output extension that cannot be written, a bad format and colliding outputs are refused', async () => {
    const input = touch('bad', 'a.png')
    touch('bad', 'a.jpg')
    await expect(resolveImageJobs([input], join(tempDir(), 'a.bmp'))).rejects.toThrow('use an extension .png, .jpg, .webp or .avif')
    await expect(resolveImageJobs([input], 'out', 'gif' as never)).rejects.toThrow("Expected format 'png', 'jpg', 'webp', 'avif' but received 'gif'")
    await expect(resolveImageJobs([join(tempDir(), 'bad')], join(tempDir(), 'o'), 'png')).rejects.toThrow('would both be written to')
  })
})

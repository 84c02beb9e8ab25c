// resolveMediaJobs on real files: what each one is comes from its content, where it goes from the
// layout rules images already follow.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import sharp from 'sharp'
import { resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { resolveMediaJobs } from '../src'
import { useTempDir } from './helpers'

const tempDir = useTempDir()
const at = (...parts: string[]) => join(tempDir(), ...parts)

function video(name: string, ...codec: string[]): string {
  mkdirSync(join(at(name), '..'), { recursive: true })
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=32x24:rate=5:duration=0.4', ...codec, at(name)])
  return at(name)
}

async function image(name: string): Promise<string> {
  mkdirSync(join(at(name), '..'), { recursive: true })
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#8ac' } }).png().toFile(at(name))
  return at(name)
}

/** Jobs as [kind, input, output] relative to the temp folder. */
function short(jobs: Awaited<ReturnType<typeof resolveMediaJobs>>): string[][] {
  return jobs.map((job) => [job.kind, relative(tempDir(), job.input), relative(tempDir(), job.output)])
}

beforeAll(async () => {
  video('season/ep01.mkv', '-c:v', 'libx264')
  video('season/extras/op.avi', '-c:v', 'mpeg4')
  video('season/ep02.webm', '-c:v', 'libvpx-vp9', '-deadline', 'realtime')
  await image('season/cover.png')
  // A video named like an image, text named like a video, an image that is broken: the content decides, or the batch reports it.
  copyFileSync(at('season/ep01.mkv'), at('season/poster.png'))
  writeFileSync(at('season/notes.mkv'), 'text, not a video')
  writeFileSync(at('season/broken.jpg'), 'text, not an image')
  writeFileSync(at('season/readme.txt'), 'never looked at')
}, 60_000)

test('a folder: every image and video, by content, layout kept; videos keep a container the encoder writes, else Matroska', async () => {
  expect(short(await resolveMediaJobs([at('season')], at('out')))).toEqual([
    ['image', 'season/broken.jpg', 'out/broken.jpg'],
    ['image', 'season/cover.png', 'out/cover.png'],
    ['video', 'season/ep01.mkv', 'out/ep01.mkv'],
    ['video', 'season/ep02.webm', 'out/ep02.webm'],
    ['video', 'season/extras/op.avi', 'out/extras/op.mkv'],
    ['video', 'season/notes.mkv', 'out/notes.mkv'],
    ['video', 'season/poster.png', 'out/poster.mkv'],
  ])
})

test('globs and files mixed; --format applies to images only; a video named .dat among several inputs is a video', async () => {
  copyFileSync(at('season/ep01.mkv'), at('episode.dat'))
  const jobs = await resolveMediaJobs([`${tempDir()}/season/*.{mkv,png}`, at('episode.dat')], at('g'), { format: 'webp' })
  expect(short(jobs)).toEqual([
    ['image', 'season/cover.png', 'g/cover.webp'],
    ['video', 'season/ep01.mkv', 'g/ep01.mkv'],
    ['video', 'season/notes.mkv', 'g/notes.mkv'],
    ['video', 'season/poster.png', 'g/poster.mkv'],
    ['video', 'episode.dat', 'g/episode.mkv'],
  ])
  expect(jobs[0]).toMatchObject({ format: 'webp' })
})

test('one file: to the output file when it has an extension, else into the folder', async () => {
  expect(short(await resolveMediaJobs([at('season/ep01.mkv')], at('single.mp4')))).toEqual([['video', 'season/ep01.mkv', 'single.mp4']])
  expect(short(await resolveMediaJobs([at('season/ep01.mkv')], at('folder')))).toEqual([['video', 'season/ep01.mkv', 'folder/ep01.mkv']])
  expect(short(await resolveMediaJobs([at('season/cover.png')], at('one.jpg')))).toEqual([['image', 'season/cover.png', 'one.jpg']])
  // Alone, an unreadable file is refused before any work, as it always was.
  await expect(resolveMediaJobs([at('season/notes.mkv')], at('x.mkv'))).rejects.toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringContaining('is neither an image nor a video: it looks like text') })
})

test('refused before any work: two inputs for one output, nothing to do, bad arguments', async () => {
  video('clash/a/ep.mkv', '-c:v', 'libx264')
  video('clash/b/ep.ts', '-c:v', 'libx264')
  await expect(resolveMediaJobs([at('clash/a/ep.mkv'), at('clash/b/ep.ts')], at('o'))).rejects.toThrow(/a\/ep\.mkv and .*b\/ep\.ts would both be written to .*o\/ep\.mkv/)
  mkdirSync(at('empty'))
  await expect(resolveMediaJobs([at('empty')], at('o'))).rejects.toMatchObject({ code: 'E_NO_IMAGES', message: expect.stringContaining('No images or videos found in folder') })
  await expect(resolveMediaJobs([], at('o'))).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: 'No inputs given: name at least one image, video, folder or glob' })
  await expect(resolveMediaJobs([at('season')], '')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'output' })
  await expect(resolveMediaJobs([at('season')], at('o'), { format: 'gif' as never })).rejects.toThrow("Expected format 'png', 'jpg', 'webp', 'avif' but received 'gif'")
})

// Batches of videos (with images) as a user runs them: a real process, real ffmpeg, a real model,
// small generated clips so that each file takes a second or two.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { probe, resolveFfmpeg } from '@anime-upscaler/core'
import sharp from 'sharp'

const BIN = resolve(__dirname, '../dist/bin.js')
const FAST = ['--model', 'anime4k-s', '--preset', 'ultrafast']
let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-cli-batch-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function cli(...args: string[]) {
  const temp = mkdtempSync(join(dir, 'tmp-'))
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TMPDIR: temp } })
  const leftInTemp = readdirSync(temp)
  rmSync(temp, { recursive: true })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, leftInTemp }
}

/** A small clip made by ffmpeg's lavfi: a moving test card (1 s: 12 frames) with sound. */
function clip(name: string, ...extra: string[]): string {
  return lavfi(name, 'testsrc2=size=64x48:rate=12:duration=1', '-f', 'lavfi', '-i', 'sine=duration=1', '-shortest', ...extra)
}

function lavfi(name: string, source: string, ...extra: string[]): string {
  const file = join(dir, name)
  mkdirSync(join(file, '..'), { recursive: true })
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', source, ...extra, file])
  return file
}

/** A clip whose end is cut off: it probes, then fails to decode midway (after its output has started). */
function truncatedClip(name: string): void {
  const whole = lavfi(`whole-${name}`, 'testsrc2=size=64x48:rate=24:duration=4', '-c:v', 'libx264', '-movflags', '+faststart')
  const bytes = readFileSync(whole)
  writeFileSync(join(dir, name), bytes.subarray(0, Math.floor(bytes.length * 0.6)))
  rmSync(whole)
}

async function image(name: string): Promise<void> {
  mkdirSync(join(dir, name, '..'), { recursive: true })
  await sharp({ create: { width: 20, height: 16, channels: 3, background: '#c8a' } }).png().toFile(join(dir, name))
}

async function frames(file: string): Promise<[number, number, number]> {
  const info = await probe(join(dir, file))
  return [info.video.width, info.video.height, info.video.frameCount]
}

/** Files under `folder`, relative, sorted; partial and temporary files included. */
function tree(folder: string): string[] {
  return (readdirSync(join(dir, folder), { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(join(dir, folder).length + 1))
    .sort()
}

test('three videos, one of them corrupt: the two others are written, the corrupt one is named, exit 1; JSON events name the file', async () => {
  clip('three/ep01.mkv', '-c:v', 'libx264')
  truncatedClip('three/ep02.mp4')
  clip('three/ep03.mp4', '-c:v', 'libx264')
  const reuse = ['--reuse', 'frames', '--reuse-refs', '2']
  const { code, stdout, stderr, leftInTemp } = cli('upscale', 'three/ep01.mkv', 'three/ep02.mp4', 'three/ep03.mp4', '-o', 'three-2x', '--json', ...reuse, ...FAST)
  expect(stderr).toMatch(/error: \[2\/3\] three\/ep02\.mp4: .*Decoded \d+ of \d+ frames/)
  expect(stderr).toMatch(/Failed: three\/ep02\.mp4\n/)
  expect(code).toBe(1)
  expect(tree('three-2x')).toEqual(['ep01.mkv', 'ep03.mp4'])
  expect(await frames('three-2x/ep01.mkv')).toEqual([128, 96, 12])
  expect(await frames('three-2x/ep03.mp4')).toEqual([128, 96, 12])
  expect(leftInTemp).toEqual([])

  const events = stdout.trim().split('\n').map((line) => JSON.parse(line))
  expect(events[0]).toEqual({ type: 'start', files: 3, images: 0, videos: 3 })
  // Every event about one file names it, with its place in the batch.
  for (const event of events.filter((e) => ['video', 'written', 'failed', 'progress'].includes(e.type))) {
    expect(event).toMatchObject({ files: 3, file: expect.any(Number), input: expect.stringMatching(/^three\/ep0[123]\.(mkv|mp4)$/) })
  }
  expect(events.find((e) => e.type === 'video' && e.input === 'three/ep03.mp4' && e.event.type === 'start')).toMatchObject({ file: 3, output: 'three-2x/ep03.mp4', event: { model: 'anime4k-s', reuse: { mode: 'frames', references: 2 } } })
  const videoDone = events.filter((e) => e.type === 'video' && e.event.type === 'done').map((e) => e.event)
  expect(videoDone).toHaveLength(2)
  for (const done of videoDone) expect(done.modelWork).toBeCloseTo(done.unique / done.frames, 10)
  expect(events.filter((e) => e.type === 'failed')).toEqual([
    expect.objectContaining({ file: 2, input: 'three/ep02.mp4', code: 'E_DECODE', message: expect.stringContaining('use --allow-truncated') }),
  ])
  const progress = events.filter((e) => e.type === 'progress')
  expect(progress.map((e) => e.percent)).toEqual([...progress.map((e) => e.percent)].sort((a, b) => a - b))
  expect(progress.at(-1)).toMatchObject({ file: 3, done: 2, failed: 1, percent: 100, etaSeconds: 0 })
  const done = events.at(-1)
  expect(done.type).toBe('done')
  expect(done.results.map((r: { input: string; frames: number }) => [r.input, r.frames])).toEqual([
    ['three/ep01.mkv', 12],
    ['three/ep03.mp4', 12],
  ])
  expect(done.failures.map((f: { input: string }) => f.input)).toEqual(['three/ep02.mp4'])

  // The same command again: the outputs exist, so the whole batch is refused before any work.
  const again = cli('upscale', 'three/ep01.mkv', 'three/ep03.mp4', '-o', 'three-2x', ...FAST)
  expect(again.stderr).toContain('Output already exists: three-2x/ep01.mkv, three-2x/ep03.mp4: use --overwrite to replace')
  expect(again.code).toBe(2)
}, 240_000)

test('a folder mixing images and videos, with a glob: layout kept, containers kept or Matroska, images first; the display numbers the files', async () => {
  await image('season/cover.png')
  clip('season/ep01.mkv', '-c:v', 'libx264')
  clip('season/extras/op.avi', '-c:v', 'mpeg4')
  clip('specials/sp1.webm', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-c:a', 'libopus')
  writeFileSync(join(dir, 'season/notes.txt'), 'not media, and not looked at')
  const { code, stderr } = cli('upscale', 'season', 'specials/*.webm', '-o', 'season-2x', ...FAST)
  expect(stderr).toContain('Upscaling 4 files: 3 videos and 1 image')
  expect(stderr).toMatch(/\[1\/4\] season\/cover\.png → season-2x\/cover\.png \(40x32\)/)
  expect(stderr).toMatch(/\[4\/4\] decoded .* · batch 100\.0% ETA 0\.0 s/)
  expect(code).toBe(0)
  expect(tree('season-2x')).toEqual(['cover.png', 'ep01.mkv', 'extras/op.mkv', 'sp1.webm'])
  expect(await frames('season-2x/extras/op.mkv')).toEqual([128, 96, 12])
  const webm = await probe(join(dir, 'season-2x/sp1.webm'))
  expect([webm.video.codec, webm.streams.find((s) => s.type === 'audio')?.codec]).toEqual(['vp9', 'opus'])
}, 180_000)

test('inputs that would write one output are refused before any work (exit 2)', () => {
  clip('clash/a/ep.mkv', '-c:v', 'libx264')
  clip('clash/b/ep.ts', '-c:v', 'libx264')
  const { code, stderr } = cli('upscale', 'clash/a/ep.mkv', 'clash/b/ep.ts', '-o', 'clash-2x', ...FAST)
  expect(stderr).toContain('error: clash/a/ep.mkv and clash/b/ep.ts would both be written to clash-2x/ep.mkv; give them different names or separate runs')
  expect(code).toBe(2)
  expect(existsSync(join(dir, 'clash-2x'))).toBe(false)
})

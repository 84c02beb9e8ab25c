// The video path of the command, run as a user would: a real process, real ffmpeg, a real model.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { probe, resolveFfmpeg } from '@anime-upscaler/core'

const BIN = resolve(__dirname, '../dist/bin.js')
let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-cli-video-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

function lavfi(name: string, ...inputs: string[]): string {
  const file = join(dir, name)
  execFileSync(resolveFfmpeg(), ['-v', 'error', ...inputs.flatMap((i) => ['-f', 'lavfi', '-i', i]), '-shortest', file])
  return file
}

test('upscale a video: frames, size and audio in the output; JSON events end with done', async () => {
  lavfi('clip.mp4', 'testsrc2=size=80x48:rate=12:duration=2', 'sine=duration=2')
  const { code, stdout, stderr } = cli('upscale', 'clip.mp4', '-o', 'clip-2x.mkv', '--model', 'anime4k-s', '--preset', 'ultrafast', '--json')
  expect(stderr).toContain('Done:')
  expect(stderr).toMatch(/Reuse: tiles \(8 references, 48-px tiles with a \d+-px halo, threshold 192\)/)
  expect(stderr).toMatch(/model work \d+ %/)
  expect(code).toBe(0)
  const events = stdout.trim().split('\n').map((line) => JSON.parse(line))
  expect(events[0]).toMatchObject({ type: 'start', model: 'anime4k-s', outputWidth: 160, outputHeight: 96, reuse: { mode: 'tiles', references: 8 } })
  expect(events.at(-1)).toMatchObject({ type: 'done', frames: 24, modelWork: expect.any(Number) })
  // Model work: each progress event's share of source pixels through the model so far, 0..1.
  const progress = events.filter((event) => event.type === 'progress')
  expect(progress.length).toBeGreaterThan(0)
  for (const event of progress) expect(event.modelWork).toBeGreaterThanOrEqual(0)
  expect(progress.at(-1).modelWork).toBe(events.at(-1).modelWork)
  const info = await probe(join(dir, 'clip-2x.mkv'))
  expect([info.video.width, info.video.height, info.video.frameCount]).toEqual([160, 96, 24])
  expect(info.streams.some((s) => s.type === 'audio')).toBe(true)
})

test('probe prints what the decoder sees', () => {
  lavfi('probe-me.mkv', 'testsrc2=size=64x32:rate=25:duration=1')
  const { code, stdout } = cli('probe', 'probe-me.mkv')
  expect(code).toBe(0)
  expect(stdout).toContain('video #0: h264 64x32, yuv')
  expect(stdout).toMatch(/frames: ~?25; rate 25\/1/)
  const json = JSON.parse(cli('probe', 'probe-me.mkv', '--json').stdout)
  expect(json.video.frameCount).toBe(25)
})

test.each([
  ['a file that is not media', () => writeFileSync(join(dir, 'fake.mp4'), 'hello'), 'fake.mp4'],
  ['an audio-only file', () => lavfi('sound.mkv', 'sine=duration=1'), 'sound.mkv'],
])('%s: exit 2, a clear message, nothing written', (_name, make, input) => {
  make()
  const { code, stderr } = cli('upscale', input, '-o', 'never.mkv', '--model', 'anime4k-s')
  expect(stderr).toMatch(/error: .*(is neither an image nor a video|not a media|no video stream)/i)
  expect(code).toBe(2)
  expect(existsSync(join(dir, 'never.mkv'))).toBe(false)
  expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([])
})

test('a container that cannot hold the source streams is refused before any work (exit 2)', () => {
  lavfi('opus.mkv', 'testsrc2=size=32x32:rate=10:duration=1', 'sine=duration=1')
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-i', join(dir, 'opus.mkv'), '-c:v', 'copy', '-c:a', 'libopus', join(dir, 'with-opus.mkv')])
  const { code, stderr } = cli('upscale', 'with-opus.mkv', '-o', 'out.mp4', '--model', 'anime4k-s')
  expect(stderr).toContain("MP4 (.mp4) cannot hold the source's opus audio")
  expect(code).toBe(2)
  expect(existsSync(join(dir, 'out.mp4'))).toBe(false)
})

test('duplicate detection options: validated with the option named; a missing detector module is a usage error', () => {
  lavfi('dedup.mkv', 'testsrc2=size=32x32:rate=10:duration=1')
  const frac = cli('upscale', 'dedup.mkv', '-o', 'd.mkv', '--dedup-frac', '2')
  expect(frac.stderr).toContain("Expected number from 0 to 1 for --dedup-frac but received '2'")
  expect(frac.code).toBe(2)
  const missing = cli('upscale', 'dedup.mkv', '-o', 'd.mkv', '--model', 'anime4k-s', '--detector', './nowhere.mjs')
  expect(missing.stderr).toMatch(/error: Detector module '\.\/nowhere\.mjs' not found/)
  expect(missing.code).toBe(2)
  expect(existsSync(join(dir, 'd.mkv'))).toBe(false)
})

test('the summary reports how many frames were skipped as duplicates', () => {
  // Each drawing held for three frames: two of every three are exact repeats.
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=48x32:rate=8:duration=1', '-vf', 'fps=24', '-c:v', 'ffv1', join(dir, 'threes.mkv')])
  const { code, stderr } = cli('upscale', 'threes.mkv', '-o', 'threes-2x.mkv', '--model', 'anime4k-s', '--dedup', 'exact')
  expect(code).toBe(0)
  expect(stderr).toMatch(/Done: .*24 frames .*; \d+ upscaled, \d+ duplicates repeated \((6[7-9]|[7-9]\d)% skipped\)/)
})

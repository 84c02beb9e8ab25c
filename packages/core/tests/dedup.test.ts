// Duplicate-frame detection inside the pipeline: duplicates skip the model, the encoder repeats
// the kept frame's result, and nothing else changes.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { probe, resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { upscaleVideo, upscaleVideoToFile, type VideoEvent } from '../src'
import { FIXTURES, useTempDir } from './helpers'

const tempDir = useTempDir()
const ffmpeg = resolveFfmpeg()
const options = { model: 'anime4k-s', workers: 1, threads: 2 }
// Lossless output, so that frames can be compared exactly.
const lossless = { codec: 'ffv1' as const }

/** Every frame of a video as RGB24 buffers. */
function decodeFrames(file: string, width: number, height: number): Buffer[] {
  const raw = execFileSync(ffmpeg, ['-v', 'error', '-i', file, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 30 })
  const size = width * height * 3
  return Array.from({ length: raw.length / size }, (_, i) => raw.subarray(i * size, (i + 1) * size))
}

/** Full-range luma PSNR of two RGB24 frames. */
function lumaPsnr(a: Buffer, b: Buffer): number {
  let sum = 0
  for (let i = 0; i < a.length; i += 3) {
    const d = 0.299 * (a[i] - b[i]) + 0.587 * (a[i + 1] - b[i + 1]) + 0.114 * (a[i + 2] - b[i + 2])
    sum += d * d
  }
  const mse = sum / (a.length / 3)
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse)
}

test('a clip drawn on twos: every second frame is skipped and repeated exactly', async () => {
  // Exact repeats and the exact detector: this is about what the pipeline does with duplicates.
  const input = join(tempDir(), 'twos.mkv')
  execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=12:duration=2', '-vf', 'fps=24', '-c:v', 'ffv1', input])
  const output = join(tempDir(), 'twos-2x.mkv')
  const plan = join(tempDir(), 'twos-plan.json')
  const events = await lastValueFrom(upscaleVideo(input, output, { ...options, encoder: lossless, planFile: plan, dedup: { detector: 'exact' } }).pipe(toArray()))
  const done = events.at(-1) as Extract<VideoEvent, { type: 'done' }>
  // At least every second frame repeats (testsrc2 also holds some of its own 12 fps frames).
  expect(done).toMatchObject({ type: 'done', frames: 48 })
  expect(done.duplicates).toBeGreaterThanOrEqual(24)
  expect(done.unique + done.duplicates).toBe(48)
  const last = events.filter((e) => e.type === 'progress').at(-1)
  expect(last).toMatchObject({ decoded: 48, upscaled: done.unique, encoded: 48, skippedShare: done.duplicates / 48 })
  const written = JSON.parse(readFileSync(plan, 'utf8'))
  expect(written).toMatchObject({ unique: done.unique, duplicates: done.duplicates })
  const frames = decodeFrames(output, 128, 96)
  expect(frames).toHaveLength(48)
  for (const frame of written.frames) {
    if (frame.index % 2 === 1) expect(frame).toMatchObject({ decision: 'duplicate' })
    if (frame.decision === 'duplicate') expect(frames[frame.index].equals(frames[frame.duplicateOf])).toBe(true)
  }
})

test('a custom detector module runs through the whole pipeline', async () => {
  const input = join(tempDir(), 'custom.mkv')
  execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=32x32:rate=10:duration=1', '-c:v', 'ffv1', input])
  // Calls every odd frame a duplicate of the frame kept before it, whatever the pixels say.
  const detector = join(tempDir(), 'odd-frames.mjs')
  writeFileSync(detector, 'export default { name: "odd frames", compare: (kept, current) => current.index % 2 === 1 }\n')
  const done = await upscaleVideoToFile(input, join(tempDir(), 'custom-2x.mkv'), { ...options, dedup: { detector } })
  expect(done).toMatchObject({ frames: 10, unique: 5, duplicates: 5 })
})

test('a custom detector that throws stops the pipeline with an error naming it, and nothing is left', async () => {
  const input = join(tempDir(), 'throws.mkv')
  execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=32x32:rate=10:duration=1', '-c:v', 'ffv1', input])
  const detector = join(tempDir(), 'broken.mjs')
  writeFileSync(detector, 'export default { name: "broken detector", compare: () => { throw new Error("no idea") } }\n')
  const output = join(tempDir(), 'throws-2x.mkv')
  await expect(upscaleVideoToFile(input, output, { ...options, dedup: { detector } })).rejects.toMatchObject({ stage: 'detect', message: expect.stringContaining('broken detector') })
  expect(existsSync(output)).toBe(false)
  await expect(upscaleVideoToFile(input, output, { ...options, dedup: { detector: join(tempDir(), 'missing.mjs') } })).rejects.toMatchObject({ stage: 'detect' })
  await expect(upscaleVideoToFile(input, output, { ...options, dedup: { frac: 2 } })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('frac') })
})

const clip = join(FIXTURES, 'video/short_360p.mp4')
const haveFixture = existsSync(clip)
;(haveFixture ? test : test.skip)(
  `short_360p.mp4: dedup changes only frames marked duplicate, each by little (≥ 40 dB)${haveFixture ? '' : ` — SKIPPED: fixture not found at ${clip}`}`,
  async () => {
    const plan = join(tempDir(), 'short-plan.json')
    const withDedup = join(tempDir(), 'short-dedup.mkv')
    const without = join(tempDir(), 'short-all.mkv')
    // Whole-frame skipping alone: tile reuse is off in both runs (tests/reuse.test.ts covers it).
    await upscaleVideoToFile(clip, withDedup, { ...options, encoder: lossless, planFile: plan, reuse: 'off' })
    await upscaleVideoToFile(clip, without, { ...options, encoder: lossless, dedup: { detector: 'off' }, reuse: 'off' })
    const decisions: Array<{ decision: string }> = JSON.parse(readFileSync(plan, 'utf8')).frames
    const [a, b] = [decodeFrames(withDedup, 1280, 720), decodeFrames(without, 1280, 720)]
    expect([a.length, b.length]).toEqual([72, 72])
    const duplicatePsnr: number[] = []
    decisions.forEach(({ decision }, i) => {
      if (decision === 'upscale') expect(a[i].equals(b[i])).toBe(true)
      else duplicatePsnr.push(lumaPsnr(a[i], b[i]))
    })
    console.log(`short_360p.mp4: ${duplicatePsnr.length} of 72 frames skipped; PSNR of each vs the non-deduplicated output: min ${Math.min(...duplicatePsnr).toFixed(2)} dB, mean ${(duplicatePsnr.reduce((s, v) => s + v, 0) / duplicatePsnr.length).toFixed(2)} dB`)
    expect(duplicatePsnr.length).toBeGreaterThan(30)
    expect(Math.min(...duplicatePsnr)).toBeGreaterThanOrEqual(40)
    expect((await probe(withDedup)).video.frameCount).toBe(72)
  },
  180_000,
)

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Observable, from, lastValueFrom, toArray } from 'rxjs'
import type { DetectFrame, Detection } from '../src'

/** ffmpeg for the tests: FFMPEG_PATH, else the bundled 2018 build (which has mpdecimate). */
export const FFMPEG: string = process.env.FFMPEG_PATH || require('@ffmpeg-installer/ffmpeg').path

/** The shared real-world fixtures (../shared/fixtures from the repository root). */
export const FIXTURES = resolve(__dirname, '../../../../shared/fixtures')
export const HAVE_FIXTURES = existsSync(join(FIXTURES, 'video'))
if (!HAVE_FIXTURES) console.warn(`Shared fixtures not found at ${FIXTURES}: the tests on real-world videos are skipped.`)
/** `describe` for tests on the shared fixtures: skipped, with the reason in its title, when they are missing. */
export const describeFixtures = HAVE_FIXTURES
  ? describe
  : (name: string, fn: () => void) => describe.skip(`${name} [SKIPPED: fixtures not found at ${FIXTURES}]`, fn)

/** A temporary folder, removed by `cleanup()`. */
export function tempDir(prefix = 'stage-detect-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Runs ffmpeg (quiet, overwrite) and returns stdout. */
export function ffmpeg(...args: string[]): Buffer {
  return execFileSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { maxBuffer: 1 << 30 })
}

/** Runs ffmpeg with `input` on its stdin (pipe:0) and returns stdout. */
export function ffmpegWithInput(input: Uint8Array, ...args: string[]): Buffer {
  return execFileSync(FFMPEG, ['-hide_banner', '-v', 'error', '-y', ...args], { input, maxBuffer: 1 << 30 })
}

export interface TestFrame extends DetectFrame {
  pts: number
  image: { data: Uint8Array; width: number; height: number; channels: 3 }
}

/**
 * Decodes a video to 8-bit RGB frames the way stage-extract does for untagged SD video
 * (BT.601, limited range, accurate rounding, full chroma interpolation).
 */
export function decode(file: string, width: number, height: number): TestFrame[] {
  const raw = ffmpeg(
    '-i', file, '-map', '0:v:0', '-an',
    '-vf', 'scale=in_color_matrix=bt601:in_range=tv:flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24',
    '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  )
  const size = width * height * 3
  if (raw.length % size !== 0) throw new Error(`${file}: ${raw.length} bytes is not a whole number of ${width}x${height} frames`)
  return Array.from({ length: raw.length / size }, (_, index) => ({
    index,
    pts: index / 24,
    image: { data: raw.subarray(index * size, (index + 1) * size), width, height, channels: 3 as const },
  }))
}

/** ffmpeg's own mpdecimate verdicts (true = dropped) for every frame, read from its debug log. */
export function mpdecimate(file: string, thresholds: { hi: number; lo: number; frac: number; max?: number }): boolean[] {
  const filter = `mpdecimate=hi=${thresholds.hi}:lo=${thresholds.lo}:frac=${thresholds.frac}:max=${thresholds.max ?? 0}`
  const run = spawnSync(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'debug', '-i', file, '-map', '0:v:0', '-an', '-vf', filter, '-f', 'null', '-'], { maxBuffer: 1 << 30 })
  if (run.status !== 0) throw new Error(`ffmpeg mpdecimate failed on ${file}: ${run.stderr.toString().slice(-500)}`)
  return [...run.stderr.toString().matchAll(/\b(keep|drop) pts:\S+ pts_time:\S+ drop_count:-?\d+/g)].map((m) => m[1] === 'drop')
}

export function collect<T>(source: Observable<T>): Promise<T[]> {
  return lastValueFrom(source.pipe(toArray()))
}

export function run<F extends DetectFrame>(frames: F[], operator: (source: Observable<F>) => Observable<F & Detection>): Promise<Array<F & Detection>> {
  return collect(from(frames).pipe(operator))
}

/** Indices of the frames marked duplicate. */
export function duplicates(frames: Array<DetectFrame & Detection>): number[] {
  return frames.filter((f) => f.duplicateOf !== undefined).map((f) => f.index)
}

/** A solid or patterned test image. */
export function image(width: number, height: number, fill: (x: number, y: number, c: number) => number): TestFrame['image'] {
  const data = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = fill(x, y, c)
  return { data, width, height, channels: 3 }
}

/** Frames 0..n-1 whose image is `images[i]`. */
export function framesOf(images: TestFrame['image'][]): TestFrame[] {
  return images.map((img, index) => ({ index, pts: index / 24, image: img }))
}

export async function expectDetectError(promise: Promise<unknown>, code: string): Promise<Error & { code: string; detector?: string }> {
  try {
    await promise
  } catch (error) {
    expect(error).toMatchObject({ name: 'DetectError', code })
    return error as Error & { code: string; detector?: string }
  }
  throw new Error(`Expected a DetectError ${code}, but it succeeded`)
}

import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Observable, lastValueFrom, toArray } from 'rxjs'
import { resolveFfmpeg, resolveFfprobe, type DecodedFrame } from '../src'

export const FFMPEG = resolveFfmpeg()
export const FFPROBE = resolveFfprobe()

/** The shared real-world fixtures (../shared/fixtures from the repository root). */
export const FIXTURES = resolve(__dirname, '../../../../shared/fixtures')
export const HAVE_FIXTURES = existsSync(join(FIXTURES, 'video'))
if (!HAVE_FIXTURES) console.warn(`Shared fixtures not found at ${FIXTURES}: the tests on real-world videos are skipped.`)
/** `describe` for tests on the shared fixtures: skipped, with the reason in its title, when they are missing. */
export const describeFixtures = HAVE_FIXTURES
  ? describe
  : (name: string, fn: () => void) => describe.skip(`${name} [SKIPPED: fixtures not found at ${FIXTURES}]`, fn)

/** Presentation times of the VFR test video, in 1/120 s: 10 frames at 24 fps, 10 at 12 fps, 10 at 30 fps. */
export const VFR_TICKS = Array.from({ length: 30 }, (_, n) => (n < 10 ? n * 5 : n < 20 ? 50 + (n - 10) * 10 : 150 + (n - 20) * 4))
/** setpts filter that gives testsrc2 at 120 fps the VFR_TICKS timestamps. */
export const VFR_FILTER = `setpts='(if(lt(N,10),N*5,if(lt(N,20),50+(N-10)*10,150+(N-20)*4)))/120/TB'`

/** A temporary folder, removed by `cleanup()`. */
export function tempDir(prefix = 'stage-extract-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Runs the bundled ffmpeg (quiet, overwrite) and returns stdout. */
export function ffmpeg(...args: string[]): Buffer {
  return execFileSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { maxBuffer: 256 * 1024 * 1024 })
}

export function ffprobeJson(path: string, ...args: string[]): any {
  return JSON.parse(execFileSync(FFPROBE, ['-v', 'error', '-print_format', 'json', ...args, path]).toString())
}

/** A small test video from ffmpeg's testsrc2 (H.264 ultrafast unless told otherwise). */
export function makeVideo(path: string, opts: { size?: string; rate?: string; frames: number; codec?: string[]; filters?: string; extra?: string[] }): string {
  const source = `testsrc2=s=${opts.size ?? '160x120'}:r=${opts.rate ?? '24'}`
  ffmpeg(
    '-f', 'lavfi', '-i', source,
    ...(opts.filters ? ['-vf', opts.filters] : []),
    '-frames:v', String(opts.frames),
    ...(opts.codec ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']),
    ...(opts.extra ?? []),
    path,
  )
  return path
}

export function collect(source: Observable<DecodedFrame>): Promise<DecodedFrame[]> {
  return lastValueFrom(source.pipe(toArray()))
}

export async function expectError(source: Observable<unknown> | Promise<unknown>, code: string): Promise<Error & { code: string; stderr: string[] }> {
  const promise = source instanceof Observable ? lastValueFrom(source) : source
  try {
    await promise
  } catch (error) {
    expect(error).toMatchObject({ name: 'ExtractError', code })
    return error as Error & { code: string; stderr: string[] }
  }
  throw new Error(`Expected an ExtractError ${code}, but it succeeded`)
}

/** True while a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

/** Waits until `pid` is gone; returns how long it took, or throws after `timeoutMs`. */
export async function waitGone(pid: number, timeoutMs = 4000): Promise<number> {
  const start = Date.now()
  while (isAlive(pid)) {
    if (Date.now() - start > timeoutMs) throw new Error(`process ${pid} still alive after ${timeoutMs} ms`)
    await sleep(20)
  }
  return Date.now() - start
}

/** Child processes of this process (Linux /proc), with their command names. */
export function childProcesses(): Array<{ pid: number; name: string }> {
  if (!existsSync('/proc/self/stat')) return []
  const found: Array<{ pid: number; name: string }> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const name = stat.slice(stat.indexOf('(') + 1, close)
      const [state, ppid] = stat.slice(close + 2).split(' ')
      if (Number(ppid) === process.pid && state !== 'Z') found.push({ pid: Number(entry), name })
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/** Bytes a process has written so far (/proc/<pid>/io), undefined where unreadable. */
export function bytesWritten(pid: number): number | undefined {
  try {
    const match = /wchar:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))
    return match ? Number(match[1]) : undefined
  } catch {
    return undefined
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Writes an executable Node script standing in for ffmpeg. */
export function fakeFfmpeg(dir: string, body: string): string {
  const path = join(dir, 'fake-ffmpeg.cjs')
  writeFileSync(path, `#!${process.execPath}\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

/** Interleaved RGB made of 16x16 flat blocks of the given colours, row by row. */
export function blockImage(colors: Array<[number, number, number]>, columns: number, block = 16): { data: Buffer; width: number; height: number } {
  const rows = Math.ceil(colors.length / columns)
  const width = columns * block
  const height = rows * block
  const data = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const color = colors[Math.floor(y / block) * columns + Math.floor(x / block)] ?? [0, 0, 0]
      data.set(color, (y * width + x) * 3)
    }
  }
  return { data, width, height }
}

/**
 * Largest per-channel difference between two RGB images over the inner 8x8 of each 16x16 block
 * (the encoder's chroma downsampling blurs the 4 pixels next to each block edge).
 */
export function maxBlockError(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, scaleB = 1, block = 16): number {
  const margin = 4
  let worst = 0
  for (let y = 0; y < height; y++) {
    if (y % block < margin || y % block >= block - margin) continue
    for (let x = 0; x < width; x++) {
      if (x % block < margin || x % block >= block - margin) continue
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c
        worst = Math.max(worst, Math.abs(a[i] - b[i] / scaleB))
      }
    }
  }
  return worst
}

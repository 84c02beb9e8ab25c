import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { lastValueFrom, toArray, type Observable } from 'rxjs'
import { resolveFfmpegPath } from '../src/ffmpeg'
import type { FrameToSave, SaveEvent } from '../src/types'

export const FFMPEG = resolveFfmpegPath()

function findFfprobe(): string {
  if (process.env.FFPROBE_PATH) return process.env.FFPROBE_PATH
  const candidates = [path.resolve(__dirname, '../../stage-extract/node_modules/@ffprobe-installer/ffprobe'), '@ffprobe-installer/ffprobe']
  for (const candidate of candidates) {
    try {
      return (require(candidate) as { path: string }).path
    } catch {
      // try the next one
    }
  }
  return 'ffprobe'
}
export const FFPROBE = findFfprobe()

export const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures')
export const HAVE_FIXTURES = existsSync(FIXTURES)
if (!HAVE_FIXTURES) {
  // eslint-disable-next-line no-console
  console.warn(`stage-save: fixture tests skipped: ${FIXTURES} is missing`)
}

/** A temp folder removed by the returned function. */
export function tempDir(prefix = 'stage-save-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export function run(bin: string, args: string[], maxBuffer = 512 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { encoding: 'buffer', maxBuffer }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${stderr.toString().slice(-2000)}`))
      else resolve(stdout)
    })
  })
}

export function ffmpeg(args: string[]): Promise<Buffer> {
  return run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args])
}

/** Raw RGB frames from an ffmpeg input (e.g. lavfi), split into Uint8Array or Uint16Array frames. */
export async function rawFrames(
  input: string[],
  width: number,
  height: number,
  frames: number,
  depth: 8 | 16 = 8,
  filter?: string,
): Promise<Array<Uint8Array | Uint16Array>> {
  const out = await ffmpeg([
    ...input,
    ...(filter ? ['-vf', filter] : []),
    '-frames:v', String(frames), '-vsync', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', depth === 8 ? 'rgb24' : 'rgb48le', 'pipe:1',
  ])
  const bytes = width * height * 3 * (depth / 8)
  const result: Array<Uint8Array | Uint16Array> = []
  for (let offset = 0; offset + bytes <= out.length; offset += bytes) {
    const copy = new Uint8Array(out.subarray(offset, offset + bytes))
    result.push(depth === 8 ? copy : new Uint16Array(copy.buffer))
  }
  return result
}

export function lavfi(spec: string): string[] {
  return ['-f', 'lavfi', '-i', spec]
}

export function framesOf(
  images: Array<Uint8Array | Uint16Array>,
  width: number,
  height: number,
  pts?: (i: number) => number | undefined,
): FrameToSave[] {
  return images.map((data, index) => {
    const p = pts?.(index)
    return { index, ...(p !== undefined ? { pts: p } : {}), image: { data, width, height, channels: 3 as const } }
  })
}

export function collect(events: Observable<SaveEvent>): Promise<SaveEvent[]> {
  return lastValueFrom(events.pipe(toArray()))
}

export async function probe(file: string, entries: string, extra: string[] = []): Promise<any> {
  const out = await run(FFPROBE, ['-v', 'error', ...extra, '-show_entries', entries, '-of', 'json', file])
  return JSON.parse(out.toString())
}

/** Each video frame's presentation time in seconds, as ffprobe decodes them. */
export async function framePts(file: string): Promise<number[]> {
  const json = await probe(file, 'frame=pts_time,best_effort_timestamp_time', ['-select_streams', 'v:0'])
  return json.frames.map((f: any) => Number(f.pts_time ?? f.best_effort_timestamp_time))
}

/** Decodes a file's video back to RGB with an explicit matrix (the 2018 ffmpeg does not follow the tags). */
export function decodeRgb(file: string, matrix: string, range = 'tv', depth: 8 | 16 = 8): Promise<Buffer> {
  return ffmpeg([
    '-i', file, '-map', '0:v:0', '-vsync', 'passthrough',
    '-vf', `scale=in_color_matrix=${matrix}:in_range=${range}:flags=bicubic+accurate_rnd+full_chroma_int,format=${depth === 8 ? 'rgb24' : 'rgb48le'}`,
    '-f', 'rawvideo', 'pipe:1',
  ])
}

export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`)
  let max = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    if (d > max) max = d
  }
  return max
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function waitFor(check: () => boolean, timeoutMs = 8000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return check()
}

export function partials(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('.partial'))
}

export function commandExists(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export function writeSrt(file: string): void {
  require('node:fs').writeFileSync(
    file,
    '1\n00:00:00,200 --> 00:00:01,000\nHello\n\n2\n00:00:01,200 --> 00:00:01,800\nWorld\n',
  )
}

/**
 * Feeds frames the way core does: at most `window` frames beyond the last `written` credit.
 * The frames may come in any order the iterable chooses.
 */
export function withCredits(
  frames: AsyncIterable<FrameToSave> | Iterable<FrameToSave>,
  operator: (source: Observable<FrameToSave>) => Observable<SaveEvent>,
  window = 8,
): Observable<SaveEvent> {
  const { Observable: Obs } = require('rxjs') as typeof import('rxjs')
  return new Obs<SaveEvent>((subscriber) => {
    let credits = window
    let wake: (() => void) | undefined
    let stopped = false
    const input = new Obs<FrameToSave>((inner) => {
      void (async () => {
        for await (const frame of frames as AsyncIterable<FrameToSave>) {
          while (credits <= 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve))
          if (stopped) return
          credits--
          inner.next(frame)
        }
        inner.complete()
      })().catch((error) => inner.error(error))
      return () => {
        stopped = true
        wake?.()
      }
    })
    const subscription = operator(input).subscribe({
      next: (event) => {
        if (event.type === 'written') {
          credits++
          const w = wake
          wake = undefined
          w?.()
        }
        subscriber.next(event)
      },
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    })
    return () => subscription.unsubscribe()
  })
}

/** Reverses every block of `block` frames: 3,2,1,0,7,6,5,4,... (a realistic out-of-order arrival). */
export function shuffledInBlocks<T>(items: T[], block = 4): T[] {
  const out: T[] = []
  for (let i = 0; i < items.length; i += block) out.push(...items.slice(i, i + block).reverse())
  return out
}

/** Decodes a file's video to raw RGB frames, read lazily from ffmpeg's stdout. */
export async function* decodeFrames(file: string, width: number, height: number): AsyncGenerator<Uint8Array> {
  const { spawn } = require('node:child_process') as typeof import('node:child_process')
  const child = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-map', '0:v:0', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const size = width * height * 3
  let pending: Buffer[] = []
  let length = 0
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      pending.push(chunk)
      length += chunk.length
      if (length >= size) {
        let all = Buffer.concat(pending, length)
        while (all.length >= size) {
          yield new Uint8Array(all.subarray(0, size))
          all = all.subarray(size)
        }
        pending = all.length ? [all] : []
        length = all.length
      }
    }
  } finally {
    child.kill('SIGKILL')
  }
}

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { deflateSync, crc32 } from 'node:zlib'
import { lastValueFrom, tap } from 'rxjs'
import { resolveFfmpeg, resolveFfprobe } from '@anime-upscaler/stage-extract'
import { RedisServer } from '../../../tools/src/redis-server'
import { upscaleVideo, type UpscaleVideoOptions } from '../src'

/** A temp folder removed after the test file's tests. */
export function useTempDir(): () => string {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-test-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return () => dir
}

/** The index of interrupted jobs goes to the test file's own cache folder, not the user's. */
export function useOwnCacheHome(tempDir: () => string): void {
  const cacheHome = process.env.XDG_CACHE_HOME
  beforeAll(() => {
    process.env.XDG_CACHE_HOME = join(tempDir(), 'cache')
  })
  afterAll(() => {
    if (cacheHome === undefined) delete process.env.XDG_CACHE_HOME
    else process.env.XDG_CACHE_HOME = cacheHome
  })
}

/** The entries of a job folder's journal. */
export function journal(folder: string): { event: string; run: number; segment?: number; index?: number; modelWork?: number }[] {
  return readFileSync(join(folder, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

/** Runs a segmented job and stops it once its journal has `segments` segments done; resolves with the error. */
export async function stopAfter(input: string, output: string, segments: number, options: UpscaleVideoOptions): Promise<unknown> {
  const stop = new AbortController()
  let folder = ''
  const events = upscaleVideo(input, output, { ...options, signal: stop.signal }).pipe(
    tap((event) => {
      if (event.type === 'start') folder = event.segments!.folder
      if (event.type === 'progress' && journal(folder).filter((e) => e.event === 'done').length >= segments) stop.abort()
    }),
  )
  return lastValueFrom(events).catch((error: unknown) => error)
}

/** A redis-server of the test file's own (own port and data folder), stopped after its tests. */
export function useRedisServer(): () => RedisServer {
  let server: RedisServer | undefined
  beforeAll(async () => {
    server = await RedisServer.start()
  })
  afterAll(async () => {
    await server?.stop()
  })
  return () => server!
}

/** ../shared/fixtures from the repository root, or undefined on a clone without them. */
export const FIXTURES = resolve(__dirname, '../../../../shared/fixtures')

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A valid PNG header claiming width x height RGB, with a tiny IDAT that cannot fill it. */
export function pngClaiming(width: number, height: number): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8
  header[9] = 2
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(16))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** ffmpeg processes started by this test process and still alive. */
export function ffmpegChildren(): number[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        return Number(stat.split(') ')[1].split(' ')[1]) === process.pid && stat.includes('(ffmpeg)')
      } catch {
        return false
      }
    })
    .map(Number)
}

/**
 * A lossless clip: still colour bars with a red square that steps 8 px right, holds, and comes back
 * to where it started (A-B-C-D-…-A-B-C: older repeats), each drawing held two frames (repeats of the last).
 */
export function movingPatch(dir: string): string {
  const input = join(dir, 'patch.mkv')
  const x = 'if(lt(mod(n,8),4),16+8*mod(n,4),16)'
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'smptebars=size=320x96:rate=12:duration=2', '-f', 'lavfi', '-i', 'color=c=red:size=16x16:rate=12',
    '-filter_complex', `[0][1]overlay=x='${x}':y=40:shortest=1,fps=24`, '-c:v', 'ffv1', input])
  return input
}

/** Every frame's timestamp and checksum, as ffmpeg's framemd5 lists them. */
export function frameChecksums(file: string): string[] {
  return execFileSync(resolveFfmpeg(), ['-v', 'error', '-i', file, '-map', '0:v', '-f', 'framemd5', '-'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => /^\d/.test(line))
    .map((line) => line.split(',').slice(2).map((field) => field.trim()).join(' '))
}

/** Every video frame's presentation time (ffprobe's best effort), in presentation order. */
export function frameTimes(file: string): number[] {
  const text = execFileSync(resolveFfprobe(), ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', file], { encoding: 'utf8' })
  return text
    .split('\n')
    .map((line) => Number.parseFloat(line))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b)
}

/** An ASS subtitle script for a `width`x`height` video, its one line from 0.5 s to 2 s, styled with "Test Sans". */
export function assScript(width: number, height: number): string {
  return `[Script Info]
ScriptType: v4.00+
PlayResX: ${width}
PlayResY: ${height}

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Test Sans,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:02.00,Default,,0,0,0,,Hello
`
}

/** Ends a distributed test's worker (in this process) and its clients: the worker stops, the queue is emptied and closed. */
export async function endWorkerAndQueue(stop: AbortController, worker: Promise<void>, queue: { obliterate(opts: { force: boolean }): Promise<void>; close(): Promise<void> }, control: { disconnect(): void }): Promise<void> {
  stop.abort()
  await worker
  await queue.obliterate({ force: true })
  await queue.close()
  control.disconnect()
}

// upscaleBatch with real files, real ffmpeg and a real model: the events, a failed file, pause
// between files, stops and the arguments it refuses.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Subject, lastValueFrom, tap, toArray } from 'rxjs'
import sharp from 'sharp'
import { probe, resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { resolveMediaJobs, upscaleBatch, type BatchEvent, type MediaJob } from '../src'
import { ffmpegChildren, useTempDir } from './helpers'

const tempDir = useTempDir()
const at = (...parts: string[]) => join(tempDir(), ...parts)
const options = { model: 'anime4k-s', workers: 1, threads: 2, encoder: { preset: 'ultrafast' as const } }

beforeAll(async () => {
  mkdirSync(at('in'))
  for (const name of ['a', 'b']) execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=48x32:rate=10:duration=1', '-c:v', 'libx264', at('in', `${name}.mkv`)])
  await sharp({ create: { width: 12, height: 10, channels: 3, background: '#c8a' } }).png().toFile(at('in', 'still.png'))
  writeFileSync(at('in', 'c.mkv'), 'text pretending to be a video')
}, 60_000)

test('images first, then each video; the corrupt one is named and the batch goes on; progress names the file and ends at 100 %', async () => {
  const jobs = await resolveMediaJobs([at('in')], at('out'))
  const events = await lastValueFrom(upscaleBatch(jobs, options).pipe(toArray()))
  const outline = events.filter((e) => e.type !== 'progress' && !(e.type === 'video' && e.event.type === 'progress')).map((e) => (e.type === 'video' ? `video ${e.file} ${e.event.type}` : 'file' in e ? `${e.type} ${e.file}` : e.type))
  expect(outline).toEqual(['start', 'images', 'written 1', 'video 2 start', 'video 2 done', 'written 2', 'video 3 start', 'video 3 done', 'written 3', 'failed 4', 'done'])
  expect(events[0]).toEqual({ type: 'start', files: 4, images: 1, videos: 3 })
  expect(events.find((e) => e.type === 'failed')).toMatchObject({ file: 4, files: 4, kind: 'video', input: at('in', 'c.mkv'), code: 'E_INPUT_INVALID', message: expect.stringContaining('is neither an image nor a video: it looks like text') })
  const progress = events.filter((e): e is Extract<BatchEvent, { type: 'progress' }> => e.type === 'progress')
  expect(progress.map((e) => e.percent)).toEqual([...progress.map((e) => e.percent)].sort((x, y) => x - y))
  expect(progress.find((e) => e.file === 2 && e.filePercent !== undefined && e.filePercent > 0 && e.filePercent < 100)).toMatchObject({ input: at('in', 'a.mkv'), etaSeconds: expect.any(Number) })
  expect(progress.at(-1)).toMatchObject({ file: 4, done: 3, failed: 1, percent: 100 })
  const done = events.at(-1) as Extract<BatchEvent, { type: 'done' }>
  expect(done.results.map((r) => [r.kind, r.output, r.width, r.height, r.frames])).toEqual([
    ['image', at('out', 'still.png'), 24, 20, undefined],
    ['video', at('out', 'a.mkv'), 96, 64, 10],
    ['video', at('out', 'b.mkv'), 96, 64, 10],
  ])
  expect((await probe(at('out', 'b.mkv'))).video).toMatchObject({ width: 96, height: 64, frameCount: 10 })
  expect(readdirSync(at('out')).sort()).toEqual(['a.mkv', 'b.mkv', 'still.png'])
  expect(ffmpegChildren()).toEqual([])
}, 120_000)

test('paused: the next file does not start until resumed', async () => {
  const paused = new Subject<boolean>()
  const jobs: MediaJob[] = [
    { kind: 'image', input: at('in', 'still.png'), output: at('paused', 'still.png'), format: 'png' },
    { kind: 'video', input: at('in', 'a.mkv'), output: at('paused', 'a.mkv') },
  ]
  const seen: string[] = []
  let resumedAt = 0
  const events = upscaleBatch(jobs, { ...options, paused }).pipe(
    tap((event) => {
      seen.push(event.type === 'video' ? `video ${event.event.type}` : event.type)
      if (event.type === 'written' && event.kind === 'image') {
        paused.next(true)
        setTimeout(() => {
          resumedAt = seen.length
          paused.next(false)
        }, 800)
      }
    }),
  )
  await lastValueFrom(events)
  // Nothing of the video happened while the batch was paused.
  expect(new Set(seen.slice(seen.indexOf('paused'), resumedAt))).toEqual(new Set(['paused', 'progress']))
  expect(seen.slice(resumedAt, resumedAt + 3)).toEqual(['resumed', 'progress', 'video start'])
  expect(existsSync(at('paused', 'a.mkv'))).toBe(true)
}, 120_000)

test('a stop before any work ends with E_ABORTED and writes nothing', async () => {
  const stop = new AbortController()
  stop.abort()
  const jobs = await resolveMediaJobs([at('in', 'a.mkv'), at('in', 'b.mkv')], at('stopped'))
  await expect(lastValueFrom(upscaleBatch(jobs, { ...options, signal: stop.signal }))).rejects.toMatchObject({ code: 'E_ABORTED' })
  expect(existsSync(at('stopped'))).toBe(false)
})

test('refused before any work, with the option named: bad jobs, a plan file, bad image options, an existing output', async () => {
  const video: MediaJob = { kind: 'video', input: at('in', 'a.mkv'), output: at('refused', 'a.mkv') }
  const refused = (jobs: unknown, more: object = {}) => lastValueFrom(upscaleBatch(jobs as MediaJob[], { ...options, ...more }))
  await expect(refused('in')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'jobs' })
  await expect(refused([{ ...video, kind: 'audio' }])).rejects.toThrow("Expected one of 'image', 'video' for jobs[].kind but received 'audio'")
  await expect(refused([video], { planFile: at('plan.json') })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'planFile', message: 'planFile names one file: plan one video at a time' })
  await expect(refused([video], { quality: 0 })).rejects.toThrow('Expected integer from 1 to 100 for quality but received 0')
  await expect(refused([video], { capacity: -1 })).rejects.toThrow('Expected positive integer for capacity but received -1')
  await expect(refused([{ ...video, output: at('in', 'b.mkv') }])).rejects.toMatchObject({ code: 'E_OUTPUT_EXISTS', message: expect.stringContaining('Output already exists') })
  expect(existsSync(at('refused'))).toBe(false)
})

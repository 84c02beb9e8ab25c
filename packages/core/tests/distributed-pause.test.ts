// Pause in the distributed mode: the coordinator (upscaleVideo with `queue`) pauses, the worker
// (core's runSegmentWorker, in this process) holds its segment, and both go on after resuming.
// Real redis-server, BullMQ, ffmpeg and model.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { BehaviorSubject, lastValueFrom, tap } from 'rxjs'
import { probe, resolveFfmpeg, type VideoEvent } from '../src'
import { controlKey } from '../src/video/distributed/protocol'
import { runSegmentWorker } from '../src/video/distributed/worker'
import { upscaleVideo } from '../src/video/upscale-video'
import { useRedisServer, useTempDir } from './helpers'

const dir = useTempDir()
/** The job's frames encoded so far, from its last progress event. */
let latest = 0
/** Progress events whose count went down (a pause or resume once told only the finished segments). */
const backwards: string[] = []
const redis = useRedisServer()

test('a pause holds every worker of the job; resuming finishes it', async () => {
  const input = join(dir(), 'clip.mkv')
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24:duration=4', '-c:v', 'libx264', '-g', '24', input])
  const output = join(dir(), 'out.mkv')
  const stop = new AbortController()
  const worker = runSegmentWorker({ redis: redis().url, signal: stop.signal, pool: { workers: 1, threads: 1 } })
  const control = new Redis(redis().url)
  const paused = new BehaviorSubject(false)
  let encodedWhenPaused = -1
  let encodedAfterWait = -1
  let pausedStates: (string | null)[] = []
  try {
    const events = upscaleVideo(input, output, { model: 'anime4k-s', encoder: { preset: 'ultrafast' }, queue: { redis: redis().url }, segments: { seconds: 1 }, paused })
    let pausing: Promise<void> | undefined
    let pauseAsked = false
    const last = await lastValueFrom(
      events.pipe(
        tap((event: VideoEvent) => {
          // Set first: pausing emits events, which come back here before `pausing` is assigned.
          if (pauseAsked || event.type !== 'progress' || event.encoded === 0) return
          pauseAsked = true
          pausing = (async () => {
            paused.next(true)
            // The worker reads the job's state every 0.4 s and reports its count at most 0.5 s late; the frames in flight finish, then nothing moves.
            const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
            let before = -1
            for (let i = 0; i < 20 && latest !== before; i++) {
              before = latest
              await sleep(2000)
            }
            const keys = await control.keys('anime-upscaler:job:*')
            pausedStates = await Promise.all(keys.map((key) => control.hget(key, 'state')))
            encodedWhenPaused = latest
            await sleep(3000)
            encodedAfterWait = latest
            paused.next(false)
          })()
        }),
        tap((event: VideoEvent) => {
          if (event.type !== 'progress') return
          if (event.encoded < latest) backwards.push(`${latest} → ${event.encoded}`)
          latest = event.encoded
        }),
      ),
    )
    await pausing
    expect(pausedStates).toEqual(['paused'])
    expect(encodedWhenPaused).toBeLessThan(96)
    expect(encodedAfterWait).toBe(encodedWhenPaused)
    expect(backwards).toEqual([])
    expect(last).toMatchObject({ type: 'done', frames: 96 })
    expect((await probe(output)).video.frameCount).toBe(96)
    expect(await control.keys(controlKey('*'))).toEqual([])
    expect(existsSync(join(dir(), '.out.mkv.job'))).toBe(false)
    expect(readdirSync(dir()).sort()).toEqual(['clip.mkv', 'out.mkv'])
  } finally {
    stop.abort()
    await worker
    control.disconnect()
  }
}, 120_000)


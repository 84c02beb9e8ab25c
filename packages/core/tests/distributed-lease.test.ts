// A distributed job whose coordinator dies (SIGKILL): the job's state in Redis is a lease the
// coordinator renews; once it runs out, the worker stops the job's segment and takes no more of
// them, and the same job run again finishes from its folder. Real redis-server, BullMQ, ffmpeg,
// model; the coordinator is core's built package in its own process.
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { probe, resolveFfmpeg, upscaleVideoToFile } from '../src'
import { SEGMENT_QUEUE, type SegmentTask } from '../src/video/distributed/protocol'
import { runSegmentWorker, type WorkerEvent } from '../src/video/distributed/worker'
import { endWorkerAndQueue, useRedisServer, useTempDir } from './helpers'

const CORE = resolve(__dirname, '../dist/index.cjs')
const dir = useTempDir()
const redis = useRedisServer()

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Resolves with the first event that `match` accepts. */
function nextEvent(events: WorkerEvent[], match: (event: WorkerEvent) => boolean): Promise<WorkerEvent> {
  return new Promise((done) => {
    const poll = setInterval(() => {
      const found = events.find(match)
      if (found) {
        clearInterval(poll)
        done(found)
      }
    }, 50)
  })
}

test("a coordinator killed mid-job: its lease runs out, the worker stops the job's segments, and a rerun finishes it", async () => {
  const input = join(dir(), 'clip.mkv')
  const output = join(dir(), 'out.mkv')
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=6', '-c:v', 'libx264', '-g', '24', input])
  const options = { model: 'anime4k-l', encoder: { preset: 'ultrafast' as const }, segments: { seconds: 1 } }
  const events: WorkerEvent[] = []
  const stop = new AbortController()
  const worker = runSegmentWorker({ redis: redis().url, signal: stop.signal, pool: { workers: 1, threads: 1 }, onEvent: (event) => events.push(event) })
  const queue = new Queue<SegmentTask>(SEGMENT_QUEUE, { connection: { host: '127.0.0.1', port: redis().port } })
  const control = new Redis(redis().url)
  try {
    const script = `require(${JSON.stringify(CORE)}).upscaleVideoToFile(${JSON.stringify(input)}, ${JSON.stringify(output)}, ${JSON.stringify({ ...options, queue: { redis: redis().url, coordinatorTimeout: 2 } })})`
    const coordinator = spawn(process.execPath, ['-e', script], { stdio: 'ignore' })
    await nextEvent(events, (event) => event.type === 'segment')
    coordinator.kill('SIGKILL')
    const killedAt = Date.now()

    // The lease (2 s) runs out; the worker reads the state every 0.4 s and stops the segment.
    const failed = await nextEvent(events, (event) => event.type === 'segment-failed')
    expect((failed as { message: string }).message).toMatch(/stopped|coordinator is gone/)
    expect(Date.now() - killedAt).toBeLessThan(8000)
    expect(await control.keys('anime-upscaler:job:*')).toEqual([])
    // No segment of the dead job is started after that: the queued ones fail at once, without their other attempts.
    const startedBefore = events.filter((event) => event.type === 'segment').length
    await sleep(3000)
    expect(events.filter((event) => event.type === 'segment')).toHaveLength(startedBefore)
    expect(await queue.getJobCounts('wait', 'active', 'delayed')).toEqual({ wait: 0, active: 0, delayed: 0 })

    // The same job again, from this process: it continues and finishes.
    const done = await upscaleVideoToFile(input, output, { ...options, queue: { redis: redis().url } })
    expect(done.frames).toBe(144)
    expect((await probe(output)).video.frameCount).toBe(144)
    expect(readdirSync(dir()).sort()).toEqual(['clip.mkv', 'out.mkv'])
    expect(await control.keys('anime-upscaler:job:*')).toEqual([])
  } finally {
    await endWorkerAndQueue(stop, worker, queue, control)
  }
}, 180_000)

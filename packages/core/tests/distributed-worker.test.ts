// A distributed worker (core's real code, in this process) against a real redis-server and BullMQ:
// a task made by another version of core is refused with a message and put back in the queue,
// never failed and never made here (no mixed output).
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { resolveFfmpeg } from '../src'
import { SEGMENT_QUEUE, controlKey, segmentJobId, type SegmentTask } from '../src/video/distributed/protocol'
import { runSegmentWorker, type WorkerEvent } from '../src/video/distributed/worker'
import { planSegmentedJob } from '../src/video/segments/job'
import { CORE_VERSION } from '../src/version'
import { endWorkerAndQueue, useRedisServer, useTempDir } from './helpers'

const dir = useTempDir()
const redis = useRedisServer()

test("a task of another core version is refused, said once, and goes back to the queue", async () => {
  const input = join(dir(), 'clip.mkv')
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24:duration=2', '-c:v', 'libx264', '-g', '24', input])
  const planned = await planSegmentedJob(input, join(dir(), 'out.mkv'), { model: 'anime4k-s', segments: { seconds: 1 } })
  const job = { ...planned, settings: { ...planned.settings, coreVersion: '0.0.0-other' } }
  const task: SegmentTask = { jobId: 'other-version', job, index: 0, file: join(dir(), 'segment.seg'), options: { model: 'anime4k-s', segments: { seconds: 1 } } }

  const connection = { host: '127.0.0.1', port: redis().port }
  const queue = new Queue<SegmentTask>(SEGMENT_QUEUE, { connection })
  const control = new Redis(connection)
  const stop = new AbortController()
  const events: WorkerEvent[] = []
  let onRefused = () => undefined as void
  const refused = new Promise<void>((resolve) => (onRefused = resolve))
  const running = runSegmentWorker({
    redis: redis().url,
    signal: stop.signal,
    pool: { workers: 1, threads: 1 },
    onEvent: (event) => {
      events.push(event)
      if (event.type === 'refused') onRefused()
    },
  })
  try {
    await control.hset(controlKey('other-version'), 'state', 'running')
    await queue.add('segment 0', task, { jobId: segmentJobId('other-version', 0), attempts: 1 })
    await refused
    // Taken again after the refusal delay, refused again, but said once.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const refusals = events.filter((e) => e.type === 'refused')
    expect(refusals).toHaveLength(1)
    expect(refusals[0]).toMatchObject({ jobId: 'other-version', index: 0 })
    expect((refusals[0] as { reason: string }).reason).toContain(`the version of @anime-upscaler/core 0.0.0-other → ${CORE_VERSION}`)
    expect(await control.hget(controlKey('other-version'), `refused:${(events[0] as { worker: string }).worker}`)).toContain('0.0.0-other')
    const state = await (await queue.getJob(segmentJobId('other-version', 0)))!.getState()
    expect(['delayed', 'waiting', 'active']).toContain(state)
    expect(events.some((e) => e.type === 'segment' || e.type === 'segment-failed')).toBe(false)
    expect(existsSync(task.file)).toBe(false)
    expect(readdirSync(dir()).filter((name) => name.includes('partial'))).toEqual([])
  } finally {
    await endWorkerAndQueue(stop, running, queue, control)
  }
}, 60_000)

// A custom duplicate detector in the distributed mode: the task names the module by its file name
// and each worker loads its own file of that name, run only when its content is the job's. Real
// redis-server, BullMQ, ffmpeg and model; coordinator and worker are core's code in this process.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { probe, resolveFfmpeg, upscaleVideoToFile, type UpscaleVideoOptions } from '../src'
import { runSegmentWorker, type WorkerEvent } from '../src/video/distributed/worker'
import { useRedisServer, useTempDir } from './helpers'

const dir = useTempDir()
/** Odd frames repeat the last kept one (segments start on even frames: 24 per second). */
const ODD_FRAMES = 'export default { name: "odd frames", compare: (kept, current) => current.index % 2 === 1 }\n'
const redis = useRedisServer()
let input = ''
beforeAll(() => {
  input = join(dir(), 'clip.mkv')
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24:duration=3', '-c:v', 'libx264', '-g', '24', input])
  for (const [folder, content] of [['coordinator', ODD_FRAMES], ['worker', ODD_FRAMES], ['other', ODD_FRAMES.replace('% 2 === 1', '% 3 === 1')]]) {
    mkdirSync(join(dir(), folder))
    writeFileSync(join(dir(), folder, 'odd.mjs'), content)
  }
})
function jobOptions(signal?: AbortSignal): UpscaleVideoOptions {
  return { model: 'anime4k-s', encoder: { preset: 'ultrafast' }, dedup: { detector: join(dir(), 'coordinator', 'odd.mjs') }, queue: { redis: redis().url }, segments: { seconds: 1 }, overwrite: true, signal }
}

/** Runs `body` with a worker that has `detectorFiles`, then stops the worker. */
async function withWorker(detectorFiles: string[], body: (events: WorkerEvent[]) => Promise<void>): Promise<void> {
  const events: WorkerEvent[] = []
  const stop = new AbortController()
  const worker = runSegmentWorker({ redis: redis().url, signal: stop.signal, pool: { workers: 1, threads: 1 }, detectorFiles, onEvent: (event) => events.push(event) })
  try {
    await body(events)
  } finally {
    stop.abort()
    await worker
  }
}

test("a worker with its own copy of the job's detector module uses it", async () => {
  await withWorker([join(dir(), 'worker', 'odd.mjs')], async (events) => {
    const output = join(dir(), 'same.mkv')
    const done = await upscaleVideoToFile(input, output, jobOptions())
    expect(done).toMatchObject({ frames: 72, unique: 36, duplicates: 36 })
    expect((await probe(output)).video.frameCount).toBe(72)
    expect(events.filter((event) => event.type === 'refused')).toEqual([])
  })
}, 120_000)

test.each([
  ['a file of that name with other content', [join('other', 'odd.mjs')], /dedup\.detector module [0-9a-f]{16} → module [0-9a-f]{16}/],
  ['no file of that name', [], /this worker has no detector 'odd\.mjs' \(give it the file with --detector-file\)/],
])('a worker with %s refuses the job, saying why, and makes nothing', async (_case, files, reason) => {
  await withWorker(
    files.map((file) => join(dir(), file)),
    async (events) => {
      const stop = new AbortController()
      const warnings: string[] = []
      const job = upscaleVideoToFile(input, join(dir(), 'refused.mkv'), { ...jobOptions(stop.signal), onWarning: (message) => warnings.push(message) })
      const stopped = job.catch((error: unknown) => error)
      while (!events.some((event) => event.type === 'refused')) await new Promise((resolve) => setTimeout(resolve, 100))
      stop.abort()
      expect(await stopped).toMatchObject({ code: 'E_ABORTED' })
      const refusal = events.find((event) => event.type === 'refused') as Extract<WorkerEvent, { type: 'refused' }>
      expect(refusal.reason).toMatch(reason)
      expect(events.filter((event) => event.type === 'segment')).toEqual([])
    },
  )
}, 120_000)

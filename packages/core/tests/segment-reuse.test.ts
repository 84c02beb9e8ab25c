// Reuse in segmented jobs. Segments run in other processes, on other machines and in any order, so
// each starts with no reference, no tile reference and no earlier output: its first frame is
// upscaled whole. The reuse options are job settings (job.json, resume, distributed workers), and a
// segment's model work is counted wherever and whenever it was made.
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { defaultJobFolder, openSegmentUpscaler, planSegmentedJob, upscaleVideo, type UpscaleVideoOptions, type VideoEvent, type VideoPlanFile } from '../src'
import { taskOptions } from '../src/video/distributed/local-config'
import { resolveVideoOptions } from '../src/video/options'
import { segmentCapacity } from '../src/video/plan'
import { jobSettings } from '../src/video/segments/settings'
import { frameChecksums, journal, movingPatch, stopAfter, useOwnCacheHome, useTempDir } from './helpers'

const tempDir = useTempDir()
useOwnCacheHome(tempDir)
// Lossless, so that frames compare exactly.
const options: UpscaleVideoOptions = { model: 'anime4k-s', workers: 2, threads: 1, encoder: { codec: 'ffv1' }, overwrite: true }
/** Half-second segments of the patch clip (every frame a keyframe): frames 0, 12, 24 and 36 start them. */
const segmented: UpscaleVideoOptions = { ...options, segments: { seconds: 0.5 } }
const FIRSTS = [0, 12, 24, 36]
// A loaded 2-core machine runs these several times slower than an idle one.
jest.setTimeout(300_000)

let input = ''
beforeAll(() => {
  input = movingPatch(tempDir())
})

type Done = Extract<VideoEvent, { type: 'done' }>

async function run(name: string, extra: UpscaleVideoOptions): Promise<{ done: Done; plan: VideoPlanFile; output: string }> {
  const output = join(tempDir(), `${name}.mkv`)
  const planFile = join(tempDir(), `${name}.json`)
  const events = await lastValueFrom(upscaleVideo(input, output, { ...extra, planFile }).pipe(toArray()))
  return { done: events.at(-1) as Done, plan: JSON.parse(readFileSync(planFile, 'utf8')), output }
}

/** The model work a plan's frames add up to: each kept frame's upscaled share, duplicates none. */
function modelWorkOf(plan: VideoPlanFile): number {
  return plan.frames.reduce((sum, f) => sum + (f.decision === 'upscale' ? f.upscaledShare! : 0), 0) / plan.frames.length
}

/** A segmented run of the clip, made once: several tests compare with it. */
let segmentedRun: ReturnType<typeof run> | undefined
const segmentedOnce = () => (segmentedRun ??= run('segmented', segmented))

test('each segment starts anew: its first frame is upscaled whole, no frame repeats one of another segment, and every frame equals its full upscale', async () => {
  const job = await planSegmentedJob(input, join(tempDir(), 'planned.mkv'), segmented)
  expect(job.segments.map((s) => s.first)).toEqual(FIRSTS)
  const whole = await run('whole', options)
  const full = await run('full', { ...options, reuse: 'off', dedup: { detector: 'off' } })
  const parts = await segmentedOnce()
  // Without segments, the first frame of every segment but the first repeats an older kept frame…
  expect(FIRSTS.slice(1).map((i) => whole.plan.frames[i].decision)).toEqual(['duplicate', 'duplicate', 'duplicate'])
  // …with segments, each is upscaled whole: nothing is held from the frames before it.
  for (const i of FIRSTS) expect(parts.plan.frames[i]).toMatchObject({ decision: 'upscale', upscaledShare: 1, modelShare: 1 })
  const segmentOf = (index: number) => FIRSTS.filter((first) => first <= index).length - 1
  const duplicates = parts.plan.frames.filter((f) => f.decision === 'duplicate')
  expect(duplicates.length).toBeGreaterThan(20)
  expect(duplicates.filter((f) => segmentOf(f.duplicateOf!) !== segmentOf(f.index))).toEqual([])
  // Within a segment, tiles are reused.
  expect(parts.plan.frames.filter((f) => f.decision === 'upscale' && f.upscaledShare! < 1).length).toBeGreaterThan(0)
  // Reuse is exact: frame for frame, the full upscale of every frame (count, times, no seams at the boundaries).
  expect(frameChecksums(parts.output)).toHaveLength(46)
  expect(frameChecksums(parts.output)).toEqual(frameChecksums(full.output))
  // Model work: what the frames add up to, three whole frames more than without segments.
  expect(parts.done.modelWork).toBeCloseTo(modelWorkOf(parts.plan), 10)
  expect(parts.done.modelWork).toBeGreaterThan(whole.done.modelWork + 2 / 46)
})

test('segments made in any order by one SegmentUpscaler are the same: frames and model work', async () => {
  const job = await planSegmentedJob(input, join(tempDir(), 'api.mkv'), segmented)
  const upscaler = await openSegmentUpscaler(job, segmented)
  const made = async (order: number[], name: string) => {
    mkdirSync(join(tempDir(), name))
    const results: { modelWork: number; frames: string[] }[] = []
    for (const index of order) {
      const file = join(tempDir(), name, `${index}.seg`)
      const { modelWork } = await upscaler.upscaleSegment(index, file)
      results[index] = { modelWork, frames: frameChecksums(file) }
    }
    return results
  }
  try {
    const forward = await made([0, 1, 2, 3], 'forward')
    // Each segment after one that ends elsewhere in the clip (or after none).
    const backward = await made([3, 1, 2, 0], 'backward')
    expect(backward).toEqual(forward)
    // Each segment's first frame counts whole.
    forward.forEach(({ modelWork }, i) => expect(modelWork).toBeGreaterThanOrEqual(1 / job.segments[i].frames))
    // What upscaleVideo's segments made: the same model work in total.
    const total = forward.reduce((sum, { modelWork }, i) => sum + modelWork * job.segments[i].frames, 0) / job.frames
    expect(total).toBeCloseTo((await segmentedOnce()).done.modelWork, 10)
  } finally {
    await upscaler.close()
  }
})

test('overlapping segments each hold their own references and frames: bufferMemory holds two of them at the relay', async () => {
  // One frame of the clip in flight: its 320x96 RGB source and its 640x192 Y'CbCr 4:2:0 result.
  const frame = 320 * 96 * 3 + 640 * 192 * 1.5
  const job = await planSegmentedJob(input, join(tempDir(), 'budget.mkv'), segmented)
  const capacities = async (bufferMemory: number) => {
    const upscaler = await openSegmentUpscaler(job, { ...segmented, bufferMemory })
    await upscaler.close()
    const { plan } = upscaler
    expect(plan.frameBytes).toBe(frame)
    return [plan.capacity, segmentCapacity(plan, bufferMemory, 2)]
  }
  // 1 GiB: 16 frames in flight, and each segment has all 16 (one decodes while the other drains).
  expect(await capacities(2 ** 30)).toEqual([16, 16])
  // 30 frames: 8 references and the reuser's output leave 21 (16 asked); two segments hold 18, which leaves 6 each.
  expect(await capacities(30 * frame)).toEqual([16, 6])
})

test('the reuse options are job settings: a worker with others is refused before any work, naming them', async () => {
  const output = join(tempDir(), 'settings.mkv')
  const tiles = await planSegmentedJob(input, output, segmented)
  expect(tiles.settings).toMatchObject({ reuse: 'tiles', reuseRefs: 8, reuseTileSize: 48, reuseThreshold: 192 })
  const frames = await planSegmentedJob(input, output, { ...segmented, reuse: 'frames', reuseRefs: 3 })
  expect(frames.settings).toMatchObject({ reuse: 'frames', reuseRefs: 3 })
  // The tiles' settings decide nothing without tile reuse.
  expect(Object.keys(frames.settings)).not.toContain('reuseTileSize')
  const mismatch = (extra: UpscaleVideoOptions, change: RegExp) => expect(openSegmentUpscaler(tiles, { ...segmented, ...extra })).rejects.toMatchObject({ code: 'E_JOB_MISMATCH', message: expect.stringMatching(change) })
  await mismatch({ reuseThreshold: 100 }, /other settings .*reuseThreshold 192 → 100/)
  await mismatch({ reuseTileSize: 32 }, /reuseTileSize 48 → 32/)
  await mismatch({ reuse: 'frames' }, /reuse tiles → frames/)
  await mismatch({ reuse: 'off' }, /reuse tiles → off, reuseRefs 8 → 1/)
})

test('a distributed task carries the reuse options as given: the worker resolves the job settings of its coordinator', async () => {
  const queue = { redis: 'redis://127.0.0.1:6379' }
  for (const extra of [{}, { reuse: 'frames', reuseRefs: 3 }, { reuse: 'off' }, { reuseTileSize: 32, reuseThreshold: 100 }] as UpscaleVideoOptions[]) {
    const coordinator = resolveVideoOptions({ ...segmented, ...extra, queue })
    const task = JSON.parse(JSON.stringify(taskOptions(coordinator))) as UpscaleVideoOptions
    expect(await jobSettings(resolveVideoOptions(task))).toEqual(await jobSettings(coordinator))
  }
  // The default mode is not carried as asked for: a worker falls back to frames for a model that cannot reuse tiles, as the coordinator does.
  expect(Object.keys(taskOptions(resolveVideoOptions({ ...segmented, queue })))).not.toContain('reuse')
})

test('resume: other reuse settings are refused like any other setting; the same call continues, counting the earlier segments in the model work', async () => {
  const output = join(tempDir(), 'resumed.mkv')
  expect(await stopAfter(input, output, 1, segmented)).toMatchObject({ code: 'E_ABORTED' })
  const earlier = journal(defaultJobFolder(output)).filter((e) => e.event === 'done')
  expect(earlier.length).toBeGreaterThanOrEqual(1)
  expect(earlier.every((e) => e.modelWork! > 0 && e.modelWork! <= 1)).toBe(true)
  const refused = await lastValueFrom(upscaleVideo(input, output, { ...segmented, reuseRefs: 4 })).catch((error: unknown) => error)
  expect(refused).toMatchObject({ code: 'E_JOB_MISMATCH', option: 'resume.restart', message: expect.stringMatching(/other settings \(reuseRefs 8 → 4\).*restart: true/) })
  const resumed = await run('resumed', segmented)
  expect(resumed.done.frames).toBe(46)
  // Segments do not depend on which run made them: the model work of one uninterrupted run.
  expect(resumed.done.modelWork).toBeCloseTo((await segmentedOnce()).done.modelWork, 10)
})

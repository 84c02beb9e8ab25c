// Reuse through the whole pipeline: duplicates of older kept frames, tiles that did not change,
// the memory budget of the references, and what the events and the plan file say.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { importModel, upscaleVideo, upscaleVideoToFile, type UpscaleVideoOptions, type VideoEvent, type VideoPlanFile } from '../src'
import { compactNetwork, seNetwork, writeModel } from '../../stage-upscale/tests/helpers/synthetic-models'
import { frameChecksums, movingPatch, useTempDir } from './helpers'

const tempDir = useTempDir()
const options: UpscaleVideoOptions = { model: 'anime4k-s', workers: 1, threads: 2, encoder: { codec: 'ffv1' }, overwrite: true }

async function run(input: string, name: string, extra: UpscaleVideoOptions): Promise<{ events: VideoEvent[]; plan: VideoPlanFile; output: string }> {
  const output = join(tempDir(), `${name}.mkv`)
  const planFile = join(tempDir(), `${name}.json`)
  const events = await lastValueFrom(upscaleVideo(input, output, { ...options, ...extra, planFile }).pipe(toArray()))
  return { events, plan: JSON.parse(readFileSync(planFile, 'utf8')), output }
}

describe('a still background with one moving patch', () => {
  let input = ''
  beforeAll(() => {
    input = movingPatch(tempDir())
  })

  test.each([
    ['tiles, Y\'CbCr from the model', {}],
    ['tiles, RGB to the encoder, 2 frames in flight', { frameFormat: 'rgb' as const, capacity: 2 }],
    ['frames', { reuse: 'frames' as const }],
  ])('%s: every output frame identical to a full upscale, same timestamps; older repeats found; model work told', async (name, extra: UpscaleVideoOptions) => {
    const file = name.replace(/\W+/g, '-')
    const full = await run(input, `${file}-full`, { ...extra, reuse: 'off', dedup: { detector: 'off' } })
    const { events, plan, output } = await run(input, file, extra)
    expect(frameChecksums(output)).toEqual(frameChecksums(full.output))
    expect(plan.frames).toHaveLength(46)
    const kept = plan.frames.filter((f) => f.decision === 'upscale')
    const lastKeptBefore = (index: number) => Math.max(...kept.filter((f) => f.index < index).map((f) => f.index))
    const older = plan.frames.filter((f) => f.decision === 'duplicate' && f.duplicateOf !== lastKeptBefore(f.index))
    expect(kept.map((f) => f.index)).toEqual([0, 2, 4, 6])
    expect(older.length).toBeGreaterThan(0)
    const done = events.at(-1) as Extract<VideoEvent, { type: 'done' }>
    const start = events[0] as Extract<VideoEvent, { type: 'start' }>
    const shares = kept.map((f) => f.upscaledShare!)
    if (extra.reuse === 'frames') {
      expect(start.reuse).toEqual({ mode: 'frames', references: 8 })
      expect(shares).toEqual([1, 1, 1, 1])
    } else {
      expect(start.reuse).toEqual({ mode: 'tiles', references: 8, tiles: { size: 48, threshold: 192, halo: expect.any(Number) } })
      expect(shares[0]).toBe(1)
      for (const share of shares.slice(1)) expect(share).toBeLessThan(0.5)
    }
    // Model work: the upscaled share of every frame, duplicates none.
    const expected = shares.reduce((a, b) => a + b, 0) / 46
    expect(done.modelWork).toBeCloseTo(expected, 10)
    expect(plan.modelWork).toBeCloseTo(expected, 10)
    const progress = events.filter((e): e is Extract<VideoEvent, { type: 'progress' }> => e.type === 'progress')
    expect(progress.at(-1)!.modelWork).toBeCloseTo(expected, 10)
    expect(progress.every((e) => e.modelWork >= 0 && e.modelWork <= 1)).toBe(true)
  }, 120_000)
})

describe('references and the memory budget', () => {
  let input = ''
  // One frame of patch.mkv in flight: its 320x96 RGB source and its 640x192 Y'CbCr 4:2:0 result.
  const frame = 320 * 96 * 3 + 640 * 192 * 1.5
  beforeAll(() => {
    input = movingPatch(tempDir())
  })

  test('given references that do not fit are refused before any work, saying how many do', async () => {
    const output = join(tempDir(), 'too-many.mkv')
    const error = await upscaleVideoToFile(input, output, { ...options, bufferMemory: 6 * frame, reuseRefs: 4 }).catch((e: unknown) => e)
    // 6 frames of budget: 2 in flight, the tile reuser's previous output, so 3 references.
    expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'reuseRefs', value: 4, message: expect.stringContaining('so at most 3 fit: lower reuseRefs to 3') })
    expect(() => readFileSync(output)).toThrow()
  })

  test('default references are lowered to fit; held references take memory, not credits', async () => {
    const { events } = await run(input, 'lowered', { bufferMemory: 6 * frame })
    const start = events[0] as Extract<VideoEvent, { type: 'start' }>
    expect(start.reuse).toMatchObject({ mode: 'tiles', references: 3, note: expect.stringContaining('3 references (the memory budget holds no more)') })
    // What is left after 3 references and the reuser's output: the least concurrent capacity, 2 credits.
    expect(start.capacity).toBe(2)
    expect(events.at(-1)).toMatchObject({ type: 'done', frames: 46 })
  }, 120_000)

  test('options are validated: mode, references, tile size, threshold, and dedup options that reuse sets', async () => {
    const refused = (extra: object) => upscaleVideoToFile(input, join(tempDir(), 'x.mkv'), { ...options, ...extra } as UpscaleVideoOptions).catch((e: unknown) => e)
    expect(await refused({ reuse: 'sometimes' })).toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'reuse', message: "Expected one of 'off', 'frames', 'tiles' for reuse but received 'sometimes'" })
    expect(await refused({ reuseRefs: 0 })).toMatchObject({ option: 'reuseRefs', message: 'Expected positive integer for reuseRefs but received 0' })
    expect(await refused({ reuseTileSize: 50 })).toMatchObject({ option: 'reuseTileSize', message: 'Expected positive multiple of 8 for reuseTileSize but received 50' })
    expect(await refused({ reuseThreshold: -1 })).toMatchObject({ option: 'reuseThreshold', message: 'Expected non-negative number for reuseThreshold but received -1' })
    expect(await refused({ dedup: { references: 4 } })).toMatchObject({ option: 'dedup.references', message: 'dedup.references is set by reuseRefs: give reuseRefs instead' })
  })
})

describe('imported models (their receptive radius)', () => {
  const modelsDir = () => join(tempDir(), 'models')
  let input = ''
  beforeAll(async () => {
    input = movingPatch(tempDir())
    await importModel(writeModel(tempDir(), 'compact', compactNetwork()), { modelsDir: modelsDir(), name: 'compact' })
    await importModel(writeModel(tempDir(), 'se', seNetwork()), { modelsDir: modelsDir(), name: 'se' })
  }, 120_000)

  test('an imported ncnn model reuses tiles with its recorded radius: every frame identical to full upscales', async () => {
    const imported = { model: 'compact', modelsDir: modelsDir(), workers: 2, threads: 1 }
    const full = await run(input, 'compact-full', { ...imported, reuse: 'off', dedup: { detector: 'off' } })
    const { events, plan, output } = await run(input, 'compact-tiles', { ...imported, reuse: 'tiles' })
    expect(frameChecksums(output)).toEqual(frameChecksums(full.output))
    const start = events[0] as Extract<VideoEvent, { type: 'start' }>
    expect(start.reuse).toMatchObject({ mode: 'tiles', tiles: { halo: start.model.receptiveRadius } })
    expect(plan.frames.filter((f) => f.decision === 'upscale' && f.upscaledShare! < 1).length).toBeGreaterThan(0)
  }, 180_000)

  test('a model that pools over the whole picture cannot reuse tiles: the default reuses frames and says why, asking for tiles is refused', async () => {
    const imported = { model: 'se', modelsDir: modelsDir(), workers: 1, threads: 2 }
    const { events } = await run(input, 'se-default', imported)
    expect((events[0] as Extract<VideoEvent, { type: 'start' }>).reuse).toMatchObject({ mode: 'frames', note: expect.stringContaining('global pooling') })
    const error = await upscaleVideoToFile(input, join(tempDir(), 'se-tiles.mkv'), { ...options, ...imported, reuse: 'tiles' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'reuse', message: expect.stringMatching(/^Tile reuse is not possible: se averages features over the whole picture .*: use reuse: 'frames'/) })
  }, 180_000)
})

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs'
import {
  TileReuser,
  UpscaleEngine,
  createUpscaler,
  groupChangedTiles,
  mergeChangedTiles,
  passesHalo,
  planReuse,
  upscale,
  type EngineImage,
  type ReusePlan,
  type TileChanges,
  type UpscaledImage,
  type Yuv420Image,
} from '../src'
import { encodeOnnxModel } from '../src/onnx/model'

// 100x70 frames; tiles of 24 and 40 px divide neither side.
const W = 100
const H = 70
const bt601 = { matrix: 'smpte170m', range: 'tv' } as const

/** A textured still background (edges and gradients, as in a drawing) with a 12x12 patch at (px, py). */
function frame(px: number, py: number): EngineImage {
  const data = new Uint8Array(W * H * 3)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3
      const patch = x >= px && x < px + 12 && y >= py && y < py + 12
      data[i] = patch ? 250 : (x * 255) / W
      data[i + 1] = patch ? 30 : (x - 50) ** 2 + (y - 35) ** 2 < 400 ? 200 : (y * 255) / H
      data[i + 2] = patch ? 90 : (x + 2 * y) % 14 < 7 ? 50 : 190
    }
  }
  return { data, width: W, height: H, channels: 3 }
}

/** The patch's path: it moves, then stays (a frame with nothing changed), then moves again. */
const PATH: Array<[number, number]> = [[10, 10], [30, 14], [60, 40], [60, 40], [84, 56]]
const FRAMES = PATH.map(([x, y]) => frame(x, y))

/** Tiles whose window (tile ± halo) meets the patch's old or new place: what a detector reports. Frame 0: all. */
function changesOf(n: number, size: number, halo: number): TileChanges {
  const columns = Math.ceil(W / size)
  const rows = Math.ceil(H / size)
  const changed = new Uint8Array(columns * rows)
  const moved = n > 0 && PATH[n].join() !== PATH[n - 1].join()
  for (let t = 0; t < changed.length; t++) {
    const [x0, y0] = [(t % columns) * size - halo, Math.floor(t / columns) * size - halo]
    const meets = ([px, py]: [number, number]) => px < x0 + size + 2 * halo && px + 12 > x0 && py < y0 + size + 2 * halo && py + 12 > y0
    changed[t] = n === 0 || (moved && (meets(PATH[n]) || meets(PATH[n - 1]))) ? 1 : 0
  }
  return { width: W, height: H, size, halo, columns, rows, changed }
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

/** The RGB samples of a tile's interior (source rectangle scaled by `scale`) in an upscaled image. */
function region(image: EngineImage, size: number, columns: number, t: number, scale: number): number[] {
  const [x0, y0] = [(t % columns) * size * scale, Math.floor(t / columns) * size * scale]
  const samples: number[] = []
  for (let y = y0; y < Math.min(image.height, y0 + size * scale); y++) {
    for (let x = x0; x < Math.min(image.width, x0 + size * scale); x++) for (let c = 0; c < 3; c++) samples.push(image.data[(y * image.width + x) * 3 + c])
  }
  return samples
}

let engine: UpscaleEngine
beforeAll(async () => {
  engine = await UpscaleEngine.create({ model: 'anime4k-l', threads: 2 })
})
afterAll(() => engine.close())

describe('TileReuser: a still background with one moving patch', () => {
  test.each([
    [24, {}],
    [40, {}],
    [24, { scale: 4 }],
    [40, { scale: 3 }],
  ])('RGB, %i-px tiles, target %j: every output identical to a full upscale, reused tiles identical to the previous output', async (size, target) => {
    const reuser = new TileReuser(engine, { target })
    const passes = Object.keys(target).length === 0 ? 1 : 2
    const halo = reuser.halo(W, H)
    expect(halo).toBe(passesHalo(8, 2, passes))
    let previous: EngineImage | undefined
    for (let n = 0; n < FRAMES.length; n++) {
      const changes = changesOf(n, size, halo)
      const { image, plan } = await reuser.upscale(FRAMES[n], changes)
      const out = image as EngineImage
      expect(maxDifference(out.data, (await engine.upscale(FRAMES[n], target)).data)).toBe(0)
      // Reused tiles are the previous output's pixels (after a resample to 3x, the lanczos kernel crosses tile borders: not checked).
      const scale = 2 ** passes
      if (previous && out.width === W * scale) {
        for (let t = 0; t < changes.changed.length; t++) if (!changes.changed[t]) expect(region(out, size, changes.columns, t, scale)).toEqual(region(previous, size, changes.columns, t, scale))
        if (n === 3) expect(out).toBe(previous) // nothing changed: the previous output, not even copied
      }
      const changedTiles = changes.changed.reduce((sum, c) => sum + c, 0)
      expect(plan).toMatchObject({ tiles: changes.changed.length, changedTiles })
      // Grouping only ever joins rectangles of changed tiles.
      const rectangles = n === 0 ? 1 : mergeChangedTiles(changes.changed, changes.columns, changes.rows).length
      expect(plan.calls).toBeLessThanOrEqual(rectangles)
      expect(plan.calls > 0).toBe(changedTiles > 0)
      previous = out
    }
  })

  test.each([8, 10] as const)("Y'CbCr 4:2:0, %i-bit: identical to upscaleToYuv420 of the whole frame", async (bitDepth) => {
    const color = { ...bt601, bitDepth }
    const reuser = new TileReuser(engine, { yuv420: color })
    for (let n = 0; n < FRAMES.length; n++) {
      const { image } = await reuser.upscale(FRAMES[n], changesOf(n, 24, reuser.halo(W, H)))
      expect((image as Yuv420Image).format).toBe(bitDepth === 10 ? 'yuv420p10le' : 'yuv420p')
      expect(maxDifference(image.data, (await engine.upscaleToYuv420(FRAMES[n], color)).data)).toBe(0)
    }
  })

  test("an engine that cuts each call into tiles (equal interiors along an axis): RGB and Y'CbCr outputs still identical to whole-frame upscales", async () => {
    // 32-px tiles: a whole 100x70 frame is cut into 4 x 3 tiles of 25 x 24/24/22 px, and each changed
    // rectangle's window into tiles of its own, none of them on the whole frame's tile grid.
    const tiled = await UpscaleEngine.create({ model: 'anime4k-l', threads: 2, tile: 32 })
    try {
      const rgb = new TileReuser(tiled)
      const yuv = new TileReuser(tiled, { yuv420: { ...bt601, bitDepth: 8 } })
      for (let n = 0; n < FRAMES.length; n++) {
        const changes = changesOf(n, 24, rgb.halo(W, H))
        expect(maxDifference((await rgb.upscale(FRAMES[n], changes)).image.data, (await engine.upscale(FRAMES[n])).data)).toBe(0)
        expect(maxDifference((await yuv.upscale(FRAMES[n], changes)).image.data, (await engine.upscaleToYuv420(FRAMES[n], { ...bt601, bitDepth: 8 })).data)).toBe(0)
      }
    } finally {
      await tiled.close()
    }
  })

  test('the halo matters: with a receptive radius below the model\'s, the reused output is not the full upscale', async () => {
    const reuser = new TileReuser(engine, { receptiveRadius: 1 })
    let worst = 0
    for (let n = 0; n < FRAMES.length; n++) {
      const { image } = await reuser.upscale(FRAMES[n], changesOf(n, 24, 1))
      worst = Math.max(worst, maxDifference(image.data, (await engine.upscale(FRAMES[n])).data))
    }
    expect(worst).toBeGreaterThan(0)
  })

  test('the share of the frame upscaled, for the plan', async () => {
    const reuser = new TileReuser(engine)
    const plans = []
    for (let n = 0; n < FRAMES.length; n++) plans.push((await reuser.upscale(FRAMES[n], changesOf(n, 24, 8))).plan)
    expect(plans.map((p) => p.share)).toEqual([1, expect.any(Number), expect.any(Number), 0, expect.any(Number)])
    expect(plans[0]).toEqual({ tiles: 15, changedTiles: 15, calls: 1, share: 1, modelShare: 1 })
    expect(plans[3]).toEqual({ tiles: 15, changedTiles: 0, calls: 0, share: 0, modelShare: 0 })
    for (const plan of plans.slice(1)) {
      expect(plan.share).toBeLessThan(1)
      expect(plan.modelShare).toBeGreaterThanOrEqual(plan.share)
    }
    // Frame 1: the patch moved from (10, 10) to (30, 14); with 24-px tiles and an 8-px halo the windows of
    // columns 0-2 (x from -8, 16, 40) and rows 0-1 meet it: one 72x48 rectangle.
    expect(plans[1]).toMatchObject({ changedTiles: 6, calls: 1, share: (72 * 48) / (W * H) })
  })

  test('runs of different widths share one window; its unchanged tiles are computed but keep the previous output', async () => {
    // 24-px tiles, 5 x 3: row 0 changes in columns 0-1, row 1 in columns 0-2. Two rectangles, but
    // their bounding box's window (80x56 with the halo, clipped at the frame's edges) costs fewer
    // pixels than their two windows (56x32 and 80x40) and a call.
    const changed = Uint8Array.from([1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    const changes = { width: W, height: H, size: 24, halo: 8, columns: 5, rows: 3, changed }
    expect(mergeChangedTiles(changed, 5, 3)).toHaveLength(2)
    // Without a halo there is nothing to save: the box would compute tile 2 of row 0 for nothing.
    expect(groupChangedTiles(mergeChangedTiles(changed, 5, 3), (r) => 576 * (r.c1 - r.c0) * (r.r1 - r.r0))).toHaveLength(2)
    const { calls, plan } = planReuse(changes, W, H, 8)
    expect(calls).toHaveLength(1)
    expect(calls[0].window).toMatchObject({ windowX: 0, windowY: 0, windowWidth: 80, windowHeight: 56 })
    expect(calls[0].pastes.map((t) => [t.x0, t.x1, t.y0, t.y1])).toEqual([[0, 48, 0, 24], [0, 72, 24, 48]])
    expect(plan).toMatchObject({ calls: 1, changedTiles: 5, share: (5 * 24 * 24) / (W * H), modelShare: (80 * 56) / (W * H) })

    // Tile 2 of row 0 lies inside the window and its source changes, but the mask keeps it: it must
    // stay the previous output, not become this frame's upscale.
    const reuser = new TileReuser(engine)
    const first = await reuser.upscale(FRAMES[0])
    const next = frame(50, 2) // the patch now covers tile 2 of row 0 (x 48-72)
    const { image } = await reuser.upscale(next, changes)
    const full = await engine.upscale(next)
    const [out, before] = [image as EngineImage, first.image as EngineImage]
    expect(region(out, 24, 5, 2, 2)).toEqual(region(before, 24, 5, 2, 2))
    expect(region(out, 24, 5, 2, 2)).not.toEqual(region(full, 24, 5, 2, 2))
    for (const t of [0, 1, 5, 6, 7]) expect(region(out, 24, 5, t, 2)).toEqual(region(full, 24, 5, t, 2))
  })
})

describe('TileReuser through the worker pool and the upscale operator', () => {
  test("frames with changedTiles: outputs equal the pool's full upscales, in order, each with its plan", async () => {
    const pool = await createUpscaler({ model: 'anime4k-l', workers: 2, threads: 1 })
    try {
      const halo = new TileReuser(pool).halo(W, H)
      const frames = FRAMES.map((image, index) => ({ index, pts: index / 24, image, changedTiles: changesOf(index, 24, halo) }))
      for (const yuv420 of [undefined, bt601]) {
        type In = (typeof frames)[number]
        type Out = Omit<In, 'image'> & { image: UpscaledImage; reuse?: ReusePlan }
        const operator = (yuv420 ? upscale<In>({ upscaler: pool, reuse: true, yuv420 }) : upscale<In>({ upscaler: pool, reuse: true })) as OperatorFunction<In, Out>
        const out = await lastValueFrom(from(frames).pipe(operator, toArray()))
        expect(out.map((f) => f.index)).toEqual([0, 1, 2, 3, 4])
        for (const f of out) {
          const full: UpscaledImage = yuv420 ? await pool.upscaleToYuv420(FRAMES[f.index], yuv420) : await pool.upscale(FRAMES[f.index])
          expect(maxDifference(f.image.data, full.data)).toBe(0)
          expect(f.reuse?.changedTiles).toBe(f.changedTiles.changed.reduce((sum, c) => sum + c, 0))
          expect(f.pts).toBe(f.index / 24)
        }
      }
    } finally {
      await pool.close()
    }
  })
})

/** Writes an ONNX nearest-neighbour upscaler of `scale` (an imported model: its true radius is 0). */
function writeNearest(dir: string, scale: number): string {
  const file = join(dir, `nearest${scale}x.onnx`)
  const nearest = { opType: 'Resize', inputs: ['pixels', '', 'scales'], outputs: ['result'], attributes: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } }
  const initializers = [{ name: 'scales', dims: [4], data: new Float32Array([1, 1, scale, scale]) }]
  const graph = { name: 'nearest', nodes: [nearest], initializers, inputs: [{ name: 'pixels', dims: [1, 3, 'h', 'w'] }], outputs: [{ name: 'result', dims: [1, 3, 'oh', 'ow'] }] }
  writeFileSync(file, encodeOnnxModel({ producerName: 'test', opsetVersion: 17, graph }))
  return file
}

describe('TileReuser with models of other scales', () => {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stage-upscale-reuse-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test.each([2, 4])("a %ix model: RGB and Y'CbCr outputs with reused tiles equal whole-frame upscales", async (scale) => {
    const imported = await UpscaleEngine.create({ model: writeNearest(dir, scale) })
    const color = { ...bt601, bitDepth: 8 } as const
    try {
      // A stated radius above the true 0: windows start before their tiles, so every paste is offset inside its result.
      const rgb = new TileReuser(imported, { receptiveRadius: 6 })
      const yuv = new TileReuser(imported, { receptiveRadius: 6, yuv420: color })
      expect(rgb.halo(W, H)).toBe(6)
      for (let n = 0; n < FRAMES.length; n++) {
        const changes = changesOf(n, 24, 6)
        expect(maxDifference((await rgb.upscale(FRAMES[n], changes)).image.data, (await imported.upscale(FRAMES[n])).data)).toBe(0)
        const { image } = await yuv.upscale(FRAMES[n], changes)
        expect([image.width, image.height]).toEqual([W * scale, H * scale])
        expect(maxDifference(image.data, (await imported.upscaleToYuv420(FRAMES[n], color)).data)).toBe(0)
      }
    } finally {
      await imported.close()
    }
  })
})

describe('TileReuser refuses what it cannot reuse exactly', () => {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stage-upscale-reuse-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('an imported model without a stated receptive radius, unless the caller states one', async () => {
    // An imported 2x model (nearest neighbour: its true radius is 0).
    const file = writeNearest(dir, 2)
    const imported = await UpscaleEngine.create({ model: file })
    try {
      expect(() => new TileReuser(imported)).toThrow(
        `Tile reuse is not possible: ${file} does not state its receptive radius, so reused tiles could not be guaranteed to equal a full upscale: give receptiveRadius (in input pixels) if you know it, or upscale whole frames`,
      )
      const reuser = new TileReuser(imported, { receptiveRadius: 0 })
      expect(reuser.halo(W, H)).toBe(0)
      for (let n = 0; n < FRAMES.length; n++) {
        const { image } = await reuser.upscale(FRAMES[n], changesOf(n, 24, 0))
        expect(maxDifference(image.data, (await imported.upscale(FRAMES[n])).data)).toBe(0)
      }
    } finally {
      await imported.close()
    }
  })

  test('masks that do not fit, a partial first frame, alpha, and bad options: clear errors', async () => {
    const reuser = new TileReuser(engine)
    await expect(reuser.upscale(FRAMES[0], changesOf(0, 24, 4))).rejects.toThrow(
      'changedTiles: a halo of 4 px is less than this model needs (8 px): give the detector a halo of at least 8 (TileReuser\'s halo)',
    )
    await expect(reuser.upscale(FRAMES[0], { ...changesOf(0, 24, 8), columns: 4 })).rejects.toThrow('changedTiles: 4 x 3 tiles of 24 px do not cover 100x70 (expected 5 x 3)')
    await expect(reuser.upscale(FRAMES[0], { ...changesOf(0, 24, 8), width: 90 })).rejects.toThrow('changedTiles: describe a 90x70 frame, but the image is 100x70')
    await expect(reuser.upscale(FRAMES[1], changesOf(1, 24, 8))).rejects.toThrow(
      'changedTiles reuse tiles of a 100x70 frame, but no output of that size came before: the first frame (and the first of each size) must change every tile',
    )
    const rgba = { data: new Uint8Array(W * H * 4), width: W, height: H, channels: 4 }
    await expect(reuser.upscale(rgba)).rejects.toThrow('Expected 3 (RGB: tile reuse takes video frames, without alpha) for image.channels but received 4')
    expect(() => new TileReuser(engine, { yuv420: bt601, target: { scale: 4 } })).toThrow('Give either target or yuv420, not both')
    expect(() => new TileReuser(engine, { receptiveRadius: -1 })).toThrow('Expected non-negative integer for receptiveRadius but received -1')
  })
})

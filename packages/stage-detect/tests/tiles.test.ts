import { join } from 'node:path'
import { detectDuplicates, tilesMeeting, type DetectOptions, type TileChanges, type Verdict } from '../src'
import { decode, describeFixtures, framesOf, image, run, FIXTURES, type TestFrame } from './helpers'

// 200x120 does not divide into 48-px tiles: 5 x 3 tiles, the last column 8 px wide and the last row 24 px high.
const W = 200
const H = 120
const SIZE = 48
const HALO = 8

/** A textured still background. */
const background = (x: number, y: number, c: number) => 40 + ((x * 7 + y * 13 + c * 50) % 96)

/** The background with a 16x16 patch (8-px aligned, so its change covers whole cells) at (px, py) in a flat colour, or none. */
function withPatch(px: number | undefined, py: number, level = 230): TestFrame['image'] {
  return image(W, H, (x, y, c) => (px !== undefined && x >= px && x < px + 16 && y >= py && y < py + 16 ? level - 60 * c : background(x, y, c)))
}

/** The tiles whose window (tile and halo) meets any of these rectangles: what must be upscaled again. */
function expectedTiles(...rects: Array<[number, number, number, number]>): number[] {
  const mask = tilesMeeting(rects.map(([x, y, width, height]) => ({ x, y, width, height })), W, H, { size: SIZE, halo: HALO })
  return [...mask.keys()].filter((t) => mask[t])
}

const changedOf = (changes: TileChanges | undefined) => (changes ? [...changes.changed.keys()].filter((t) => changes.changed[t]) : undefined)
const TILES: DetectOptions['tiles'] = { size: SIZE, halo: HALO }

describe('changed tiles of kept frames', () => {
  // 0 still, 1 patch at (16, 16), 2 moved to (56, 16), 3 moved to (160, 96), 4 patch gone, 5 still.
  const frames = framesOf([withPatch(undefined, 0), withPatch(16, 16), withPatch(56, 16), withPatch(160, 96), withPatch(undefined, 0), withPatch(undefined, 0)])
  const expected = [
    'all',
    expectedTiles([16, 16, 16, 16]),
    expectedTiles([16, 16, 16, 16], [56, 16, 16, 16]),
    expectedTiles([56, 16, 16, 16], [160, 96, 16, 16]),
    expectedTiles([160, 96, 16, 16]),
  ]

  test.each([true, false])('a moving patch on a still: exactly the tiles whose window it touched (worker %s)', async (worker) => {
    const out = await run(frames, detectDuplicates({ tiles: TILES, worker }))
    expect(out.map((f) => f.duplicateOf)).toEqual([undefined, undefined, undefined, undefined, undefined, 4])
    const first = out[0].changedTiles!
    expect(first).toMatchObject({ width: W, height: H, size: SIZE, halo: HALO, columns: 5, rows: 3, share: 1 })
    expect(changedOf(first)).toHaveLength(15)
    for (let i = 1; i < 5; i++) expect(changedOf(out[i].changedTiles)).toEqual(expected[i])
    // Share: the changed tiles' pixels over the frame's.
    const interior = (t: number) => (Math.min(W, ((t % 5) + 1) * SIZE) - (t % 5) * SIZE) * (Math.min(H, (Math.floor(t / 5) + 1) * SIZE) - Math.floor(t / 5) * SIZE)
    expect(out[2].changedTiles!.share).toBeCloseTo((expected[2] as number[]).reduce((sum, t) => sum + interior(t), 0) / (W * H), 10)
    // A duplicate carries no tiles: nothing is upscaled for it.
    expect(out[5].changedTiles).toBeUndefined()
  })

  test("a change every frame too small to see against the previous frame is seen against the tile's own reference", async () => {
    // A 16x16 area brightens by 1 level per frame: no block of one frame differs from the previous one
    // by more than 64 x 1 < 192, but against the source the tile was last upscaled from, the drift adds up.
    const drift = framesOf(Array.from({ length: 24 }, (_, n) => image(W, H, (x, y, c) => background(x, y, c) + (x >= 64 && x < 80 && y >= 64 && y < 80 ? n : 0))))
    const out = await run(drift, detectDuplicates({ detector: 'off', tiles: TILES }))
    const refreshed = out.slice(1).flatMap((f) => (changedOf(f.changedTiles)!.length > 0 ? [f.index] : []))
    // Between refreshes the drift stays within the threshold: 192 per 8x8 block is 3 levels of luma, 3-4 levels of RGB here.
    const gaps = refreshed.map((n, i) => n - (i === 0 ? 0 : refreshed[i - 1]))
    console.log(`1 level per frame: refreshed at frames ${refreshed.join(', ')}`)
    expect(refreshed.length).toBeGreaterThanOrEqual(4)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(3)
    for (const f of out.slice(1)) expect(changedOf(f.changedTiles)!.every((t) => expectedTiles([64, 64, 16, 16]).includes(t))).toBe(true)
  })

  test('a new frame size changes every tile; hash, exact and off measure tiles too', async () => {
    const small = image(64, 40, background)
    const sized = framesOf([withPatch(undefined, 0), withPatch(undefined, 0), small, small])
    for (const detector of ['default', 'hash', 'exact', 'off'] as const) {
      const out = await run(sized, detectDuplicates({ detector, tiles: TILES }))
      const kept = out.filter((f) => f.duplicateOf === undefined)
      expect(kept.map((f) => f.changedTiles!.share)).toEqual(detector === 'off' ? [1, 0, 1, 0] : [1, 1])
      expect(kept.at(-1)!.changedTiles).toMatchObject({ width: 64, height: 40, columns: 2, rows: 1 })
    }
  })

  test('custom detectors: tiles measured beside them, or their own changed regions (dilated by the halo)', async () => {
    const frames = framesOf([withPatch(undefined, 0), withPatch(16, 16), withPatch(56, 16)])
    const never = await run(frames, detectDuplicates<TestFrame>({ detector: () => false, tiles: TILES }))
    const builtin = await run(frames, detectDuplicates({ detector: 'off', tiles: TILES }))
    expect(never.map((f) => changedOf(f.changedTiles))).toEqual(builtin.map((f) => changedOf(f.changedTiles)))
    // The detector says only the pixel (100, 50) changed: the four tiles whose windows (±8 px) hold it.
    const region = (): Verdict => ({ changed: [{ x: 100, y: 50, width: 1, height: 1 }] })
    const own = await run(frames, detectDuplicates<TestFrame>({ detector: region, tiles: TILES }))
    expect(changedOf(own[0].changedTiles)).toHaveLength(15)
    expect(expectedTiles([100, 50, 1, 1])).toEqual([1, 2, 6, 7])
    expect(changedOf(own[1].changedTiles)).toEqual([1, 2, 6, 7])
    expect(changedOf(own[2].changedTiles)).toEqual([1, 2, 6, 7])
  })

  test('options are checked, naming the field', () => {
    expect(() => detectDuplicates({ tiles: { size: 50, halo: 8 } })).toThrow('Expected positive multiple of 8 for tiles.size but received 50')
    expect(() => detectDuplicates({ tiles: { size: 64, halo: -1 } })).toThrow('Expected non-negative integer for tiles.halo but received -1')
    expect(() => detectDuplicates({ tiles: { size: 64, halo: 8, threshold: -5 } })).toThrow('Expected non-negative number for tiles.threshold but received -5')
    expect(() => detectDuplicates({ tiles: 64 as never })).toThrow('Expected { halo, size?, threshold? } for tiles but received 64')
    expect(() => detectDuplicates({ tiles: {} as never })).toThrow('Expected non-negative integer for tiles.halo but received undefined')
  })
})

describeFixtures('changed tiles on the fixture clips', () => {
  test.each([
    ['hero_360p.webm', 0.55],
    ['short_360p.mp4', 0.35],
  ])('%s: the share of the kept frames that changes', async (file, most) => {
    const frames = decode(join(FIXTURES, 'video', file), 640, 360)
    const out = await run(frames, detectDuplicates({ tiles: { size: 64, halo: 8 } }))
    const kept = out.filter((f) => f.duplicateOf === undefined)
    expect(kept[0].changedTiles!.share).toBe(1)
    const share = kept.reduce((sum, f) => sum + f.changedTiles!.share, 0) / frames.length
    console.log(`${file}: ${kept.length} of ${frames.length} frames kept; their changed 64-px tiles are ${(100 * share).toFixed(1)} % of all source pixels`)
    expect(share).toBeLessThan(most)
  })
})

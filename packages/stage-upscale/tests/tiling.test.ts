import { planTiles } from '../src/tiling'

/** Every pixel of a width x height image must be the interior of exactly one tile. */
function coverage(width: number, height: number, tiles: ReturnType<typeof planTiles>): number[] {
  const counts = new Array<number>(width * height).fill(0)
  for (const t of tiles) for (let y = t.y0; y < t.y1; y++) for (let x = t.x0; x < t.x1; x++) counts[y * width + x]++
  return counts
}

describe('planTiles', () => {
  test('an infinite tile is the whole image with no context', () => {
    expect(planTiles(70, 50, { tile: Infinity, overlap: 8 })).toEqual([{ x0: 0, y0: 0, x1: 70, y1: 50, windowX: 0, windowY: 0, windowWidth: 70, windowHeight: 50, resultX: 0, resultY: 0 }])
  })

  test('interiors partition the image and windows add the overlap inside the image', () => {
    const tiles = planTiles(70, 50, { tile: 32, overlap: 8 })
    expect(tiles).toHaveLength(3 * 2)
    expect(new Set(coverage(70, 50, tiles))).toEqual(new Set([1]))
    for (const t of tiles) {
      expect(t.windowX).toBe(Math.max(0, t.x0 - 8))
      expect(t.windowX + t.windowWidth).toBe(Math.min(70, t.x1 + 8))
      expect(t.windowY).toBe(Math.max(0, t.y0 - 8))
      expect(t.windowY + t.windowHeight).toBe(Math.min(50, t.y1 + 8))
    }
  })

  test('interiors along an axis are as equal as the tile count allows: 1080 rows in tiles of 1008 are 540 + 540, not 1008 + 72', () => {
    const tiles = planTiles(1920, 1080, { tile: 1008, overlap: 4 })
    expect(tiles.map((t) => [t.x1 - t.x0, t.y1 - t.y0])).toEqual([[960, 540], [960, 540], [960, 540], [960, 540]])
    expect(new Set(coverage(1920, 1080, tiles))).toEqual(new Set([1]))
    expect(planTiles(1001, 10, { tile: 500, overlap: 0 }).map((t) => t.x1 - t.x0)).toEqual([334, 334, 333])
  })

  test('fixed-size models get windows of exactly their size that contain the interior', () => {
    const fixedSize = { width: 32, height: 24 }
    const tiles = planTiles(100, 30, { tile: 1000, overlap: 4, fixedSize })
    expect(new Set(coverage(100, 30, tiles))).toEqual(new Set([1]))
    for (const t of tiles) {
      expect([t.windowWidth, t.windowHeight]).toEqual([32, 24])
      expect(t.windowX).toBeLessThanOrEqual(t.x0)
      expect(t.windowX + 32).toBeGreaterThanOrEqual(t.x1)
      expect(t.windowX + 32).toBeLessThanOrEqual(100)
    }
  })

  test('an image smaller than a fixed-size window gets one window at the origin (edge-padded by the reader)', () => {
    expect(planTiles(10, 5, { tile: 64, overlap: 4, fixedSize: { width: 32, height: 32 } })).toEqual([
      { x0: 0, y0: 0, x1: 10, y1: 5, windowX: 0, windowY: 0, windowWidth: 32, windowHeight: 32, resultX: 0, resultY: 0 },
    ])
  })
})

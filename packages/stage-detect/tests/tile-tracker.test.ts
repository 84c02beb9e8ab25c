// The tile tracker's shortcuts (one comparison per cell against the composite of the tiles'
// references, summed-area tables, halo rings) must decide exactly what the plain definition does:
// a tile changed when some 8x8 block (every 4 samples) of its window differs from the frame the
// tile was last refreshed from by more than the threshold.
import { allocatePlanes, rgbToPlanes, type Planes } from '../src/mpdecimate'
import { planeGrid, tileState } from '../src/tile-grid'
import { TileTracker } from '../src/tiles'

const W = 136
const H = 90

/** A deterministic pseudo-random sequence (tests must not depend on Math.random). */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

/** Frames of a still with, each frame, a few rectangles changed: some by a lot, some by a level or two (drift). */
function frames(count: number): Uint8Array[] {
  const next = random(7)
  const rgb = new Uint8Array(W * H * 3).map((_, i) => 60 + ((i * 37) % 120))
  const out: Uint8Array[] = []
  for (let n = 0; n < count; n++) {
    for (let k = 0; k < 3; k++) {
      const [x0, y0] = [Math.floor(next() * W), Math.floor(next() * H)]
      const [w, h] = [1 + Math.floor(next() * 20), 1 + Math.floor(next() * 20)]
      const delta = next() < 0.5 ? 1 + Math.floor(next() * 2) : 40
      for (let y = y0; y < Math.min(H, y0 + h); y++) for (let x = x0; x < Math.min(W, x0 + w); x++) for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = Math.min(255, rgb[(y * W + x) * 3 + c] + delta)
    }
    out.push(rgb.slice())
  }
  return out
}

function planesOf(rgb: Uint8Array): Planes {
  const planes = allocatePlanes(W, H, 0.33)
  rgbToPlanes(rgb, W, H, 'bt601', planes)
  return planes
}

/** The plain definition: each tile keeps a full copy of the frame it was refreshed from, and every block of its window is compared. */
function plainMasks(sequence: Planes[], size: number, halo: number, threshold: number): number[][] {
  const columns = Math.ceil(W / size)
  const rows = Math.ceil(H / size)
  const grids = sequence[0].map((plane, p) => planeGrid(plane, p === 0 ? size : size / 2, columns, rows))
  const windows = Array.from({ length: columns * rows }, (_, t) => tileState(grids, { columns, rows, size, halo: Math.ceil(halo / 8) * 8 }, t % columns, Math.floor(t / columns)).windows)
  const references: Planes[] = windows.map(() => sequence[0])
  return sequence.map((planes, n) => {
    const changed = windows.map((window, t) => n === 0 || planes.some((plane, p) => windowDiffers(plane, references[t][p], window[p], threshold)))
    changed.forEach((c, t) => c && (references[t] = planes))
    return changed.flatMap((c, t) => (c ? [t] : []))
  })
}

function windowDiffers(plane: Planes[number], reference: Planes[number], window: { c0: number; c1: number; r0: number; r1: number }, threshold: number): boolean {
  for (let by = 4 * window.r0; by + 8 <= 4 * window.r1; by += 4) {
    for (let bx = 4 * window.c0; bx + 8 <= 4 * window.c1; bx += 4) {
      let sad = 0
      for (let y = by; y < by + 8; y++) for (let x = bx; x < bx + 8; x++) sad += Math.abs(plane.data[y * plane.stride + x] - reference.data[y * plane.stride + x])
      if (sad > threshold) return true
    }
  }
  return false
}

describe('TileTracker decides as the plain definition does', () => {
  const sequence = frames(40).map(planesOf)
  test.each([
    [8, 0, 64],
    [16, 5, 192],
    [24, 8, 192],
    [40, 16, 128],
  ])('%i-px tiles, halo %i, threshold %i', (size, halo, threshold) => {
    const tracker = new TileTracker({ size, halo, threshold })
    const masks = sequence.map((planes) => {
      const { changed } = tracker.detect(planes)
      return [...changed.keys()].filter((t) => changed[t])
    })
    expect(masks).toEqual(plainMasks(sequence, size, halo, threshold))
    // Not a trivial agreement: some frames change some tiles, not all.
    expect(masks.slice(1).some((m) => m.length > 0 && m.length < Math.ceil(W / size) * Math.ceil(H / size))).toBe(true)
  })
})

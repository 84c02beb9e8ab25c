import { readFileSync } from 'node:fs'
import { allocatePlanes, rgbToPlanes, type Plane } from '../src/mpdecimate'
import { measurePlane, planeGrid } from '../src/tile-grid'

const { kernelsSource, generatedFile } = require('../scripts/build-kernels.cjs')

/** Deterministic pseudo-random bytes (a linear congruential generator). */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let state = seed
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    out[i] = state >>> 24
  }
  return out
}

test('the committed kernels are kernels.wat assembled (run `node packages/stage-detect/scripts/build-kernels.cjs` after editing it)', async () => {
  expect(readFileSync(generatedFile, 'utf8')).toBe(await kernelsSource())
})

describe('RGB to Y′CbCr 4:2:0 (SIMD groups of 8 columns, the rest in JavaScript)', () => {
  // BT.601 limited range in 16-bit fixed point, written out again here: Y = 16 + 219·(kr·R + kg·G + kb·B)/255.
  const [kr, kb] = [0.299, 0.114]
  const kg = 1 - kr - kb
  const ys = (219 / 255) * 65536
  const us = (224 / 255) * 65536 / (2 * (1 - kb))
  const vs = (224 / 255) * 65536 / (2 * (1 - kr))
  const [yr, yg, yb] = [kr, kg, kb].map((k) => Math.round(k * ys))
  const [ur, ug, ub] = [-kr, -kg, 1 - kb].map((k) => Math.round(k * us))
  const [vr, vg, vb] = [1 - kr, -kg, -kb].map((k) => Math.round(k * vs))

  function expected(rgb: Uint8Array, width: number, height: number): { y: number[][]; u: number[][]; v: number[][] } {
    const at = (x: number, row: number, c: number) => rgb[(Math.min(row, height - 1) * width + Math.min(x, width - 1)) * 3 + c]
    const y = Array.from({ length: height }, (_, row) =>
      Array.from({ length: width }, (_, x) => ((yr * at(x, row, 0) + yg * at(x, row, 1) + yb * at(x, row, 2) + 32768) >> 16) + 16),
    )
    const chroma = (kr: number, kg: number, kb: number) =>
      Array.from({ length: (height + 1) >> 1 }, (_, cy) =>
        Array.from({ length: (width + 1) >> 1 }, (_, cx) => {
          const sum = (c: number) => at(2 * cx, 2 * cy, c) + at(2 * cx + 1, 2 * cy, c) + at(2 * cx, 2 * cy + 1, c) + at(2 * cx + 1, 2 * cy + 1, c)
          return ((kr * sum(0) + kg * sum(1) + kb * sum(2) + 131072) >> 18) + 128
        }),
      )
    return { y, u: chroma(ur, ug, ub), v: chroma(vr, vg, vb) }
  }

  const visible = (plane: Plane) => Array.from({ length: plane.height }, (_, row) => Array.from(plane.data.subarray(row * plane.stride, row * plane.stride + plane.width)))

  test.each([
    [8, 2],
    [16, 9],
    [23, 7],
    [64, 36],
    [7, 5],
    [41, 1],
  ])('%ix%i: every sample equals the fixed-point formula', (width, height) => {
    const rgb = bytes(width * height * 3, width * 1000 + height)
    const planes = allocatePlanes(width, height, 0.33)
    rgbToPlanes(rgb, width, height, 'bt601', planes)
    const want = expected(rgb, width, height)
    expect(visible(planes[0])).toEqual(want.y)
    expect(visible(planes[1])).toEqual(want.u)
    expect(visible(planes[2])).toEqual(want.v)
  })

  test('extreme colours (black, white, primaries) stay inside the limited range', () => {
    const colours = [0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0, 0, 255, 255, 255, 0, 255]
    const rgb = Uint8Array.from({ length: 16 * 2 * 3 }, (_, i) => colours[i % colours.length])
    const planes = allocatePlanes(16, 2, 0.33)
    rgbToPlanes(rgb, 16, 2, 'bt709', planes)
    expect(Math.min(...visible(planes[0]).flat())).toBe(16)
    expect(Math.max(...visible(planes[0]).flat())).toBe(235)
    for (const p of [1, 2]) for (const sample of visible(planes[p]).flat()) expect(sample >= 16 && sample <= 240).toBe(true)
  })
})

describe('cell SADs and the table of blocks over the threshold (SIMD)', () => {
  function plane(width: number, height: number, seed: number): Plane {
    const p = allocatePlanes(width, height, 0.33)[0]
    p.data.set(bytes(p.data.length, seed))
    return p
  }

  test.each([
    [64, 36, 300],
    [20, 12, 0],
    [44, 8, 2000],
  ])('%ix%i, threshold %i: equal to sums taken one sample at a time', (width, height, threshold) => {
    const current = plane(width, height, 1)
    const grid = planeGrid(current, 16, 1, 1)
    grid.composite.data.set(bytes(grid.composite.data.length, 2))
    measurePlane(current, grid, threshold)
    const { cellsPerRow, cellRows } = grid
    const sads = new Int32Array(cellsPerRow * cellRows)
    for (let y = 0; y < 4 * cellRows; y++) {
      for (let x = 0; x < 4 * cellsPerRow; x++) sads[(y >> 2) * cellsPerRow + (x >> 2)] += Math.abs(current.data[y * current.stride + x] - grid.composite.data[y * current.stride + x])
    }
    expect(Array.from(grid.sads)).toEqual(Array.from(sads))
    const over = new Int32Array(cellsPerRow * cellRows)
    for (let by = 0; by + 1 < cellRows; by++) {
      for (let bx = 0; bx + 1 < cellsPerRow; bx++) {
        let count = 0
        for (let y = 0; y <= by; y++) {
          for (let x = 0; x <= bx; x++) {
            const i = y * cellsPerRow + x
            if (sads[i] + sads[i + 1] + sads[i + cellsPerRow] + sads[i + cellsPerRow + 1] > threshold) count++
          }
        }
        over[(by + 1) * cellsPerRow + bx + 1] = count
      }
    }
    expect(Array.from(grid.over)).toEqual(Array.from(over))
  })

  test('a threshold beyond 32 bits (or any above the largest block SAD) counts no block', () => {
    const current = plane(64, 36, 1)
    const grid = planeGrid(current, 16, 1, 1)
    grid.composite.data.set(bytes(grid.composite.data.length, 2))
    for (const threshold of [64 * 255, 3e9, Number.MAX_SAFE_INTEGER]) {
      measurePlane(current, grid, threshold)
      expect(grid.over.every((count) => count === 0)).toBe(true)
    }
  })
})

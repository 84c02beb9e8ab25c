// The geometry of tile tracking: which cells (4x4 samples of a Y'CbCr plane) each tile's interior
// and window (interior and halo) cover, and the per-frame sums every tile's decision reads.
import { measurePlaneSimd } from './kernels/kernels'
import type { Plane } from './mpdecimate'

/** Cells [c0, c1) x [r0, r1) of one plane (4x4 samples each); `offset`: the first word of their copy in a tile's buffer. */
export interface CellRange {
  c0: number
  c1: number
  r0: number
  r1: number
  offset: number
}

export interface TileState {
  /** The cells of its window (interior and halo) in each plane. */
  windows: [CellRange, CellRange, CellRange]
  /** Tiles whose interior its window meets (itself included). */
  neighbours: Int32Array
  /** The cells of its interior in each plane. */
  interiors: [CellRange, CellRange, CellRange]
  /** The parts of each plane's window around the interior, `offset` at their first word in `words`. */
  rings: [CellRange[], CellRange[], CellRange[]]
  /** The samples of the windows when the tile was last refreshed, one plane after another, 4 to a word. */
  words: Uint32Array
}

/** One plane's view of the grid. */
export interface PlaneGrid {
  cellsPerRow: number
  cellRows: number
  /** The tile column / row whose interior holds each cell column / row. */
  columnOf: Int32Array
  rowOf: Int32Array
  /** For each cell column, the first cell column after it in another tile column. */
  columnEnd: Int32Array
  /** Every tile's interior as it was when the tile was last refreshed: the source of the current output. */
  composite: Plane
  /** This frame's cell SADs against `composite`. */
  sads: Int32Array
  /**
   * Summed-area table of the 8x8 blocks (2x2 cells, one per cell but the last row and column) whose
   * SAD against `composite` is above the threshold: entry (y + 1) · cellsPerRow + x + 1 counts those
   * with origin before (x + 1, y + 1).
   */
  over: Int32Array
}

export interface Layout {
  width: number
  height: number
  columns: number
  rows: number
  tiles: TileState[]
  grids: [PlaneGrid, PlaneGrid, PlaneGrid]
  /** The frame count at which each tile was last refreshed. */
  epochs: Int32Array
}

/** Copies the cells of `range` from a plane into `buffer`, rows of `bufferStride` words from `bufferOffset`. */
export function copyCells(plane: Plane, range: CellRange, buffer: Uint32Array, bufferOffset: number, bufferStride: number): void {
  const stride = plane.stride >> 2
  const { words } = plane
  const width = range.c1 - range.c0
  // Rows are a few dozen words: a plain loop beats creating a subarray per row.
  for (let y = 4 * range.r0, to = bufferOffset; y < 4 * range.r1; y++, to += bufferStride) {
    for (let x = 0, from = y * stride + range.c0; x < width; x++) buffer[to + x] = words[from + x]
  }
}

/**
 * The parts of `window` around `interior`: the rows above and below, and the columns beside it
 * (empty parts left out), each with the offset of its first word in the window's copy.
 */
function ringOf(window: CellRange, interior: CellRange): CellRange[] {
  const parts: CellRange[] = [
    { ...window, r1: interior.r0 },
    { ...window, r0: interior.r1 },
    { ...window, r0: interior.r0, r1: interior.r1, c1: interior.c0 },
    { ...window, r0: interior.r0, r1: interior.r1, c0: interior.c1 },
  ]
  const wordsPerRow = window.c1 - window.c0
  return parts
    .filter((part) => part.c1 > part.c0 && part.r1 > part.r0)
    .map((part) => ({ ...part, offset: window.offset + 4 * (part.r0 - window.r0) * wordsPerRow + part.c0 - window.c0 }))
}

/** This frame's cell SADs against the composite of the tiles' references, and the table of blocks over `threshold`. */
export function measurePlane(plane: Plane, grid: PlaneGrid, threshold: number): void {
  measurePlaneSimd(plane.data, grid.composite.data, grid.cellsPerRow, grid.cellRows, threshold, grid.sads, grid.over)
}

/** Blocks over the threshold among those with origins in [bx0, bx1) x [by0, by1). */
export function blocksOver(grid: PlaneGrid, bx0: number, bx1: number, by0: number, by1: number): number {
  if (bx1 <= bx0 || by1 <= by0) return 0
  const { over, cellsPerRow: width } = grid
  return over[by1 * width + bx1] - over[by0 * width + bx1] - over[by1 * width + bx0] + over[by0 * width + bx0]
}

/** Which tile owns each cell of a plane whose tiles are `size` samples wide (a multiple of 4). */
export function planeGrid(plane: Plane, size: number, columns: number, rows: number): PlaneGrid {
  const cellsPerRow = plane.stride >> 2
  const cellRows = plane.rows >> 2
  const owner = (cells: number, tiles: number) => Int32Array.from({ length: cells }, (_, cell) => Math.min(tiles - 1, Math.floor((4 * cell) / size)))
  const columnOf = owner(cellsPerRow, columns)
  const columnEnd = Int32Array.from(columnOf, (column) => (column === columns - 1 ? cellsPerRow : ((column + 1) * size) / 4))
  const data = new Uint8Array(plane.stride * plane.rows)
  const composite = { ...plane, data, words: new Uint32Array(data.buffer) }
  const sads = new Int32Array(cellsPerRow * cellRows)
  return { cellsPerRow, cellRows, columnOf, columnEnd, rowOf: owner(cellRows, rows), composite, sads, over: new Int32Array(sads.length) }
}

/** Cells [first, end) of the interior of tile `i` of `tiles` along one axis of `cells` cells (the last tile takes the padding too). */
function interiorSpan(i: number, tiles: number, tileCells: number, cells: number): [number, number] {
  return [i * tileCells, i === tiles - 1 ? cells : (i + 1) * tileCells]
}

/** The interior widened by `halo` cells, and to at least 2 cells (one 8x8 block), inside [0, cells). */
function windowSpan([start, end]: [number, number], halo: number, cells: number): [number, number] {
  let from = Math.max(0, start - halo)
  let to = Math.min(cells, end + halo)
  if (to - from < 2) {
    to = Math.min(cells, from + 2)
    from = Math.max(0, to - 2)
  }
  return [from, to]
}

/** A tile's interior and window cells in the three planes (chroma at half resolution), and its reference buffer. */
export function tileState(grids: PlaneGrid[], grid: { columns: number; rows: number; size: number; halo: number }, column: number, row: number): TileState {
  let offset = 0
  const windows: CellRange[] = []
  const interiors: CellRange[] = []
  grids.forEach((plane, p) => {
    const sub = p === 0 ? 1 : 2
    const [tileCells, haloCells] = [grid.size / 4 / sub, grid.halo / 4 / sub]
    const [i0, i1] = interiorSpan(column, grid.columns, tileCells, plane.cellsPerRow)
    const [j0, j1] = interiorSpan(row, grid.rows, tileCells, plane.cellRows)
    interiors.push({ c0: i0, c1: i1, r0: j0, r1: j1, offset: 0 })
    const [c0, c1] = windowSpan([i0, i1], haloCells, plane.cellsPerRow)
    const [r0, r1] = windowSpan([j0, j1], haloCells, plane.cellRows)
    windows.push({ c0, c1, r0, r1, offset })
    offset += (c1 - c0) * 4 * (r1 - r0)
  })
  const luma = grids[0]
  const neighbours: number[] = []
  for (let r = luma.rowOf[windows[0].r0]; r <= luma.rowOf[windows[0].r1 - 1]; r++) {
    for (let c = luma.columnOf[windows[0].c0]; c <= luma.columnOf[windows[0].c1 - 1]; c++) neighbours.push(r * grid.columns + c)
  }
  const rings = windows.map((window, p) => ringOf(window, interiors[p])) as TileState['rings']
  return { windows: windows as TileState['windows'], interiors: interiors as TileState['interiors'], rings, neighbours: Int32Array.from(neighbours), words: new Uint32Array(offset) }
}

// Changed tiles: for a kept frame, the tiles of a grid whose source pixels, including a halo around
// each tile (the upscaling model's receptive radius), changed against the source that produced the
// tile's current output. Each tile keeps its own reference, so small changes never add up: a tile
// that is reused always comes from a source within the threshold of the current one.
import { cellRowSads, type Plane, type Planes } from './mpdecimate'

/** The grid and the threshold of tile tracking (validated by the options). */
export interface TileSettings {
  /** Tile side in source pixels, a multiple of 8 (whole 4x4 cells in the half-resolution chroma); the last column and row may be narrower. */
  size: number
  /** Source pixels around each tile whose change also changes the tile (at least the model's receptive radius). */
  halo: number
  /** An 8x8 block (blocks every 4 pixels, Y'CbCr as mpdecimate sees it) whose SAD against the tile's reference is above this changes the tile. */
  threshold: number
}

/** Which tiles of a kept frame must be upscaled again: what stage-upscale's tile reuse takes. */
export interface TileChanges {
  /** The source frame's size. */
  width: number
  height: number
  /** The grid: tiles of `size` x `size` source pixels from (0, 0), `columns` x `rows` of them. */
  size: number
  /** Source pixels around each tile that were compared too. */
  halo: number
  columns: number
  rows: number
  /** Row-major, one per tile: 1 = upscale the tile again, 0 = reuse its previous output. */
  changed: Uint8Array
  /** Share of the frame's pixels inside changed tiles, 0..1. */
  share: number
}

/** A source rectangle in pixels, as a custom detector reports a changed region. */
export interface ChangedRegion {
  x: number
  y: number
  width: number
  height: number
}

/** Cells [c0, c1) x [r0, r1) of one plane (4x4 samples each); `offset`: the first word of their copy in a tile's buffer. */
interface CellRange {
  c0: number
  c1: number
  r0: number
  r1: number
  offset: number
}

interface TileState {
  /** The cells of its window (interior and halo) in each plane. */
  windows: [CellRange, CellRange, CellRange]
  /** The cells of its interior in each plane. */
  interiors: [CellRange, CellRange, CellRange]
  /** The samples of the windows when the tile was last refreshed, one plane after another, 4 to a word. */
  words: Uint32Array
}

/** One plane's view of the grid. */
interface PlaneGrid {
  cellsPerRow: number
  cellRows: number
  /** The tile column / row whose interior holds each cell column / row. */
  columnOf: Int32Array
  rowOf: Int32Array
  /** Every tile's interior as it was when the tile was last refreshed: the source of the current output. */
  composite: Plane
  /** This frame's cell SADs against `composite`. */
  sads: Int32Array
}

interface Layout {
  width: number
  height: number
  columns: number
  rows: number
  tiles: TileState[]
  grids: [PlaneGrid, PlaneGrid, PlaneGrid]
  /** The frame count at which each tile was last refreshed. */
  epochs: Int32Array
}

/** Interior of tile `i` along an axis of `length` pixels. */
function span(i: number, size: number, length: number): [number, number] {
  return [i * size, Math.min(length, (i + 1) * size)]
}

/** Pixels inside the changed tiles' interiors. */
function changedPixels(changed: Uint8Array, columns: number, size: number, width: number, height: number): number {
  let pixels = 0
  for (let t = 0; t < changed.length; t++) {
    if (!changed[t]) continue
    const [x0, x1] = span(t % columns, size, width)
    const [y0, y1] = span(Math.floor(t / columns), size, height)
    pixels += (x1 - x0) * (y1 - y0)
  }
  return pixels
}

/**
 * Tiles whose window (the tile and its halo) meets one of `regions`: the mask a custom detector's
 * changed regions give. Regions are clipped to the frame.
 */
export function tilesMeeting(regions: readonly ChangedRegion[], width: number, height: number, settings: Pick<TileSettings, 'size' | 'halo'>): Uint8Array {
  const { size, halo } = settings
  const columns = Math.ceil(width / size)
  const changed = new Uint8Array(columns * Math.ceil(height / size))
  for (const { x, y, width: w, height: h } of regions) {
    const [x0, x1, y0, y1] = [Math.max(0, x), Math.min(width, x + w), Math.max(0, y), Math.min(height, y + h)]
    if (x0 >= x1 || y0 >= y1) continue
    // Tile i's window is [i·size − halo, (i+1)·size + halo).
    const [c0, c1] = [Math.max(0, Math.floor((x0 - halo) / size)), Math.min(columns - 1, Math.floor((x1 - 1 + halo) / size))]
    const [r0, r1] = [Math.max(0, Math.floor((y0 - halo) / size)), Math.min(changed.length / columns - 1, Math.floor((y1 - 1 + halo) / size))]
    for (let r = r0; r <= r1; r++) changed.fill(1, r * columns + c0, r * columns + c1 + 1)
  }
  return changed
}

/** Copies the cells of `range` from a plane into `buffer`, rows of `bufferStride` words from `bufferOffset`. */
function copyCells(plane: Plane, range: CellRange, buffer: Uint32Array, bufferOffset: number, bufferStride: number): void {
  const stride = plane.stride >> 2
  const { words } = plane
  const width = range.c1 - range.c0
  // Rows are a few dozen words: a plain loop beats creating a subarray per row.
  for (let y = 4 * range.r0, to = bufferOffset; y < 4 * range.r1; y++, to += bufferStride) {
    for (let x = 0, from = y * stride + range.c0; x < width; x++) buffer[to + x] = words[from + x]
  }
}

/**
 * The per-tile references of one stream's kept frames. Sequential: each kept frame's changes are
 * measured against what the frames before it left.
 *
 * Each frame's 4x4 cells are compared once with the composite of the tiles' interiors. A tile's
 * halo cells lie in its neighbours' interiors; where a neighbour was refreshed together with the
 * tile, its reference there is the same frame and that SAD holds, otherwise the cell is compared
 * with the tile's own copy of its window.
 */
export class TileTracker {
  private layout: Layout | undefined
  private epoch = 0
  private blockRows = new Int32Array(0)

  constructor(private readonly settings: TileSettings) {}

  /** The tiles of this kept frame that changed; they take this frame as their reference. */
  detect(planes: Planes): TileChanges {
    const { layout, fresh } = this.layoutFor(planes)
    if (fresh) return this.refresh(planes, layout, new Uint8Array(layout.tiles.length).fill(1))
    layout.grids.forEach((grid, p) => compositeSads(planes[p], grid))
    const changed = new Uint8Array(layout.tiles.length)
    for (let t = 0; t < changed.length; t++) changed[t] = this.tileDiffers(planes, layout, t) ? 1 : 0
    return this.refresh(planes, layout, changed)
  }

  /**
   * A mask decided elsewhere (a custom detector's): the marked tiles take this frame as their
   * reference. The first frame, and the first of a new size, change every tile whatever the mask.
   */
  apply(planes: Planes, mask: Uint8Array): TileChanges {
    const { layout, fresh } = this.layoutFor(planes)
    return this.refresh(planes, layout, fresh ? new Uint8Array(layout.tiles.length).fill(1) : mask)
  }

  /** True when some 8x8 block (2x2 cells) of tile `t`'s window differs from its reference by more than the threshold. */
  private tileDiffers(planes: Planes, layout: Layout, t: number): boolean {
    const { epochs, columns } = layout
    const tile = layout.tiles[t]
    const rows = this.blockRows
    for (let p = 0; p < 3; p++) {
      const grid = layout.grids[p]
      const window = tile.windows[p]
      const width = window.c1 - window.c0
      for (let cy = window.r0; cy < window.r1; cy++) {
        const off = ((cy - window.r0) & 1) * width
        const owners = grid.rowOf[cy] * columns
        for (let cx = window.c0; cx < window.c1; cx++) {
          rows[off + cx - window.c0] =
            epochs[owners + grid.columnOf[cx]] === epochs[t] ? grid.sads[cy * grid.cellsPerRow + cx] : ownCellSad(planes[p], tile, window, cx, cy)
        }
        if (cy === window.r0) continue
        const prev = width - off
        for (let k = 0; k + 1 < width; k++) if (rows[prev + k] + rows[prev + k + 1] + rows[off + k] + rows[off + k + 1] > this.settings.threshold) return true
      }
    }
    return false
  }

  private refresh(planes: Planes, layout: Layout, changed: Uint8Array): TileChanges {
    this.epoch++
    layout.tiles.forEach((tile, t) => {
      if (!changed[t]) return
      layout.epochs[t] = this.epoch
      planes.forEach((plane, p) => {
        const window = tile.windows[p]
        copyCells(plane, window, tile.words, window.offset, window.c1 - window.c0)
        const { composite, cellsPerRow } = layout.grids[p]
        const interior = tile.interiors[p]
        copyCells(plane, interior, composite.words, 4 * interior.r0 * cellsPerRow + interior.c0, cellsPerRow)
      })
    })
    const { width, height, columns, rows } = layout
    const { size, halo } = this.settings
    return { width, height, size, halo, columns, rows, changed, share: changedPixels(changed, columns, size, width, height) / (width * height) }
  }

  /** The layout for this frame's size; `fresh` when it is new (no tile has a reference yet). */
  private layoutFor(planes: Planes): { layout: Layout; fresh: boolean } {
    const [{ width, height }] = planes
    if (this.layout && this.layout.width === width && this.layout.height === height) return { layout: this.layout, fresh: false }
    const { size, halo } = this.settings
    const columns = Math.ceil(width / size)
    const rows = Math.ceil(height / size)
    const grids = planes.map((plane, p) => planeGrid(plane, p === 0 ? size : size / 2, columns, rows)) as Layout['grids']
    const tiles: TileState[] = []
    // The halo in whole chroma cells (8 luma pixels): comparing a little more never breaks exactness.
    const grid = { columns, rows, size, halo: Math.ceil(halo / 8) * 8 }
    for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) tiles.push(tileState(grids, grid, c, r))
    this.layout = { width, height, columns, rows, tiles, grids, epochs: new Int32Array(tiles.length) }
    this.blockRows = new Int32Array(2 * grids[0].cellsPerRow)
    return { layout: this.layout, fresh: true }
  }
}

/** The cell SADs of a plane against the composite of the tiles' references. */
function compositeSads(plane: Plane, grid: PlaneGrid): void {
  const { cellsPerRow, cellRows, composite, sads } = grid
  for (let cy = 0; cy < cellRows; cy++) cellRowSads(plane.words, 4 * cy * cellsPerRow, cellsPerRow, composite.words, 4 * cy * cellsPerRow, cellsPerRow, cellsPerRow, sads, cy * cellsPerRow)
}

const oneCell = new Int32Array(1)

/** One cell's SAD against the tile's own copy of its window. */
function ownCellSad(plane: Plane, tile: TileState, window: CellRange, cx: number, cy: number): number {
  const width = window.c1 - window.c0
  cellRowSads(plane.words, 4 * cy * (plane.stride >> 2) + cx, plane.stride >> 2, tile.words, window.offset + 4 * (cy - window.r0) * width + cx - window.c0, width, 1, oneCell, 0)
  return oneCell[0]
}

/** Which tile owns each cell of a plane whose tiles are `size` samples wide (a multiple of 4). */
function planeGrid(plane: Plane, size: number, columns: number, rows: number): PlaneGrid {
  const cellsPerRow = plane.stride >> 2
  const cellRows = plane.rows >> 2
  const owner = (cells: number, tiles: number) => Int32Array.from({ length: cells }, (_, cell) => Math.min(tiles - 1, Math.floor((4 * cell) / size)))
  const data = new Uint8Array(plane.stride * plane.rows)
  const composite = { ...plane, data, words: new Uint32Array(data.buffer) }
  return { cellsPerRow, cellRows, columnOf: owner(cellsPerRow, columns), rowOf: owner(cellRows, rows), composite, sads: new Int32Array(cellsPerRow * cellRows) }
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
function tileState(grids: PlaneGrid[], grid: { columns: number; rows: number; size: number; halo: number }, column: number, row: number): TileState {
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
  return { windows: windows as TileState['windows'], interiors: interiors as TileState['interiors'], words: new Uint32Array(offset) }
}

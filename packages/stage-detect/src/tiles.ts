// Changed tiles: for a kept frame, the tiles of a grid whose source pixels, including a halo around
// each tile (the upscaling model's receptive radius), changed against the source that produced the
// tile's current output. Each tile keeps its own reference, so small changes never add up: a tile
// that is reused always comes from a source within the threshold of the current one.
import { cellRowSads, type Plane, type Planes } from './mpdecimate'
import { blocksOver, copyCells, measurePlane, planeGrid, tileState, type CellRange, type Layout, type PlaneGrid, type TileState } from './tile-grid'

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
  /** One window's cell sums (the halo ring's), row-major. */
  private cells = new Int32Array(0)

  constructor(private readonly settings: TileSettings) {}

  /** The tiles of this kept frame that changed; they take this frame as their reference. */
  detect(planes: Planes): TileChanges {
    const { layout, fresh } = this.layoutFor(planes)
    if (fresh) return this.refresh(planes, layout, new Uint8Array(layout.tiles.length).fill(1))
    layout.grids.forEach((grid, p) => measurePlane(planes[p], grid, this.settings.threshold))
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

  /**
   * True when some 8x8 block (2x2 cells) of tile `t`'s window differs from the tile's reference by
   * more than the threshold. Blocks inside the interior, and every block when the neighbours the
   * window reaches share the tile's reference (refreshed at the same frame), are read from the
   * composite's table; the other blocks of the halo ring cell by cell.
   */
  private tileDiffers(planes: Planes, layout: Layout, t: number): boolean {
    const tile = layout.tiles[t]
    const { epochs } = layout
    const uniform = tile.neighbours.every((u) => epochs[u] === epochs[t])
    // The table first, for every plane: the ring's sums cost far more than a look-up.
    for (let p = 0; p < 3; p++) {
      const { c0, c1, r0, r1 } = uniform ? tile.windows[p] : tile.interiors[p]
      if (blocksOver(layout.grids[p], c0, c1 - 1, r0, r1 - 1) > 0) return true
    }
    if (!uniform) for (let p = 0; p < 3; p++) if (this.ringDiffers(planes[p], layout.grids[p], layout, t, p)) return true
    return false
  }

  /** The blocks of tile `t`'s window that are not inside its interior, judged against its reference. */
  private ringDiffers(plane: Plane, grid: PlaneGrid, layout: Layout, t: number, p: number): boolean {
    const tile = layout.tiles[t]
    const window = tile.windows[p]
    const { c0: i0, c1: i1, r0: j0, r1: j1 } = tile.interiors[p]
    const { c0, c1, r0, r1 } = window
    const width = c1 - c0
    const cells = this.cells
    // The cells those blocks read: every row outside the interior's inner rows, and the columns beside it.
    for (let cy = r0; cy < r1; cy++) {
      if (cy <= j0 || cy >= j1 - 1) this.fillCells(plane, grid, layout, t, window, cy, c0, c1)
      else {
        this.fillCells(plane, grid, layout, t, window, cy, c0, Math.min(c1, i0 + 1))
        this.fillCells(plane, grid, layout, t, window, cy, Math.max(c0, i1 - 1), c1)
      }
    }
    const threshold = this.settings.threshold
    for (let by = r0; by + 1 < r1; by++) {
      const inner = by >= j0 && by + 1 < j1
      for (let bx = c0; bx + 1 < c1; bx++) {
        if (inner && bx >= i0 && bx + 1 < i1) {
          bx = i1 - 2 // the interior's blocks: judged from the table
          continue
        }
        const k = (by - r0) * width + bx - c0
        if (cells[k] + cells[k + 1] + cells[k + width] + cells[k + width + 1] > threshold) return true
      }
    }
    return false
  }

  /** Cell sums of row `cy`, columns [from, to), of tile `t`'s window into `this.cells`: the composite's where the owner shares the tile's reference, else against the tile's own copy. */
  private fillCells(plane: Plane, grid: PlaneGrid, layout: Layout, t: number, window: CellRange, cy: number, from: number, to: number): void {
    const { epochs, columns } = layout
    const { sads, cellsPerRow, columnOf, columnEnd, rowOf } = grid
    const { c0, r0, c1, offset } = window
    const width = c1 - c0
    const stride = plane.stride >> 2
    const owners = rowOf[cy] * columns
    const at = (cy - r0) * width - c0
    for (let cx = from; cx < to; ) {
      const end = Math.min(to, columnEnd[cx])
      if (epochs[owners + columnOf[cx]] === epochs[t]) for (let x = cx, row = cy * cellsPerRow; x < end; x++) this.cells[at + x] = sads[row + x]
      else cellRowSads(plane.words, 4 * cy * stride + cx, stride, layout.tiles[t].words, offset + 4 * (cy - r0) * width + cx - c0, width, end - cx, this.cells, at + cx)
      cx = end
    }
  }

  private refresh(planes: Planes, layout: Layout, changed: Uint8Array): TileChanges {
    this.epoch++
    for (let t = 0; t < changed.length; t++) {
      if (!changed[t]) continue
      layout.epochs[t] = this.epoch
      const tile = layout.tiles[t]
      for (let p = 0; p < 3; p++) {
        // The interior goes to the composite; the tile's own copy needs only the halo ring around it.
        const interior = tile.interiors[p]
        const { composite, cellsPerRow } = layout.grids[p]
        copyCells(planes[p], interior, composite.words, 4 * interior.r0 * cellsPerRow + interior.c0, cellsPerRow)
        const wordsPerRow = tile.windows[p].c1 - tile.windows[p].c0
        for (const ring of tile.rings[p]) copyCells(planes[p], ring, tile.words, ring.offset, wordsPerRow)
      }
    }
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
    this.cells = new Int32Array(Math.max(...tiles.map((tile) => (tile.windows[0].c1 - tile.windows[0].c0) * (tile.windows[0].r1 - tile.windows[0].r0))))
    return { layout: this.layout, fresh: true }
  }
}


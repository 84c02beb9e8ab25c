/** One tile: the interior it is responsible for and the window (interior + context) fed to the model. */
export interface Tile {
  /** Interior in input pixels, [x0, x1) × [y0, y1). */
  x0: number
  y0: number
  x1: number
  y1: number
  /** Window origin and size in input pixels; may extend past the image only for fixed-size models (edge-padded). */
  windowX: number
  windowY: number
  windowWidth: number
  windowHeight: number
}

export interface TileLayout {
  /** Interior size in input pixels; Infinity = the whole image in one tile. */
  tile: number
  /** Context on each side, in input pixels. */
  overlap: number
  /** Window size a fixed-size model requires. */
  fixedSize?: { width: number; height: number }
}

function axisTiles(length: number, tile: number, overlap: number, fixed: number | undefined): Array<[number, number, number, number]> {
  const spans: Array<[number, number, number, number]> = []
  const step = fixed !== undefined ? Math.max(1, Math.min(tile, fixed - 2 * overlap)) : tile
  for (let start = 0; start < length; start += step) {
    const end = Math.min(length, start + step)
    if (fixed !== undefined) {
      // The window must be exactly `fixed` long: slide it inside the image when the image is long enough.
      const windowStart = length >= fixed ? Math.min(Math.max(0, start - overlap), length - fixed) : 0
      spans.push([start, end, windowStart, fixed])
    } else {
      const windowStart = Math.max(0, start - overlap)
      spans.push([start, end, windowStart, Math.min(length, end + overlap) - windowStart])
    }
  }
  return spans
}

/** Splits a width x height image into tiles whose windows carry `overlap` pixels of context. */
export function planTiles(width: number, height: number, layout: TileLayout): Tile[] {
  const tile = Number.isFinite(layout.tile) ? layout.tile : Math.max(width, height)
  const columns = axisTiles(width, tile, layout.overlap, layout.fixedSize?.width)
  const rows = axisTiles(height, tile, layout.overlap, layout.fixedSize?.height)
  const tiles: Tile[] = []
  for (const [y0, y1, windowY, windowHeight] of rows) {
    for (const [x0, x1, windowX, windowWidth] of columns) {
      tiles.push({ x0, y0, x1, y1, windowX, windowY, windowWidth, windowHeight })
    }
  }
  return tiles
}

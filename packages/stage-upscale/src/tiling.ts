/** One tile: the interior it is responsible for and the window (interior + context) fed to the model. */
export interface Tile {
  /** Interior in input pixels, [x0, x1) × [y0, y1). */
  x0: number
  y0: number
  x1: number
  y1: number
  /**
   * Window origin and size in pixels of the padded picture (the picture itself when the model needs
   * no padding); may extend past the picture only for fixed-size models (edge-padded).
   */
  windowX: number
  windowY: number
  windowWidth: number
  windowHeight: number
  /** Input coordinates of the first pixel the model returns for the window (the window's origin less the padding, plus the border it consumes). */
  resultX: number
  resultY: number
}

/**
 * How a model's windows relate to the picture. Built-in and plain ONNX models need none of it;
 * imported ncnn models pad the picture (as their program did), lose a border to valid
 * convolutions and need aligned windows for their strided layers.
 */
export interface WindowGeometry {
  /** Pixels added on every side of the picture before the model sees it. */
  padding: number
  /** Pixels the model consumes on each side of a window: a window of L gives scale·(L − 2·border). */
  border: number
  /** Window positions and sizes are multiples of this. */
  align: number
  /** Smallest window the model accepts. */
  minWindow: number
}

export const PLAIN_GEOMETRY: WindowGeometry = { padding: 0, border: 0, align: 1, minWindow: 1 }

export interface TileLayout extends Partial<WindowGeometry> {
  /** Interior size in input pixels; Infinity = the whole image in one tile. */
  tile: number
  /** Context on each side, in input pixels. */
  overlap: number
  /** Window size a fixed-size model requires. */
  fixedSize?: { width: number; height: number }
}

/** A span of one axis: interior [start, end), window origin and length, result origin. */
type Span = [number, number, number, number, number]

/** Length of the padded picture along an axis: the padding on both sides, then rounded up to the alignment and the smallest window. */
export function paddedLength(length: number, geometry: WindowGeometry): number {
  const { padding, align, minWindow } = geometry
  return Math.ceil(Math.max(length + 2 * padding, minWindow) / align) * align
}

function fixedSpans(length: number, tile: number, overlap: number, fixed: number): Span[] {
  const spans: Span[] = []
  const step = Math.max(1, Math.min(tile, fixed - 2 * overlap))
  for (let start = 0; start < length; start += step) {
    // The window must be exactly `fixed` long: slide it inside the image when the image is long enough.
    const windowStart = length >= fixed ? Math.min(Math.max(0, start - overlap), length - fixed) : 0
    spans.push([start, Math.min(length, start + step), windowStart, fixed, windowStart])
  }
  return spans
}

function axisSpans(length: number, tile: number, overlap: number, geometry: WindowGeometry): Span[] {
  const { padding, border, align, minWindow } = geometry
  const padded = paddedLength(length, geometry)
  const shortest = Math.ceil(minWindow / align) * align
  const spans: Span[] = []
  // Equal interiors, not full tiles and a thin remainder: the largest window, which sets a call's
  // length and memory (the first call of a session pays for all its memory), is as small as the count allows.
  const step = Math.ceil(length / Math.ceil(length / tile))
  for (let start = 0; start < length; start += step) {
    const end = Math.min(length, start + step)
    let windowStart = Math.max(0, start + padding - overlap)
    windowStart -= windowStart % align
    let windowEnd = Math.ceil(Math.min(padded, end + padding + overlap) / align) * align
    if (windowEnd - windowStart < shortest) {
      windowEnd = Math.min(padded, windowStart + shortest)
      windowStart = windowEnd - shortest
    }
    spans.push([start, end, windowStart, windowEnd - windowStart, windowStart + border - padding])
  }
  return spans
}

/** Splits a width x height image into tiles whose windows carry `overlap` pixels of context. */
export function planTiles(width: number, height: number, layout: TileLayout): Tile[] {
  const tile = Number.isFinite(layout.tile) ? layout.tile : Math.max(width, height)
  const geometry: WindowGeometry = {
    padding: layout.padding ?? PLAIN_GEOMETRY.padding,
    border: layout.border ?? PLAIN_GEOMETRY.border,
    align: layout.align ?? PLAIN_GEOMETRY.align,
    minWindow: layout.minWindow ?? PLAIN_GEOMETRY.minWindow,
  }
  const { fixedSize } = layout
  const columns = fixedSize ? fixedSpans(width, tile, layout.overlap, fixedSize.width) : axisSpans(width, tile, layout.overlap, geometry)
  const rows = fixedSize ? fixedSpans(height, tile, layout.overlap, fixedSize.height) : axisSpans(height, tile, layout.overlap, geometry)
  const tiles: Tile[] = []
  for (const [y0, y1, windowY, windowHeight, resultY] of rows) {
    for (const [x0, x1, windowX, windowWidth, resultX] of columns) {
      tiles.push({ x0, y0, x1, y1, windowX, windowY, windowWidth, windowHeight, resultX, resultY })
    }
  }
  return tiles
}

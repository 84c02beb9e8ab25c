/** Mean |Δ luma| across tile borders: where a reused tile meets a refreshed one, in the output and in the full upscale. */
export interface Seams {
  /** Sums until `meanSeams`, then means. */
  reused: number
  full: number
  pixels: number
}

/** A tile grid over an image: `columns` x `rows` tiles of `tile` pixels from (0, 0), the last ones narrower. */
export interface Grid {
  columns: number
  rows: number
  tile: number
  width: number
  height: number
}

/**
 * Adds |Δ luma| across every border between two tiles of different kinds (`kinds`, row-major: zero
 * or not), in `out` and at the same places in `full`.
 */
export function addSeams(seams: Seams, kinds: ArrayLike<number>, grid: Grid, out: ArrayLike<number>, full: ArrayLike<number>): void {
  const { columns, rows, tile, width, height } = grid
  const across = (a: number, b: number) => {
    seams.reused += Math.abs(out[a] - out[b])
    seams.full += Math.abs(full[a] - full[b])
    seams.pixels++
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const t = r * columns + c
      const [y0, y1, x0, x1] = [r * tile, Math.min(height, (r + 1) * tile), c * tile, Math.min(width, (c + 1) * tile)]
      if (c + 1 < columns && !kinds[t] !== !kinds[t + 1]) for (let y = y0; y < y1; y++) across(y * width + x1 - 1, y * width + x1)
      if (r + 1 < rows && !kinds[t] !== !kinds[t + columns]) for (let x = x0; x < x1; x++) across((y1 - 1) * width + x, y1 * width + x)
    }
  }
}

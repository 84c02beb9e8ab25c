import { UpscaleError, describeValue } from '../errors'
import type { Tile } from '../tiling'

/**
 * Which tiles of a frame changed: the shape of stage-detect's `changedTiles` (any producer may make
 * one), declared here again on purpose: a stage imports no other stage, the shape is the contract. Tiles are `size` x `size` source pixels from (0, 0), `columns` x `rows` of them, the last
 * column and row narrower when the size does not divide the frame.
 */
export interface TileChanges {
  /** The source frame's size. */
  width: number
  height: number
  size: number
  /** Source pixels around each tile whose change was counted as the tile's: at least the reuser's `halo`. */
  halo: number
  columns: number
  rows: number
  /** Row-major, one per tile: non-zero = upscale the tile again, 0 = reuse its previous output. */
  changed: Uint8Array
}

/** What one frame cost: for a pipeline's plan and its "model work" figure. */
export interface ReusePlan {
  /** Tiles of the grid (1 when the frame was upscaled whole). */
  tiles: number
  /** Tiles upscaled again. */
  changedTiles: number
  /** Model calls: windows of grouped rectangles of changed tiles (1 for a whole frame, 0 when nothing changed). */
  calls: number
  /** Source pixels in the changed tiles over all source pixels, 0..1: the share of the frame upscaled. */
  share: number
  /** Source pixels the model ran on, halos included, over all source pixels (may exceed `share`). */
  modelShare: number
}

/** A rectangle of whole tiles: columns [c0, c1), rows [r0, r1). */
export interface TileRect {
  c0: number
  c1: number
  r0: number
  r1: number
}

/** Checks that `changes` describes a `width` x `height` frame with at least `halo` pixels of halo. */
export function validateChanges(changes: TileChanges, width: number, height: number, halo: number): void {
  const fail = (why: string) => new UpscaleError('E_INVALID_ARGUMENT', `changedTiles: ${why}`)
  if (changes === null || typeof changes !== 'object') throw fail(`expected { width, height, size, halo, columns, rows, changed } but received ${describeValue(changes)}`)
  const { size, columns, rows, changed } = changes
  if (changes.width !== width || changes.height !== height) throw fail(`describe a ${changes.width}x${changes.height} frame, but the image is ${width}x${height}`)
  if (!Number.isInteger(size) || size <= 0) throw fail(`expected positive integer for size but received ${describeValue(size)}`)
  if (columns !== Math.ceil(width / size) || rows !== Math.ceil(height / size)) {
    throw fail(`${describeValue(columns)} x ${describeValue(rows)} tiles of ${size} px do not cover ${width}x${height} (expected ${Math.ceil(width / size)} x ${Math.ceil(height / size)})`)
  }
  if (!(changed instanceof Uint8Array) || changed.length !== columns * rows) throw fail(`expected a Uint8Array of ${columns * rows} entries for changed`)
  if (!(typeof changes.halo === 'number' && changes.halo >= halo)) {
    throw fail(`a halo of ${describeValue(changes.halo)} px is less than this model needs (${halo} px): give the detector a halo of at least ${halo} (TileReuser's halo)`)
  }
}

/**
 * The changed tiles as few rectangles of whole tiles: runs of changed tiles in each row, and runs
 * with the same columns in consecutive rows merged. Unchanged tiles are never included, and every
 * merge removes a halo the model would otherwise compute twice.
 */
export function mergeChangedTiles(changed: Uint8Array, columns: number, rows: number): TileRect[] {
  const done: TileRect[] = []
  // Rectangles that reached the previous row, by their first column.
  let open = new Map<number, TileRect>()
  for (let r = 0; r < rows; r++) {
    const next = new Map<number, TileRect>()
    for (let c = 0; c < columns; c++) {
      if (!changed[r * columns + c]) continue
      let end = c + 1
      while (end < columns && changed[r * columns + end]) end++
      const above = open.get(c)
      if (above && above.c1 === end) {
        above.r1 = r + 1
        open.delete(c)
        next.set(c, above)
      } else next.set(c, { c0: c, c1: end, r0: r, r1: r + 1 })
      c = end
    }
    done.push(...open.values())
    open = next
  }
  return [...done, ...open.values()]
}

/**
 * A rectangle of tiles as the engine's Tile: its interior in source pixels and its window, widened
 * by `halo` inside the frame. The window is upscaled as a picture of its own (the engine pads it as
 * the model needs), so its result starts at the window's origin.
 */
export function rectWindow(rect: TileRect, size: number, width: number, height: number, halo: number): Tile {
  const [x0, x1, y0, y1] = [rect.c0 * size, Math.min(width, rect.c1 * size), rect.r0 * size, Math.min(height, rect.r1 * size)]
  const [windowX, windowY] = [Math.max(0, x0 - halo), Math.max(0, y0 - halo)]
  return { x0, y0, x1, y1, windowX, windowY, windowWidth: Math.min(width, x1 + halo) - windowX, windowHeight: Math.min(height, y1 + halo) - windowY, resultX: windowX, resultY: windowY }
}

/** A model call of one frame: the window upscaled, and the changed tiles pasted from its result. */
export interface ReuseCall {
  /** A rectangle of tiles widened by the halo. */
  window: Tile
  /** The rectangles of changed tiles inside it, as Tiles of that window: only these are pasted. */
  pastes: Tile[]
}

/**
 * What a model call costs beyond its pixels, in window pixels. A batch of 16 windows of 80x80 took
 * 552 CPU ms per megapixel as one call and 577 as 16 (README, "Batching"): about 300 pixels' worth
 * per call, rounded up for the copy in and the paste.
 */
const CALL_PIXELS = 512

function boundingBox(a: TileRect, b: TileRect): TileRect {
  return { c0: Math.min(a.c0, b.c0), c1: Math.max(a.c1, b.c1), r0: Math.min(a.r0, b.r0), r1: Math.max(a.r1, b.r1) }
}

/**
 * The changed tiles' rectangles grouped into model calls. Two calls become one, on the bounding box
 * of their rectangles, whenever that box's window costs fewer pixels than their two windows and a
 * call: runs of different widths in consecutive rows then share one window instead of computing each
 * other's halo. A box's tiles that did not change are computed but never pasted, so they keep their
 * previous output, which stage-detect's reference for them describes.
 */
export function groupChangedTiles(rects: TileRect[], windowPixels: (rect: TileRect) => number): TileRect[][] {
  const groups = rects.map((rect) => ({ box: rect, pixels: windowPixels(rect), members: [rect] }))
  for (let merged = true; merged; ) {
    merged = false
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const box = boundingBox(groups[i].box, groups[j].box)
        const pixels = windowPixels(box)
        if (pixels >= groups[i].pixels + groups[j].pixels + CALL_PIXELS) continue
        groups[i] = { box, pixels, members: [...groups[i].members, ...groups[j].members] }
        groups.splice(j, 1)
        // The grown box may now pay off with a group it was checked against before.
        j = i
        merged = true
      }
    }
  }
  return groups.map((group) => group.members)
}

/**
 * The model calls a frame needs: the changed tiles grouped into windows (widened by `halo`), or the
 * whole frame (`whole`) when there is no mask or every tile changed; and what that costs.
 */
export function planReuse(changes: TileChanges | undefined, width: number, height: number, halo: number): { calls: ReuseCall[]; whole: boolean; plan: ReusePlan } {
  const whole = !changes || changes.changed.every((changed) => changed !== 0)
  const calls = whole ? [wholeFrameCall(width, height)] : changeCalls(changes, width, height, halo)
  const area = (x0: number, x1: number, y0: number, y1: number) => (x1 - x0) * (y1 - y0)
  const pixels = width * height
  const plan: ReusePlan = {
    tiles: changes ? changes.changed.length : 1,
    changedTiles: changes ? changes.changed.reduce((sum, changed) => sum + (changed ? 1 : 0), 0) : 1,
    calls: calls.length,
    share: calls.reduce((sum, call) => sum + call.pastes.reduce((inner, t) => inner + area(t.x0, t.x1, t.y0, t.y1), 0), 0) / pixels,
    modelShare: calls.reduce((sum, { window: w }) => sum + w.windowWidth * w.windowHeight, 0) / pixels,
  }
  return { calls, whole, plan }
}

function wholeFrameCall(width: number, height: number): ReuseCall {
  const window = { x0: 0, y0: 0, x1: width, y1: height, windowX: 0, windowY: 0, windowWidth: width, windowHeight: height, resultX: 0, resultY: 0 }
  return { window, pastes: [window] }
}

function changeCalls(changes: TileChanges, width: number, height: number, halo: number): ReuseCall[] {
  const windowOf = (rect: TileRect) => rectWindow(rect, changes.size, width, height, halo)
  const rects = mergeChangedTiles(changes.changed, changes.columns, changes.rows)
  return groupChangedTiles(rects, (rect) => {
    const w = windowOf(rect)
    return w.windowWidth * w.windowHeight
  }).map((members) => {
    const window = windowOf(members.reduce(boundingBox))
    return { window, pastes: members.map((rect) => ({ ...window, ...interiorOf(windowOf(rect)) })) }
  })
}

function interiorOf({ x0, y0, x1, y1 }: Tile): Pick<Tile, 'x0' | 'y0' | 'x1' | 'y1'> {
  return { x0, y0, x1, y1 }
}

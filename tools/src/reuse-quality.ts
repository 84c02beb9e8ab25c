/**
 * Tile reuse and older-frame duplicates measured against full upscales through the stages themselves
 * (stage-detect's `references` and `tiles`, stage-upscale's TileReuser), for bench:reuse: each output
 * frame (a kept frame's reused-or-refreshed output, or a duplicate's repeat) is compared with the full
 * upscale of its own source on full-range luma. The quality bar itself is tested end to end through
 * core (pipeline-quality.ts).
 */
import { execFileSync } from 'node:child_process'
import { from, lastValueFrom, toArray } from 'rxjs'
import { resolveFfmpeg } from '@anime-upscaler/core'
import { detectDuplicates, type DetectedFrame, type TileChanges } from '@anime-upscaler/stage-detect'
import type { EngineImage, ReusePlan } from '@anime-upscaler/stage-upscale'
import { Psnrs, type PsnrSummary } from './psnrs'
import { addSeams, type Seams } from './seams'

export interface ClipFrame {
  index: number
  image: EngineImage & { data: Uint8Array; channels: 3 }
}

/** Decodes a clip to 8-bit RGB as stage-extract does for untagged SD video (BT.601, limited range, accurate rounding). */
export function decodeClip(file: string, width: number, height: number): ClipFrame[] {
  const raw = execFileSync(
    resolveFfmpeg(),
    ['-v', 'error', '-i', file, '-map', '0:v:0', '-an', '-vf', 'scale=in_color_matrix=bt601:in_range=tv:flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { maxBuffer: 1 << 30 },
  )
  const size = width * height * 3
  // Each frame in its own buffer: a view into the whole clip would be cloned whole when posted to a worker.
  return Array.from({ length: raw.length / size }, (_, index) => ({ index, image: { data: new Uint8Array(raw.subarray(index * size, (index + 1) * size)), width, height, channels: 3 as const } }))
}

export interface ReuseSettings {
  /** Tile side in source pixels (a multiple of 8); default stage-detect's. */
  tile?: number
  /** stage-detect's tile threshold (default: its DEFAULT_TILE_THRESHOLD). */
  threshold?: number
  /** Kept frames a frame is compared with. Default 1. */
  references?: number
}

export interface ReuseQuality {
  frames: number
  kept: number
  duplicates: number
  /** Duplicates of a kept frame older than the last one. */
  olderDuplicates: number
  /** Kept frames that reused at least one tile: their PSNR against the full upscale. */
  reused: PsnrSummary
  /** Kept frames whose every tile was upscaled (identical to the full upscale). */
  refreshed: number
  /** Duplicates with tile reuse (their kept frame's output) against their own full upscale. */
  duplicatesWithReuse: PsnrSummary
  /** The same duplicates as today: the full upscale of their kept frame. */
  duplicatesToday: PsnrSummary
  /** Duplicates of older kept frames, today's way (full upscale of the kept frame). */
  olderDuplicatesToday: PsnrSummary
  /** Source pixels in upscaled tiles over all source pixels of the clip (duplicates count 0). */
  share: number
  /** Source pixels the model ran on, halos included, over all source pixels. */
  modelShare: number
  /** Mean |Δ luma| across the borders between a reused and a refreshed tile: in the output, and at the same places in the full upscales. */
  seams: Seams
}

function lumaPsnr(a: Float64Array, b: Float64Array): number {
  let se = 0
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length))
}

/** Sums |Δ luma| across every border between a changed and an unchanged tile, in `out` and in `full`. */
function addTileSeams(seams: ReuseQuality['seams'], changes: TileChanges, out: Float64Array, full: Float64Array, scale: number): void {
  const { columns, rows, size, changed, width, height } = changes
  addSeams(seams, changed, { columns, rows, tile: size * scale, width: width * scale, height: height * scale }, out, full)
}

/** A kept frame's output and full upscale (luma), held for the duplicates that repeat it. */
interface Held {
  index: number
  output: Float64Array
  full: Float64Array
}

/** Scores a clip's frames in order: kept frames' outputs and duplicates' repeats against full upscales. */
export class ReuseScorer {
  private readonly held: Held[] = []
  private readonly psnrs = { reused: new Psnrs(), dupReuse: new Psnrs(), dupToday: new Psnrs(), olderToday: new Psnrs() }
  private readonly counts = { frames: 0, kept: 0, duplicates: 0, olderDuplicates: 0, refreshed: 0, share: 0, modelShare: 0 }
  private readonly seams = { reused: 0, full: 0, pixels: 0 }

  constructor(private readonly references: number) {}

  /** A kept frame: its output (reused or refreshed tiles) and its full upscale, luma at the model's scale. */
  kept(frame: DetectedFrame<ClipFrame>, output: Float64Array, full: Float64Array, plan: ReusePlan): void {
    const { counts } = this
    counts.frames++
    counts.kept++
    counts.share += plan.share
    counts.modelShare += plan.modelShare
    this.held.unshift({ index: frame.index, output, full })
    if (this.held.length > this.references) this.held.pop()
    if (plan.changedTiles === plan.tiles) {
      counts.refreshed++
      return
    }
    this.psnrs.reused.add(lumaPsnr(output, full))
    addTileSeams(this.seams, frame.changedTiles!, output, full, Math.round(Math.sqrt(output.length / (frame.image.width * frame.image.height))))
  }

  /** A duplicate: compared with the output of the kept frame it repeats, and (today's way) with that frame's full upscale. */
  duplicate(frame: DetectedFrame<ClipFrame>, full: Float64Array): void {
    const repeats = this.held.find((h) => h.index === frame.duplicateOf)
    if (!repeats) throw new Error(`Frame ${frame.index} repeats frame ${frame.duplicateOf}, which is not among the ${this.references} kept frames held`)
    this.counts.frames++
    this.counts.duplicates++
    this.psnrs.dupReuse.add(lumaPsnr(repeats.output, full))
    this.psnrs.dupToday.add(lumaPsnr(repeats.full, full))
    if (repeats !== this.held[0]) {
      this.counts.olderDuplicates++
      this.psnrs.olderToday.add(lumaPsnr(repeats.full, full))
    }
  }

  result(): ReuseQuality {
    const { counts, seams, psnrs } = this
    return {
      ...counts,
      share: counts.share / counts.frames,
      modelShare: counts.modelShare / counts.frames,
      seams: { reused: seams.reused / seams.pixels, full: seams.full / seams.pixels, pixels: seams.pixels },
      reused: psnrs.reused.summary(),
      duplicatesWithReuse: psnrs.dupReuse.summary(),
      duplicatesToday: psnrs.dupToday.summary(),
      olderDuplicatesToday: psnrs.olderToday.summary(),
    }
  }
}

/** stage-detect with `references` and `tiles` (of the reuser's halo) over a clip. */
export function detectClip(frames: ClipFrame[], settings: ReuseSettings, halo: number): Promise<DetectedFrame<ClipFrame>[]> {
  const tiles = { halo, ...(settings.tile === undefined ? {} : { size: settings.tile }), ...(settings.threshold === undefined ? {} : { threshold: settings.threshold }) }
  return lastValueFrom(from(frames).pipe(detectDuplicates({ references: settings.references ?? 1, tiles }), toArray()))
}

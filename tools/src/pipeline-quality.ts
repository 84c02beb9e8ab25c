/**
 * Issue 12's quality bar end to end: a clip through core's `upscaleVideo` with reuse, against the
 * same pipeline with reuse off and duplicates off (every frame upscaled whole), both to lossless
 * ffv1, compared frame by frame on luma (the outputs' Y planes, on the full-range scale).
 * Duplicates are also judged against today's whole-frame skipping.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Psnrs, type PsnrSummary } from './psnrs'
import { addSeams, type Seams } from './seams'
import { DEFAULTS, probe, resolveFfmpeg, upscaleVideoToFile, type PlannedFrame, type UpscaleVideoOptions, type VideoPlanFile } from '@anime-upscaler/core'

export interface PipelineQuality {
  frames: number
  kept: number
  duplicates: number
  /** Duplicates of a kept frame older than the last one. */
  olderDuplicates: number
  /** Every frame that is not a duplicate (tiles refreshed or reused) against the full upscale. */
  keptFrames: PsnrSummary
  /** Duplicates of the last kept frame: with reuse, and today's way (the full upscale of the kept frame), against their own full upscale. */
  duplicatesWithReuse: PsnrSummary
  duplicatesToday: PsnrSummary
  /** Duplicates of older kept frames with reuse. */
  olderDuplicatesWithReuse: PsnrSummary
  /** core's model work: source pixels upscaled over all source pixels (done event). */
  modelWork: number
  /** Mean |Δ luma| across borders between a reused and a refreshed tile: in the output, and at the same places in the full upscale. */
  seams: Seams
  /** Frame timestamps of the output equal those of the full run. */
  sameTimestamps: boolean
}

/** Limited-range luma spans 219 levels (16..235): PSNR and differences on that scale equal those on full-range luma. */
const LUMA_RANGE = 219
const TO_FULL_RANGE = 255 / LUMA_RANGE

/** Luma PSNR of two Y planes, on the full-range scale. */
function lumaPsnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2
  return se === 0 ? Infinity : 10 * Math.log10((LUMA_RANGE * LUMA_RANGE) / (se / a.length))
}

/** The Y plane of every frame of a video, read one frame at a time from ffmpeg (a clip at 1280x720 would not fit in memory whole). */
async function* lumaFrames(file: string, width: number, height: number): AsyncGenerator<Uint8Array> {
  const child = spawn(resolveFfmpeg(), ['-v', 'error', '-i', file, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let frame = new Uint8Array(width * height)
  let filled = 0
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; ) {
        const taken = Math.min(frame.length - filled, chunk.length - offset)
        frame.set(chunk.subarray(offset, offset + taken), filled)
        filled += taken
        offset += taken
        if (filled === frame.length) {
          yield frame
          frame = new Uint8Array(width * height)
          filled = 0
        }
      }
    }
  } finally {
    child.kill()
  }
}

/** Timestamps of every frame of a video, as ffmpeg's framecrc lists them. */
function timestamps(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(resolveFfmpeg(), ['-v', 'error', '-i', file, '-map', '0:v', '-f', 'framecrc', '-'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()))
    child.on('error', reject)
    child.on('close', () => resolve(text.split('\n').filter((line) => /^\d/.test(line)).map((line) => line.split(',')[2].trim())))
  })
}

/**
 * Seams of a kept frame: its tiles that equal the full upscale (refreshed, or reused from an
 * identical source) against those that differ, at the borders between the two kinds.
 */
function addFrameSeams(seams: Seams, out: Uint8Array, full: Uint8Array, width: number, height: number, tile: number): void {
  const grid = { columns: Math.ceil(width / tile), rows: Math.ceil(height / tile), tile, width, height }
  const exact = new Uint8Array(grid.columns * grid.rows)
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.columns; c++) exact[r * grid.columns + c] = sameRegion(out, full, width, c * tile, r * tile, Math.min(width, (c + 1) * tile), Math.min(height, (r + 1) * tile)) ? 1 : 0
  }
  addSeams(seams, exact, grid, out, full)
}

function sameRegion(a: Uint8Array, b: Uint8Array, width: number, x0: number, y0: number, x1: number, y1: number): boolean {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (a[y * width + x] !== b[y * width + x]) return false
  return true
}

export interface QualityRun {
  clip: string
  /** Where the three outputs and plans go. */
  dir: string
  /** Options of every run (model, workers, …). */
  options: UpscaleVideoOptions
  /** The reuse run's own options (default: core's defaults). */
  reuse?: Pick<UpscaleVideoOptions, 'reuse' | 'reuseRefs' | 'reuseTileSize' | 'reuseThreshold'>
}

/** Runs the clip three ways through core and scores the reuse run against the full one. */
export async function measurePipeline({ clip, dir, options, reuse = {} }: QualityRun): Promise<PipelineQuality> {
  const lossless = { ...options, encoder: { codec: 'ffv1' as const }, overwrite: true }
  const run = async (name: string, extra: UpscaleVideoOptions): Promise<Run> => {
    const output = join(dir, `${name}.mkv`)
    const planFile = join(dir, `${name}.json`)
    const done = await upscaleVideoToFile(clip, output, { ...lossless, ...extra, planFile })
    const plan = JSON.parse(await readFile(planFile, 'utf8')) as VideoPlanFile
    return { output, modelWork: done.modelWork, frames: plan.frames }
  }
  const full = await run('full', { reuse: 'off', dedup: { detector: 'off' } })
  const reused = await run('reuse', reuse)
  const { video } = await probe(full.output)
  const scale = video.width / (await probe(clip)).video.width
  return score({ full, reused, width: video.width, height: video.height, tile: (reuse.reuseTileSize ?? DEFAULTS.reuse.tileSize) * scale })
}

interface Run {
  output: string
  modelWork: number
  frames: PlannedFrame[]
}

interface Scoring {
  full: Run
  reused: Run
  width: number
  height: number
  /** Tile side in output pixels. */
  tile: number
}

/**
 * Walks both outputs frame by frame. A duplicate today repeats the full upscale of its kept frame,
 * so the full run's frames also give today's figure for every duplicate of the last kept frame.
 */
async function score({ full, reused, width, height, tile }: Scoring): Promise<PipelineQuality> {
  const psnrs = { kept: new Psnrs(), dupReuse: new Psnrs(), dupToday: new Psnrs(), older: new Psnrs() }
  const seams = { reused: 0, full: 0, pixels: 0 }
  const readers = [full, reused].map((run) => lumaFrames(run.output, width, height)[Symbol.asyncIterator]())
  let lastKept: { index: number; full?: Uint8Array } = { index: -1 }
  let olderDuplicates = 0
  for (let i = 0; ; i++) {
    const [f, r] = await Promise.all(readers.map((reader) => reader.next()))
    if (f.done || r.done) break
    const planned = reused.frames[i]
    if (planned.decision === 'upscale') {
      lastKept = { index: i, full: f.value }
      psnrs.kept.add(lumaPsnr(r.value, f.value))
      if ((planned.upscaledShare ?? 1) < 1) addFrameSeams(seams, r.value, f.value, width, height, tile)
    } else if (planned.duplicateOf === lastKept.index) {
      psnrs.dupReuse.add(lumaPsnr(r.value, f.value))
      psnrs.dupToday.add(lumaPsnr(lastKept.full!, f.value))
    } else {
      olderDuplicates++
      psnrs.older.add(lumaPsnr(r.value, f.value))
    }
  }
  const [fullTimes, reusedTimes] = await Promise.all([timestamps(full.output), timestamps(reused.output)])
  const duplicates = reused.frames.filter((frame) => frame.decision === 'duplicate').length
  return {
    frames: reused.frames.length,
    kept: reused.frames.length - duplicates,
    duplicates,
    olderDuplicates,
    keptFrames: psnrs.kept.summary(),
    duplicatesWithReuse: psnrs.dupReuse.summary(),
    duplicatesToday: psnrs.dupToday.summary(),
    olderDuplicatesWithReuse: psnrs.older.summary(),
    modelWork: reused.modelWork,
    seams: { ...seams, reused: (TO_FULL_RANGE * seams.reused) / seams.pixels, full: (TO_FULL_RANGE * seams.full) / seams.pixels },
    sameTimestamps: fullTimes.length === reusedTimes.length && fullTimes.every((time, k) => time === reusedTimes[k]),
  }
}

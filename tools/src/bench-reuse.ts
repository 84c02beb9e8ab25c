/**
 * `pnpm bench:reuse`: the measurements behind issue 12's parameters, through the stages (not core).
 *
 *   node tools/dist/bench-reuse.js [--clips hero,short] [--only references,tiles,batching,detect]
 *                                  [--tiles 32,48,64,96] [--thresholds 192,384] [--repeat 3] [--fixtures DIR]
 *
 * - references: kept frames and duplicates (of the last / an older kept frame) for K = 1..16, and the
 *   memory K held outputs take at the output size.
 * - tiles: per tile size and threshold, the model work and the quality of the reused frames against
 *   full upscales (anime4k-l). Outputs are composed from the full upscales' tiles, which is what
 *   TileReuser computes (its tiles are bit-identical to a full upscale's: tests/reuse.test.ts).
 * - batching: CPU milliseconds of the model on the clips' real masks, one call per changed tile vs
 *   per tile, per rectangle, rectangles grouped into calls (the reuser's) vs whole kept frames (one session, one thread), interleaved `--repeat` times.
 * - detect: CPU ms per 1280x720 frame of detection with and without tiles, on one thread.
 */
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { from, lastValueFrom, toArray } from 'rxjs'
import { resolveFfmpeg } from '@anime-upscaler/core'
import { detectDuplicates, type DetectedFrame } from '@anime-upscaler/stage-detect'
import { UpscaleEngine, createUpscaler, mergeChangedTiles, planReuse, type EngineImage, type TileChanges, type Upscaler } from '@anime-upscaler/stage-upscale'
import { fixturePaths } from './bench/fixtures'
import { lumaPlane } from './metrics'
import { ReuseScorer, decodeClip, detectClip, type ClipFrame, type ReuseQuality } from './reuse-quality'

const MODEL = 'anime4k-l'
const [WIDTH, HEIGHT] = [640, 360]
const HALO = 8 // anime4k-l's receptive radius: TileReuser.halo for one pass
const SECTIONS = ['references', 'tiles', 'batching', 'detect'] as const

const pct = (share: number) => `${(100 * share).toFixed(1)} %`
const dB = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '—')
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

function table(header: string[], rows: Array<Array<string | number>>): void {
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`)
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
  console.log()
}

async function references(clips: Record<string, ClipFrame[]>): Promise<void> {
  console.log('## References: frames that repeat one of the last K kept frames (default detector)\n')
  const rows: Array<Array<string | number>> = []
  for (const [clip, frames] of Object.entries(clips)) {
    for (const k of [1, 2, 4, 8, 16]) {
      const out = await lastValueFrom(from(frames).pipe(detectDuplicates({ references: k }), toArray()))
      const kept: number[] = []
      let older = 0
      for (const f of out) {
        if (f.duplicateOf === undefined) kept.unshift(f.index)
        else if (f.duplicateOf !== kept[0]) older++
      }
      rows.push([clip, k, kept.length, frames.length - kept.length, older])
    }
  }
  table(['clip', 'K', 'kept', 'duplicates', 'of an older kept frame'], rows)
  const sizes: Array<[string, number]> = [
    ['1280x720 yuv420p', 1280 * 720 * 1.5],
    ['1280x720 RGB', 1280 * 720 * 3],
    ['3840x2160 yuv420p', 3840 * 2160 * 1.5],
    ['3840x2160 RGB', 3840 * 2160 * 3],
    ['3840x2160 RGB 16-bit', 3840 * 2160 * 6],
  ]
  console.log('Memory of the K outputs stage-save holds (duplicateCacheSize = K), MiB:\n')
  table(['output', ...[1, 4, 8, 16].map((k) => `K = ${k}`)], sizes.map(([name, bytes]) => [name, ...[1, 4, 8, 16].map((k) => ((k * bytes) / 2 ** 20).toFixed(0))]))
}

/** Full upscales' luma of every frame, computed once per clip, a few frames at a time. */
async function fullLumas(frames: ClipFrame[], upscaler: Upscaler, each: (index: number, luma: Float64Array) => void): Promise<void> {
  for (let start = 0; start < frames.length; start += 8) {
    const chunk = frames.slice(start, start + 8)
    const outputs = await Promise.all(chunk.map((f) => upscaler.upscale(f.image)))
    outputs.forEach((image, i) => each(chunk[i].index, lumaPlane(image)))
  }
}

/** One setting's run, its outputs composed from full upscales' tiles as TileReuser does. */
class Simulation {
  private canvas: Float64Array | undefined
  readonly scorer: ReuseScorer

  constructor(
    readonly name: { tile: number; threshold: number },
    private readonly detected: DetectedFrame<ClipFrame>[],
  ) {
    this.scorer = new ReuseScorer(1)
  }

  frame(index: number, full: Float64Array): void {
    const frame = this.detected[index]
    if (frame.duplicateOf !== undefined) return this.scorer.duplicate(frame, full)
    const changes = frame.changedTiles!
    const { plan, whole } = planReuse(changes, WIDTH, HEIGHT, HALO)
    this.canvas = whole || !this.canvas ? full : pasteTiles(this.canvas, full, changes)
    this.scorer.kept(frame, this.canvas, full, plan)
  }
}

/** A copy of `canvas` (luma at 2x) with the changed tiles' interiors taken from `full`. */
function pasteTiles(canvas: Float64Array, full: Float64Array, changes: TileChanges): Float64Array {
  const next = canvas.slice()
  const [ow, oh] = [2 * changes.width, 2 * changes.height]
  for (const rect of mergeChangedTiles(changes.changed, changes.columns, changes.rows)) {
    const [x0, x1] = [2 * rect.c0 * changes.size, Math.min(ow, 2 * rect.c1 * changes.size)]
    for (let y = 2 * rect.r0 * changes.size; y < Math.min(oh, 2 * rect.r1 * changes.size); y++) next.set(full.subarray(y * ow + x0, y * ow + x1), y * ow + x0)
  }
  return next
}

async function tiles(clips: Record<string, ClipFrame[]>, sizes: number[], thresholds: number[], upscaler: Upscaler): Promise<void> {
  console.log(`## Tiles: model work and quality against full upscales (${MODEL}, halo ${HALO}, K = 1)\n`)
  const rows: Array<Array<string | number>> = []
  for (const [clip, frames] of Object.entries(clips)) {
    const runs: Simulation[] = []
    for (const threshold of thresholds) for (const tile of sizes) runs.push(new Simulation({ tile, threshold }, await detectClip(frames, { tile, threshold }, HALO)))
    await fullLumas(frames, upscaler, (index, luma) => runs.forEach((run) => run.frame(index, luma)))
    for (const run of runs) rows.push([clip, run.name.threshold, run.name.tile, ...qualityRow(run.scorer.result())])
  }
  table(['clip', 'threshold', 'tile', 'kept', 'model work (tiles)', 'with halos, merged', 'reused frames mean / min dB', 'duplicates mean / min dB (today)', 'seams |Δ luma| (full upscale)'], rows)
}

function qualityRow(q: ReuseQuality): Array<string | number> {
  return [
    `${q.kept} of ${q.frames}`,
    pct(q.share),
    pct(q.modelShare),
    `${dB(q.reused.mean)} / ${dB(q.reused.min)}`,
    `${dB(q.duplicatesWithReuse.mean)} / ${dB(q.duplicatesWithReuse.min)} (${dB(q.duplicatesToday.mean)} / ${dB(q.duplicatesToday.min)})`,
    `${q.seams.reused.toFixed(2)} (${q.seams.full.toFixed(2)})`,
  ]
}

/** The windows one kept frame's model calls run on: per changed tile, per rectangle of changed tiles, rectangles grouped (the reuser's calls), or the whole frame. */
function windowsOf(changes: TileChanges, mode: Mode): Array<[number, number, number, number]> {
  if (mode === 'whole frame') return [[0, 0, WIDTH, HEIGHT]]
  const alone = (cells: (t: number) => boolean) => ({ ...changes, changed: changes.changed.map((_, t) => (cells(t) ? 1 : 0)) })
  const masks =
    mode === 'grouped'
      ? [changes]
      : mode === 'rectangles'
        ? mergeChangedTiles(changes.changed, changes.columns, changes.rows).map((r) => alone((t) => t % changes.columns >= r.c0 && t % changes.columns < r.c1 && Math.floor(t / changes.columns) >= r.r0 && Math.floor(t / changes.columns) < r.r1))
        : [...changes.changed.keys()].filter((t) => changes.changed[t]).map((t) => alone((u) => u === t))
  return masks.flatMap((mask) => planReuse(mask, WIDTH, HEIGHT, HALO).calls.map(({ window: w }) => [w.windowX, w.windowY, w.windowWidth, w.windowHeight] as [number, number, number, number]))
}

const MODES = ['per tile', 'rectangles', 'grouped', 'whole frame'] as const
type Mode = (typeof MODES)[number]

function crop(image: EngineImage, [x, y, width, height]: [number, number, number, number]): EngineImage {
  const data = new Uint8Array(width * height * 3)
  for (let row = 0; row < height; row++) data.set(image.data.subarray(((y + row) * image.width + x) * 3, ((y + row) * image.width + x + width) * 3), row * width * 3)
  return { data, width, height, channels: 3 }
}

async function batching(clips: Record<string, ClipFrame[]>, sizes: number[], repeat: number): Promise<void> {
  console.log(`## Batching: model CPU ms on the real masks (${MODEL}, one session, 1 thread; median of ${repeat} interleaved runs)\n`)
  const engine = await UpscaleEngine.create({ model: MODEL, threads: 1 })
  try {
    const rows: Array<Array<string | number>> = []
    for (const [clip, frames] of Object.entries(clips)) {
      // Every kept frame after the first (which is upscaled whole whatever the setting), with its mask.
      const masks = new Map<number, Array<{ image: EngineImage; changes: TileChanges }>>()
      for (const tile of sizes) masks.set(tile, (await detectClip(frames, { tile }, HALO)).flatMap((f) => (f.changedTiles && f.index > 0 ? [{ image: f.image, changes: f.changedTiles }] : [])))
      for (let i = 0; i < 3; i++) await engine.upscale(frames[0].image)
      const times = new Map<string, { ms: number[]; pixels: number }>()
      for (let r = 0; r < repeat; r++) {
        for (const [tile, list] of masks) {
          for (const mode of MODES) {
            if (mode === 'whole frame' && tile !== sizes[0]) continue
            // CPU time of the whole process (one onnxruntime thread): waiting for a core on a busy machine does not count.
            let pixels = 0
            const before = process.cpuUsage()
            for (const { image, changes } of list) {
              for (const window of windowsOf(changes, mode)) {
                pixels += window[2] * window[3]
                await engine.upscale(crop(image, window))
              }
            }
            const used = process.cpuUsage(before)
            const ms = (used.user + used.system) / 1000
            const key = mode === 'whole frame' ? 'whole kept frames' : `${tile} px, ${mode}`
            times.set(key, { ms: [...(times.get(key)?.ms ?? []), ms], pixels })
          }
        }
      }
      for (const [key, { ms, pixels }] of times) {
        const perFrame = median(ms) / frames.length
        rows.push([clip, key, perFrame.toFixed(1), pct(pixels / (frames.length * WIDTH * HEIGHT)), ((median(ms) / pixels) * 1e6).toFixed(0), ms.map((m) => (m / frames.length).toFixed(1)).join(', ')])
      }
    }
    table(['clip', 'calls', 'CPU ms per source frame', 'source pixels through the model', 'CPU ms per megapixel through the model', 'each run'], rows)
  } finally {
    await engine.close()
  }
}

async function detect(file: string, repeat: number): Promise<void> {
  const [width, height, count] = [1280, 720, 120]
  console.log(`## Detection: CPU ms per ${width}x${height} frame on the calling thread (worker: false; min of ${repeat})\n`)
  const raw = execFileSync(resolveFfmpeg(), ['-v', 'error', '-i', file, '-vf', `scale=${width}:${height}:flags=lanczos,format=rgb24`, '-frames:v', String(count), '-f', 'rawvideo', 'pipe:1'], { maxBuffer: 1 << 30 })
  const frames = Array.from({ length: count }, (_, index) => ({ index, image: { data: new Uint8Array(raw.subarray(index * width * height * 3, (index + 1) * width * height * 3)), width, height, channels: 3 } }))
  const settings: Array<[string, Parameters<typeof detectDuplicates>[0]]> = [
    ['K = 1 (today)', { references: 1 }],
    ['K = 8', { references: 8 }],
    ['K = 8, tiles 48', { references: 8, tiles: { size: 48, halo: HALO } }],
    ['K = 8, tiles 64', { references: 8, tiles: { size: 64, halo: HALO } }],
  ]
  const best = new Map<string, number>()
  for (let r = 0; r < repeat; r++) {
    for (const [name, options] of settings) {
      const before = process.cpuUsage()
      await lastValueFrom(from(frames).pipe(detectDuplicates({ ...options, worker: false }), toArray()))
      const used = process.cpuUsage(before)
      best.set(name, Math.min(best.get(name) ?? Infinity, (used.user + used.system) / 1000 / count))
    }
  }
  table(['detection', 'CPU ms per frame'], [...best].map(([name, ms]) => [name, ms.toFixed(2)]))
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clips: { type: 'string', default: 'hero,short' },
      only: { type: 'string', default: SECTIONS.join(',') },
      tiles: { type: 'string', default: '32,48,64,96' },
      thresholds: { type: 'string', default: '192,384' },
      repeat: { type: 'string', default: '3' },
      fixtures: { type: 'string' },
    },
  })
  const only = values.only!.split(',')
  for (const item of only) if (!SECTIONS.includes(item as (typeof SECTIONS)[number])) throw new Error(`Expected --only from ${SECTIONS.join(',')} but received '${item}'`)
  const numbers = (name: string, text: string) =>
    text.split(',').map((v) => {
      const n = Number(v)
      if (!Number.isInteger(n) || n <= 0) throw new Error(`Expected positive integers for --${name} but received '${text}'`)
      return n
    })
  const [sizes, thresholds, [repeat]] = [numbers('tiles', values.tiles!), numbers('thresholds', values.thresholds!), numbers('repeat', values.repeat!)]
  const paths = fixturePaths(values.fixtures, values.clips!.split(','))
  const clips = Object.fromEntries(Object.entries(paths).map(([name, file]) => [name, decodeClip(file, WIDTH, HEIGHT)]))
  console.log(`# bench:reuse (${new Date().toISOString()}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})\n`)
  if (only.includes('references')) await references(clips)
  if (only.includes('tiles')) {
    const upscaler = await createUpscaler({ model: MODEL })
    try {
      await tiles(clips, sizes, thresholds, upscaler)
    } finally {
      await upscaler.close()
    }
  }
  if (only.includes('batching')) await batching(clips, sizes, repeat)
  if (only.includes('detect')) await detect(paths.hero ?? Object.values(paths)[0], repeat)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})

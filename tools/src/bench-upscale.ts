/**
 * Upscaling speed: ms/frame and frames/s of the built-in models through the worker pool, for each
 * worker x thread layout that fits this machine, and the share of worker time spent outside
 * session.run (tiling, alpha, copies). Then RGB against Y'CbCr 4:2:0 output (what core sends a
 * yuv420p encoder). Then, from onnxruntime's profiler, where the session's own
 * time goes by operator type: convolutions versus the layout and type conversions that run inside
 * the graph. Last, duplicate detection (stage-detect's default detector, in its worker thread)
 * beside the default model's upscaling, in frames/s at 640x360 and 1920x1080: detection must never
 * be the pipeline's bottleneck. Frames are real pixels: the project's sample drawing.
 *
 *   pnpm bench:upscale [--frames N] [--models anime4k-s,anime4k-l] [--sizes 640x360,1280x720]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { Observable, count, lastValueFrom } from 'rxjs'
import sharp from 'sharp'
import { sampleSvg } from '@anime-upscaler/core'
import { detectDuplicates } from '@anime-upscaler/stage-detect'
import { DEFAULT_MODEL, buildAnime4kOnnx, createUpscaler, defaultLayout, loadAnime4kWeights, type Anime4kSize, type EngineImage } from '@anime-upscaler/stage-upscale'

interface Row {
  model: string
  size: string
  workers: number
  threads: number
  msPerFrame: number
  fps: number
  outsideRun: number
}

async function frame(width: number, height: number): Promise<EngineImage> {
  const { data, info } = await sharp(Buffer.from(sampleSvg(width, height))).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 }
}

function layouts(cores: number): Array<{ workers: number; threads: number }> {
  const result: Array<{ workers: number; threads: number }> = []
  for (let workers = 1; workers <= cores; workers *= 2) {
    for (let threads = 1; workers * threads <= cores; threads *= 2) result.push({ workers, threads })
  }
  return result
}

/** `yuv420`: the model outputs Y'CbCr 4:2:0 (BT.709 limited, as for a 720p encode) instead of RGB. */
async function measure(model: string, image: EngineImage, workers: number, threads: number, frames: number, yuv420 = false): Promise<Row> {
  const upscaler = await createUpscaler({ model, workers, threads })
  const run = () => (yuv420 ? upscaler.upscaleToYuv420(image, { matrix: 'bt709', range: 'tv' }) : upscaler.upscale(image))
  try {
    // onnxruntime's first runs are 2-3x slower: warm every worker before timing.
    await Promise.all(Array.from({ length: workers * 2 }, run))
    const before = { ...upscaler.timing }
    const started = performance.now()
    await Promise.all(Array.from({ length: frames }, run))
    const seconds = (performance.now() - started) / 1000
    const inference = upscaler.timing.inferenceMs - before.inferenceMs
    const total = upscaler.timing.totalMs - before.totalMs
    return {
      model,
      size: `${image.width}x${image.height} → ${image.width * 2}x${image.height * 2}`,
      workers,
      threads,
      msPerFrame: (seconds * 1000) / frames,
      fps: frames / seconds,
      outsideRun: 1 - inference / total,
    }
  } finally {
    await upscaler.close()
  }
}

async function main(): Promise<void> {
  // Sessions opened here directly: without this, onnxruntime's telemetry files stay in the temp folder.
  process.env.ORT_DISABLE_TELEMETRY ??= '1'
  const { values } = parseArgs({
    options: {
      frames: { type: 'string', default: '24' },
      models: { type: 'string', default: 'anime4k-s,anime4k-l' },
      sizes: { type: 'string', default: '640x360,1280x720' },
    },
  })
  const frames = Number(values.frames)
  if (!Number.isInteger(frames) || frames <= 0) throw new Error(`Expected positive integer for --frames but received '${values.frames}'`)
  const cores = availableParallelism()
  console.log(`# bench:upscale — ${cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, node ${process.version}`)
  console.log('')
  console.log('| model | size | workers x threads | ms/frame | frames/s | outside session.run |')
  console.log('|---|---|---|---:|---:|---:|')
  const models = values.models.split(',')
  const images: EngineImage[] = []
  for (const size of values.sizes.split(',')) {
    const [width, height] = size.split('x').map(Number)
    const image = await frame(width, height)
    images.push(image)
    // Fewer frames at the larger size keep the whole run within a few minutes on 2 cores.
    const count = Math.max(4, Math.round(frames * ((640 * 360) / (width * height))))
    for (const model of models) {
      for (const { workers, threads } of layouts(cores)) {
        const row = await measure(model, image, workers, threads, count)
        console.log(`| ${row.model} | ${row.size} | ${row.workers} x ${row.threads} | ${row.msPerFrame.toFixed(1)} | ${row.fps.toFixed(2)} | ${(row.outsideRun * 100).toFixed(1)} % |`)
      }
    }
  }
  await printYuvOutput(models, images[0], frames)
  await printProfile(models, images[0])
  await printDetectionBesideUpscaling()
}

/**
 * RGB output against Y'CbCr 4:2:0 output (what core sends a yuv420p encoder), default layout,
 * three runs of each in turn; medians.
 */
async function printYuvOutput(models: string[], image: EngineImage, frames: number): Promise<void> {
  const { workers, threads } = defaultLayout()
  console.log('')
  console.log(`Model output as RGB or as Y'CbCr 4:2:0 (${image.width}x${image.height} → ${image.width * 2}x${image.height * 2}, ${workers} x ${threads}, 3 runs each in turn, medians):`)
  console.log('')
  console.log('| model | RGB ms/frame | yuv420p ms/frame | yuv420p / RGB |')
  console.log('|---|---:|---:|---:|')
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]
  for (const model of models) {
    const times: { rgb: number[]; yuv: number[] } = { rgb: [], yuv: [] }
    for (let round = 0; round < 3; round++) {
      times.rgb.push((await measure(model, image, workers, threads, frames)).msPerFrame)
      times.yuv.push((await measure(model, image, workers, threads, frames, true)).msPerFrame)
    }
    const [rgb, yuv] = [median(times.rgb), median(times.yuv)]
    console.log(`| ${model} | ${rgb.toFixed(1)} | ${yuv.toFixed(1)} | ${(yuv / rgb).toFixed(2)} |`)
  }
}

/**
 * Frames/s of the default detector through `detectDuplicates()` as core uses it (frames copied to
 * its worker, verdicts back in order). Frames cycle through the drawing, a repeat of it, and the
 * drawing with one region changed, so both verdicts occur.
 */
async function detectionFps(image: EngineImage, frames: number): Promise<number> {
  const changed = new Uint8Array(image.data)
  for (let y = 0; y < image.height >> 3; y++) changed.fill(255, (y * image.width + (image.width >> 1)) * 3, (y * image.width + (image.width >> 1) + 64) * 3)
  const pictures = [image.data as Uint8Array, image.data as Uint8Array, changed]
  const source = new Observable<{ index: number; image: EngineImage }>((subscriber) => {
    for (let index = 0; index < frames && !subscriber.closed; index++) subscriber.next({ index, image: { ...image, data: pictures[index % 3] } })
    subscriber.complete()
  })
  const started = performance.now()
  await lastValueFrom(source.pipe(detectDuplicates({ detector: 'default' }), count()))
  return (frames * 1000) / (performance.now() - started)
}

async function printDetectionBesideUpscaling(): Promise<void> {
  console.log('')
  console.log(`Duplicate detection (default detector, worker thread) beside upscaling with the default model (${DEFAULT_MODEL}, default layout), frames/s:`)
  console.log('')
  console.log('| input size | detection | upscaling 2x | detection / upscaling |')
  console.log('|---|---:|---:|---:|')
  for (const [width, height, upscaled] of [
    [640, 360, 24],
    [1920, 1080, 4],
  ]) {
    const image = await frame(width, height)
    const detect = await detectionFps(image, 240)
    const { workers, threads } = defaultLayout()
    const { fps } = await measure(DEFAULT_MODEL, image, workers, threads, upscaled)
    console.log(`| ${width}x${height} | ${detect.toFixed(0)} | ${fps.toFixed(2)} | ${(detect / fps).toFixed(0)}x |`)
  }
}

/** Operators that only move or convert samples: what the engine once did in JavaScript loops. */
const CONVERSION_OPS = new Set(['Transpose', 'Cast', 'QuantizeLinear', 'Pad', 'Reshape', 'Shape', 'Concat', 'Mul'])

interface ProfileEvent {
  cat?: string
  name: string
  dur: number
  args?: { op_name?: string }
}

/** Mean ms per run by operator type, from onnxruntime's profiler on one single-threaded session of a built-in model. */
async function profileOperators(model: string, image: EngineImage, runs: number): Promise<Map<string, number>> {
  const size = model.replace(/^anime4k-/, '') as Anime4kSize
  const dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-profile-'))
  try {
    const session = await ort.InferenceSession.create(buildAnime4kOnnx(loadAnime4kWeights(size), { samples: 'uint8' }), {
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      enableProfiling: true,
      profileFilePrefix: join(dir, 'profile'),
    })
    const input = new ort.Tensor('uint8', image.data as Uint8Array, [1, image.height, image.width, 3])
    // The profile covers every run, warm-up included: the first two runs are excluded below by op count.
    for (let i = 0; i < runs + 2; i++) await session.run({ input })
    session.endProfiling()
    await session.release()
    const events = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8')) as ProfileEvent[]
    const nodeRuns = events.filter((event) => event.cat === 'Node' && event.name.endsWith('_kernel_time'))
    const perRun = nodeRuns.length / (runs + 2)
    const byOp = new Map<string, number>()
    for (const event of nodeRuns.slice(2 * perRun)) {
      const op = event.args?.op_name ?? 'unknown'
      byOp.set(op, (byOp.get(op) ?? 0) + event.dur / 1000 / runs)
    }
    return byOp
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function printProfile(models: string[], image: EngineImage): Promise<void> {
  console.log('')
  console.log(`Inside session.run, ${image.width}x${image.height}, 1 thread (onnxruntime profiler, mean ms per frame by operator type):`)
  console.log('')
  console.log('| model | convolutions | blocked-layout reorders | layout and type conversions | other | conversions share |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (const model of models) {
    if (!/^anime4k-[sml]$/.test(model)) continue
    const byOp = await profileOperators(model, image, 8)
    const sum = (pick: (op: string) => boolean) => [...byOp].filter(([op]) => pick(op)).reduce((total, [, ms]) => total + ms, 0)
    const conv = sum((op) => op === 'Conv' || op === 'FusedConv' || op.startsWith('Nchwc'))
    const reorder = sum((op) => op.startsWith('Reorder'))
    const conversion = sum((op) => CONVERSION_OPS.has(op))
    const total = sum(() => true)
    const other = Math.max(0, total - conv - reorder - conversion)
    console.log(`| ${model} | ${conv.toFixed(1)} | ${reorder.toFixed(1)} | ${conversion.toFixed(1)} | ${other.toFixed(1)} | ${((conversion / total) * 100).toFixed(1)} % |`)
  }
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})

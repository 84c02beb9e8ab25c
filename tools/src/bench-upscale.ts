/**
 * Upscaling speed: ms/frame and frames/s of the built-in models through the worker pool, for each
 * worker x thread layout that fits this machine, and the share of worker time spent outside
 * session.run (layout conversion, tiling). Frames are real pixels: the project's sample drawing.
 *
 *   pnpm bench:upscale [--frames N] [--models anime4k-s,anime4k-l] [--sizes 640x360,1280x720]
 */
import { availableParallelism, cpus } from 'node:os'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { createUpscaler, type EngineImage } from '@anime-upscaler/stage-upscale'
import { sampleSvg } from './sample-art'

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

async function measure(model: string, image: EngineImage, workers: number, threads: number, frames: number): Promise<Row> {
  const upscaler = await createUpscaler({ model, workers, threads })
  try {
    // onnxruntime's first runs are 2-3x slower: warm every worker before timing.
    await Promise.all(Array.from({ length: workers * 2 }, () => upscaler.upscale(image)))
    const before = { ...upscaler.timing }
    const started = performance.now()
    await Promise.all(Array.from({ length: frames }, () => upscaler.upscale(image)))
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
  for (const size of values.sizes.split(',')) {
    const [width, height] = size.split('x').map(Number)
    const image = await frame(width, height)
    // Fewer frames at the larger size keep the whole run within a few minutes on 2 cores.
    const count = Math.max(4, Math.round(frames * ((640 * 360) / (width * height))))
    for (const model of values.models.split(',')) {
      for (const { workers, threads } of layouts(cores)) {
        const row = await measure(model, image, workers, threads, count)
        console.log(`| ${row.model} | ${row.size} | ${row.workers} x ${row.threads} | ${row.msPerFrame.toFixed(1)} | ${row.fps.toFixed(2)} | ${(row.outsideRun * 100).toFixed(1)} % |`)
      }
    }
  }
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})

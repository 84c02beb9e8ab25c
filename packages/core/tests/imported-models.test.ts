// Imported ncnn models in the video pipeline: by name from a models folder, in several workers,
// tiled exactly (global pooling included), handing the encoder Y'CbCr 4:2:0 (their RGB converted in the worker).
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { importModel, upscaleVideo, type VideoEvent } from '../src'
import { compactNetwork, seNetwork, writeModel } from '../../stage-upscale/tests/helpers/synthetic-models'
import { useTempDir } from './helpers'

const tempDir = useTempDir()
const ffmpeg = resolveFfmpeg()

async function upscaleClip(input: string, output: string, model: string, tile: number, frameFormat: 'auto' | 'rgb' = 'auto'): Promise<Extract<VideoEvent, { type: 'start' | 'done' }>[]> {
  const options = { model, modelsDir: join(tempDir(), 'models'), workers: 2, threads: 1, tile, frameFormat, encoder: { codec: 'ffv1' as const }, dedup: { detector: 'off' as const } }
  const events = await lastValueFrom(upscaleVideo(input, output, options).pipe(toArray()))
  return events.filter((e): e is Extract<VideoEvent, { type: 'start' | 'done' }> => e.type === 'start' || e.type === 'done')
}

test.each([
  ['se', seNetwork],
  ['compact', compactNetwork],
])('an imported model (%s) upscales a video in two workers, and 16 px tiles give the frames of whole-frame calls', async (name, network) => {
  await importModel(writeModel(tempDir(), name, network()), { modelsDir: join(tempDir(), 'models'), name })
  const input = join(tempDir(), `${name}.mkv`)
  execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24:duration=0.5', '-c:v', 'ffv1', input])
  const [tiled, whole] = [join(tempDir(), `${name}-tiled.mkv`), join(tempDir(), `${name}-whole.mkv`)]
  const [start, done] = await upscaleClip(input, tiled, name, 16)
  expect(start).toMatchObject({ type: 'start', workers: 2, frameFormat: 'yuv420p' })
  expect(done).toMatchObject({ type: 'done', frames: 12 })
  await upscaleClip(input, whole, name, 1000)
  const frames = (file: string) => execFileSync(ffmpeg, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], { maxBuffer: 1 << 26 })
  const [a, b] = [frames(tiled), frames(whole)]
  expect(a.length).toBe(12 * 128 * 96 * 1.5)
  expect(a.equals(b)).toBe(true)

  // RGB frames converted by the encoder's ffmpeg instead: the same luma, to rounding.
  const rgb = join(tempDir(), `${name}-rgb.mkv`)
  const [rgbStart] = await upscaleClip(input, rgb, name, 1000, 'rgb')
  expect(rgbStart).toMatchObject({ frameFormat: 'rgb' })
  const c = frames(rgb)
  let lumaWithin1 = 0
  for (let frame = 0; frame < 12; frame++) {
    for (let i = frame * 128 * 96 * 1.5, end = i + 128 * 96; i < end; i++) if (Math.abs(b[i] - c[i]) <= 1) lumaWithin1++
  }
  expect(lumaWithin1 / (12 * 128 * 96)).toBeGreaterThan(0.999)
})

// Imported ncnn models in the video pipeline: by name from a models folder, in several workers,
// tiled exactly (global pooling included), on the RGB path (their graphs have no Y'CbCr output).
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { importModel, upscaleVideo, type VideoEvent } from '../src'
import { compactNetwork, seNetwork, writeModel } from '../../stage-upscale/tests/helpers/synthetic-models'
import { useTempDir } from './helpers'

const tempDir = useTempDir()
const ffmpeg = resolveFfmpeg()

async function upscaleClip(input: string, output: string, model: string, tile: number): Promise<Extract<VideoEvent, { type: 'start' | 'done' }>[]> {
  const options = { model, modelsDir: join(tempDir(), 'models'), workers: 2, threads: 1, tile, encoder: { codec: 'ffv1' as const }, dedup: { detector: 'off' as const } }
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
  expect(start).toMatchObject({ type: 'start', workers: 2 })
  expect(done).toMatchObject({ type: 'done', frames: 12 })
  await upscaleClip(input, whole, name, 1000)
  const frames = (file: string) => execFileSync(ffmpeg, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 26 })
  const [a, b] = [frames(tiled), frames(whole)]
  expect(a.length).toBe(12 * 128 * 96 * 3)
  expect(a.equals(b)).toBe(true)
})

/**
 * The ncnn reference programs of ../shared/models/ncnn (see its SOURCES.md), run at test time,
 * and a replay of how they tile a picture, so that their outputs can be compared with imports.
 */
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import type { EngineImage, ImportedModelMetadata } from '../../src'
import { extractSubModel } from '../../src/onnx/submodel'
import { padPicture } from '../../src/padding'
import { NCNN_TEST_MODELS, type NcnnTestModel } from '../../../../tools/src/ncnn-models'

export const SHARED = path.resolve(__dirname, '../../../../../shared')
export const NCNN = path.join(SHARED, 'models/ncnn')
export const IMAGES = path.join(SHARED, 'fixtures/images')

/** One model of the test material, how its program runs it, and how closely the import must agree with it. */
export interface RunnerModel extends NcnnTestModel {
  /**
   * Share of samples expected within 2 levels of the program's output: 99.5 %, except for the
   * deep RRDBNet, where the program's own arithmetic moves ~1 % of the samples by 3 levels or more
   * (docs/models.md; float16 storage alone explains almost none of it).
   */
  agreement: number
}

export const RUNNER_MODELS: RunnerModel[] = NCNN_TEST_MODELS.map((m) => ({ ...m, agreement: m.name === 'x4plus-anime' ? 0.99 : 0.995 }))

/** Why the programs cannot run here (no test material, no Vulkan device), or undefined. */
export function runnerSkipReason(): string | undefined {
  if (!existsSync(path.join(NCNN, 'bin/waifu2x-ncnn-vulkan'))) return `ncnn test material not found at ${NCNN}`
  if (!existsSync(IMAGES)) return `fixtures not found at ${IMAGES}`
  // With no input the program stops after creating its Vulkan device; without one it says so and fails.
  const probe = spawnSync(path.join(NCNN, 'bin/waifu2x-ncnn-vulkan'), ['-i', '/nonexistent.png', '-o', '/nonexistent-out.png', '-m', 'waifu2x/models-cunet'], { cwd: NCNN, encoding: 'utf8', timeout: 60_000 })
  if (probe.error) return `the ncnn programs cannot start here (${probe.error.message})`
  if (probe.status !== 0 || /vkCreateInstance failed|invalid gpu device/.test(probe.stderr)) return `no Vulkan device for the ncnn programs (install mesa-vulkan-drivers libvulkan1 libgomp1): ${probe.stderr.trim().split('\n')[0]}`
  return undefined
}

/** Runs a model's program on every image of `input` into `output` (PNG), in one tile of `tile` pixels; `tta` adds -x. */
export async function runProgram(model: RunnerModel, input: string, output: string, options: { tile: number; tta?: boolean }): Promise<void> {
  // The programs take -o as a folder only when it exists.
  mkdirSync(output, { recursive: true })
  const args = ['-i', input, '-o', output, ...model.args, '-t', String(options.tile), '-f', 'png', ...(options.tta ? ['-x'] : [])]
  await promisify(execFile)(path.join(NCNN, 'bin', model.program), args, { cwd: NCNN, timeout: 300_000 })
}

export async function readImage(file: string): Promise<EngineImage> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels as 3 | 4 }
}

export interface Agreement {
  /** Share of samples within 2 levels, leaving out the program's wrapped samples. */
  within2: number
  /** Samples the program wrote as 255 where the import's value is at most 1: its 8-bit wrap of values below −0.5. */
  wrapped: number
  samples: number
}

/** How closely an import's output agrees with a program's, sample by sample. */
export function agreement(ours: EngineImage, theirs: EngineImage): Agreement {
  expect([ours.width, ours.height, ours.channels]).toEqual([theirs.width, theirs.height, theirs.channels])
  let within = 0
  let wrapped = 0
  for (let i = 0; i < ours.data.length; i++) {
    if (theirs.data[i] === 255 && ours.data[i] <= 1) wrapped++
    else if (Math.abs(ours.data[i] - theirs.data[i]) <= 2) within++
  }
  return { within2: within / (ours.data.length - wrapped), wrapped, samples: ours.data.length }
}

function planes(image: EngineImage): Float32Array {
  const { width, height, channels } = image
  const out = new Float32Array(3 * width * height)
  for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) out[c * width * height + p] = image.data[p * channels + c] / 255
  return out
}

/** Writes the network's output for one program tile into `target` (RGB, 8-bit, ncnn's round half up). */
function writeTile(target: EngineImage, output: ort.Tensor, x0: number, y0: number, width: number, height: number, skip: number): void {
  const [, , outHeight, outWidth] = output.dims
  const values = output.data as Float32Array
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = values[(c * outHeight + y + skip) * outWidth + x + skip] * 255 + 0.5
        target.data[((y0 + y) * target.width + x0 + x) * 3 + c] = Math.min(255, Math.max(0, Math.floor(v)))
      }
    }
  }
}

/** The program's tiles over a picture: interiors of `tile` pixels, each read with its padding around it (rounded up to even on the right and bottom, as waifu2x and realcugan do for 2x). */
function programTiles(image: EngineImage, tile: number, metadata: ImportedModelMetadata, even: boolean) {
  const { size, mode } = metadata.padding
  const padded = padPicture(image, size, image.width + 2 * size + 1, image.height + 2 * size + 1, mode)
  const windows: Array<{ x0: number; y0: number; width: number; height: number; window: EngineImage }> = []
  for (let y0 = 0; y0 < image.height; y0 += tile) {
    for (let x0 = 0; x0 < image.width; x0 += tile) {
      const width = Math.min(tile, image.width - x0)
      const height = Math.min(tile, image.height - y0)
      const [w, h] = [width + 2 * size + (even ? width % 2 : 0), height + 2 * size + (even ? height % 2 : 0)]
      const data = new Uint8Array(w * h * 3)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = padded.data[((y0 + y) * padded.width + x0 + x) * padded.channels + c]
      windows.push({ x0, y0, width, height, window: { data, width: w, height: h, channels: 3 } })
    }
  }
  return windows
}

/**
 * A program's own tiling replayed with an import's graph: every tile runs the whole network on its
 * window (so squeeze-and-excitation pools over the window, as waifu2x-ncnn-vulkan does), with the
 * pooled means `means` instead when given (realcugan's synchronised modes).
 */
export async function replayTiles(onnx: Uint8Array, metadata: ImportedModelMetadata, image: EngineImage, tile: number, means?: Float32Array[]): Promise<EngineImage> {
  const { input, output, pools, scale, border, padding } = metadata
  const model = means ? extractSubModel(onnx, [input, ...pools.map((p) => p.pooled)], [output]) : onnx
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 })
  const result: EngineImage = { data: new Uint8Array(image.width * image.height * scale * scale * 3), width: image.width * scale, height: image.height * scale, channels: 3 }
  for (const { x0, y0, width, height, window } of programTiles(image, tile, metadata, metadata.align > 1)) {
    const feeds: Record<string, ort.Tensor> = { [input]: new ort.Tensor('float32', planes(window), [1, 3, window.height, window.width]) }
    means?.forEach((m, k) => (feeds[pools[k].pooled] = new ort.Tensor('float32', m, [1, m.length, 1, 1])))
    const out = (await session.run(feeds))[output]
    writeTile(result, out, x0 * scale, y0 * scale, width * scale, height * scale, (padding.size - border) * scale)
  }
  await session.release()
  return result
}

/**
 * realcugan-ncnn-vulkan's default "very rough" pooling (sync gap mode 3, used when the picture is
 * larger than a tile): every pooled mean is estimated once, from 32x32 tiles taken every third
 * tile across and down, each pooled over its own window, and their means averaged.
 */
export async function veryRoughMeans(onnx: Uint8Array, metadata: ImportedModelMetadata, image: EngineImage): Promise<Float32Array[]> {
  const { input, pools } = metadata
  const session = await ort.InferenceSession.create(extractSubModel(onnx, [input], pools.map((p) => p.pooled)), { intraOpNumThreads: 1 })
  const sums = pools.map((p) => new Float64Array(p.channels))
  const columns = Math.ceil(image.width / 32)
  const rows = Math.ceil(image.height / 32)
  let count = 0
  for (const { x0, y0, window } of programTiles(image, 32, metadata, true)) {
    const [xi, yi] = [x0 / 32, y0 / 32]
    if (xi % 3 !== 0 || yi % 3 !== 0 || xi + 2 >= columns || yi + 2 >= rows) continue
    const results = await session.run({ [input]: new ort.Tensor('float32', planes(window), [1, 3, window.height, window.width]) })
    pools.forEach((p, k) => (results[p.pooled].data as Float32Array).forEach((v, c) => (sums[k][c] += v)))
    count++
  }
  await session.release()
  return sums.map((s) => Float32Array.from(s, (v) => v / count))
}

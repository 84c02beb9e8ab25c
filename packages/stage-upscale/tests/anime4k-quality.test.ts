import { existsSync } from 'node:fs'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { encodeOnnxModel } from '../src/onnx/model'
import { buildAnime4kOnnx, loadAnime4kWeights } from '../src/anime4k'

/**
 * Anime4K's published Bird benchmark: bird_lr.png upscaled 2x against bird_hr.png, PSNR on
 * full-range luma. Published: bilinear 23.03, Anime4K-M 24.73, Anime4K-L 24.94.
 */
const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/images')
const LR = path.join(FIXTURES, 'bird_lr.png')
const HR = path.join(FIXTURES, 'bird_hr.png')

interface RawRgb {
  data: Uint8Array
  width: number
  height: number
}

type Sharp = (file: string) => {
  removeAlpha(): { raw(): { toBuffer(options: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number } }> } }
}

function loadSharp(): Sharp | undefined {
  try {
    return require('sharp') as Sharp
  } catch {
    return undefined
  }
}

const sharp = loadSharp()
const skipReason = !existsSync(LR)
  ? `fixtures not found at ${FIXTURES}`
  : !sharp
    ? 'sharp is not resolvable from @anime-upscaler/stage-upscale'
    : undefined

async function decode(file: string): Promise<RawRgb> {
  const { data, info } = await sharp!(file).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/** Runs a 2x model on an 8-bit image; output rounded and clamped to 8 bits, as a saved frame would be. */
async function upscale(model: Uint8Array, image: RawRgb): Promise<RawRgb> {
  const { width, height } = image
  const plane = width * height
  const planes = new Float32Array(3 * plane)
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) planes[c * plane + i] = image.data[i * 3 + c] / 255
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' })
  try {
    const { output } = await session.run({ input: new ort.Tensor('float32', planes, [1, 3, height, width]) })
    const values = output.data as Float32Array
    const outPlane = 4 * plane
    const data = new Uint8Array(3 * outPlane)
    for (let i = 0; i < outPlane; i++) {
      for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.min(255, Math.max(0, Math.round(values[c * outPlane + i] * 255)))
    }
    return { data, width: 2 * width, height: 2 * height }
  } finally {
    await session.release()
  }
}

/** PSNR of Y = 0.299 R + 0.587 G + 0.114 B on 0..255 (full range, unrounded). */
function lumaPsnr(a: RawRgb, b: RawRgb): number {
  expect([a.width, a.height]).toEqual([b.width, b.height])
  const luma = (data: Uint8Array, i: number) => 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]
  let squared = 0
  for (let i = 0; i < a.data.length; i += 3) squared += (luma(a.data, i) - luma(b.data, i)) ** 2
  return 10 * Math.log10(255 ** 2 / (squared / (a.width * a.height)))
}

const bilinearModel = encodeOnnxModel({
  producerName: 'anime-upscaler',
  opsetVersion: 17,
  graph: {
    name: 'bilinear-2x',
    nodes: [
      {
        opType: 'Resize',
        inputs: ['input', '', 'scales'],
        outputs: ['output'],
        attributes: { mode: 'linear', coordinate_transformation_mode: 'half_pixel' },
      },
    ],
    initializers: [{ name: 'scales', dims: [4], data: new Float32Array([1, 1, 2, 2]) }],
    inputs: [{ name: 'input', dims: [1, 3, 'height', 'width'] }],
    outputs: [{ name: 'output', dims: [1, 3, 'output_height', 'output_width'] }],
  },
})

const describeBird = skipReason ? describe.skip : describe
describeBird(`Bird benchmark, full-range luma PSNR${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let lr: RawRgb
  let hr: RawRgb
  beforeAll(async () => {
    ;[lr, hr] = await Promise.all([decode(LR), decode(HR)])
  })

  test('bilinear reproduces the published 23.03 (checks the metric)', async () => {
    expect(lumaPsnr(await upscale(bilinearModel, lr), hr)).toBeCloseTo(23.03, 1)
  })

  test('Anime4K S beats the published FSRCNNX-16 (24.57)', async () => {
    const psnr = lumaPsnr(await upscale(buildAnime4kOnnx(loadAnime4kWeights('s')), lr), hr)
    console.log(`Bird luma PSNR, Anime4K S: ${psnr.toFixed(2)} dB`)
    expect(psnr).toBeGreaterThan(24.57)
  })

  test('Anime4K L reaches 25.0 (published Anime4K-L: 24.94)', async () => {
    const psnr = lumaPsnr(await upscale(buildAnime4kOnnx(loadAnime4kWeights('l')), lr), hr)
    console.log(`Bird luma PSNR, Anime4K L: ${psnr.toFixed(2)} dB`)
    expect(psnr).toBeGreaterThanOrEqual(25.0)
  })
})

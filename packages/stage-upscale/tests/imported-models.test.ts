import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ModelSession, UpscaleEngine, importModel, resample, type EngineImage, type EngineOptions } from '../src'
import { padPicture } from '../src/padding'
import { rgbToYuv420 } from '../src/yuv'
import { averageOrientations, orient, ORIENTATIONS } from '../src/tta'
import { random } from './helpers/ncnn-reference'
import { compactNetwork, seNetwork, writeModel } from './helpers/synthetic-models'

let dir: string
let models: string

/** A picture with smooth gradients and sharp random detail, odd-sized so alignment padding happens. */
function picture(width: number, height: number, channels: 3 | 4, seed = 3): EngineImage {
  const next = random(seed)
  const data = new Uint8Array(width * height * channels)
  for (let i = 0; i < data.length; i++) {
    const x = Math.floor(i / channels) % width
    data[i] = Math.max(0, Math.min(255, Math.round(128 + 60 * Math.sin(x / 5 + (i % channels)) + 60 * next())))
  }
  if (channels === 4) for (let p = 0; p < width * height; p++) data[p * 4 + 3] = p % width < width / 2 ? 255 : 40
  return { data, width, height, channels }
}

/** True when two sample arrays hold the same values. */
function identical(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

async function upscaleWith(options: EngineOptions, image: EngineImage): Promise<EngineImage> {
  const engine = await UpscaleEngine.create({ modelsDir: models, threads: 1, ...options })
  try {
    return await engine.upscale(image)
  } finally {
    await engine.close()
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imported-models-'))
  models = join(dir, 'models')
  await importModel(writeModel(dir, 'se', seNetwork()), { modelsDir: models, name: 'se' })
  await importModel(writeModel(dir, 'compact', compactNetwork()), { modelsDir: models, name: 'compact' })
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('imported models in the engine', () => {
  test('the metadata reaches ModelInfo: scale, border, padding, alignment, radius, global pooling', async () => {
    const engine = await UpscaleEngine.create({ model: 'se', modelsDir: models, threads: 1 })
    const { timing } = await engine.upscaleTimed(picture(20, 16, 3))
    await engine.close()
    expect(timing.inferenceMs).toBeGreaterThan(0)
    expect(engine.info).toMatchObject({ scale: 2, geometry: { padding: 4, border: 4, align: 2 }, paddingMode: 'edge', alpha: 'bicubic', globalPooling: true, yuv420: true })
    expect(engine.info.receptiveRadius).toBeGreaterThanOrEqual(4)
  })

  test('with global pooling, tiled output is identical to untiled (means over the whole picture)', async () => {
    const image = picture(45, 37, 3)
    const whole = await upscaleWith({ model: 'se' }, image)
    for (const tile of [8, 16, 23]) expect(identical((await upscaleWith({ model: 'se', tile }, image)).data, whole.data)).toBe(true)
    // Too little memory to keep every tile's intermediate results: each pooling's stage recomputes the tiles.
    expect(identical((await upscaleWith({ model: 'se', tile: 16, memoryBudget: 1 }, image)).data, whole.data)).toBe(true)
  })

  test('the whole-picture result is the network on the edge-padded picture, cropped', async () => {
    const image = picture(20, 14, 3)
    const padded = padPicture(image, 4, 28, 22, 'edge')
    // One model run on the padded picture as a window of its own (means over that window).
    const session = await ModelSession.load({ model: 'se', modelsDir: models, threads: 1 })
    const direct = await session.run(padded)
    await session.release()
    expect(direct).toMatchObject({ width: 40, height: 28 })
    expect(identical(direct.data, (await upscaleWith({ model: 'se' }, image)).data)).toBe(true)
  })

  test('a padded-convolution model with mirror pre-padding: tiled output is identical to untiled', async () => {
    const image = picture(41, 30, 3)
    const whole = await upscaleWith({ model: 'compact' }, image)
    expect(whole).toMatchObject({ width: 82, height: 60 })
    for (const tile of [7, 16]) expect(identical((await upscaleWith({ model: 'compact', tile }, image)).data, whole.data)).toBe(true)
  })

  test("alpha of ncnn imports is bicubic (a = −0.75), as their programs do; colour is unchanged by alpha", async () => {
    const rgba = picture(24, 18, 4)
    const result = await upscaleWith({ model: 'compact' }, rgba)
    const alpha = { data: Uint8Array.from({ length: 24 * 18 }, (_, i) => rgba.data[i * 4 + 3]), width: 24, height: 18, channels: 1 }
    const expected = resample(alpha, 48, 36, 'bicubic-a075')
    const actual = Uint8Array.from({ length: 48 * 36 }, (_, i) => result.data[i * 4 + 3])
    expect(identical(actual, expected.data)).toBe(true)
    const rgb = { data: Uint8Array.from({ length: 24 * 18 * 3 }, (_, i) => rgba.data[Math.floor(i / 3) * 4 + (i % 3)]), width: 24, height: 18, channels: 3 }
    const colour = await upscaleWith({ model: 'compact' }, rgb)
    expect(identical(Uint8Array.from({ length: 48 * 36 * 3 }, (_, i) => result.data[Math.floor(i / 3) * 4 + (i % 3)]), colour.data)).toBe(true)
  })
})

describe('TTA', () => {
  test('the 8 orientations are distinct and an equivariant pass comes back unchanged', async () => {
    const image = picture(5, 3, 3)
    expect(new Set(ORIENTATIONS.map((o) => Buffer.from(orient(image, o).data.buffer).toString('hex'))).size).toBe(8)
    const nearest2x = async (p: EngineImage) => resample(p, p.width * 2, p.height * 2, 'area')
    const averaged = await averageOrientations(image, nearest2x)
    expect(identical(averaged.data, resample(image, 10, 6, 'area').data)).toBe(true)
    expect(averaged.data).toBeInstanceOf(Uint8Array)
  })

  test.each(['se', 'compact'])('%s: Y\'CbCr 4:2:0 output is the 16-bit RGB result converted, identical tiled and untiled', async (model) => {
    const image = picture(30, 22, 3)
    const color = { matrix: 'bt709', range: 'tv' } as const
    const engine = await UpscaleEngine.create({ model, modelsDir: models, threads: 1 })
    const tiled = await UpscaleEngine.create({ model, modelsDir: models, threads: 1, tile: 12 })
    try {
      const yuv = await engine.upscaleToYuv420(image, color)
      expect(yuv).toMatchObject({ format: 'yuv420p', width: 60, height: 44 })
      const sixteen = await engine.upscale({ ...image, data: Uint16Array.from(image.data, (v) => v * 257) })
      expect(identical(yuv.data, rgbToYuv420(sixteen, color).data)).toBe(true)
      expect(identical((await tiled.upscaleToYuv420(image, color)).data, yuv.data)).toBe(true)
    } finally {
      await Promise.all([engine.close(), tiled.close()])
    }
  })

  test('tta averages 8 passes and stays exact with tiling, with global pooling too', async () => {
    const image = picture(30, 22, 3)
    const plain = await upscaleWith({ model: 'se' }, image)
    const tta = await upscaleWith({ model: 'se', tta: true }, image)
    expect(identical(tta.data, plain.data)).toBe(false)
    expect(identical((await upscaleWith({ model: 'se', tta: true, tile: 12 }, image)).data, tta.data)).toBe(true)
  })

  test('tta works with built-in models, to RGB and to Y\'CbCr (the averaged 16-bit result converted)', async () => {
    const engine = await UpscaleEngine.create({ model: 'anime4k-s', tta: true, threads: 1 })
    try {
      expect(engine.info.yuv420).toBe(true)
      const result = await engine.upscale(picture(16, 12, 4))
      expect(result).toMatchObject({ width: 32, height: 24, channels: 4 })
      const image = picture(16, 12, 3)
      const color = { matrix: 'bt709', range: 'pc', bitDepth: 10 } as const
      const yuv = await engine.upscaleToYuv420(image, color)
      const sixteen = await engine.upscale({ ...image, data: Uint16Array.from(image.data, (v) => v * 257) })
      expect(identical(yuv.data, rgbToYuv420(sixteen, color).data)).toBe(true)
      expect(yuv).toMatchObject({ format: 'yuv420p10le', width: 32, height: 24 })
    } finally {
      await engine.close()
    }
  })

  test('a tta that is not a boolean is refused', async () => {
    await expect(UpscaleEngine.create({ tta: 'yes' as unknown as boolean })).rejects.toThrow("Expected true or false for tta but received 'yes'")
  })
})

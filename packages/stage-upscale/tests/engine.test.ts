import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UpscaleEngine, type EngineImage } from '../src/engine'
import { encodeOnnxModel, type OnnxNode, type OnnxValueInfo } from '../src/onnx/model'
import { createUpscaler } from '../src/upscaler'
import { rgbToYuv420 } from '../src/yuv'

let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-engine-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface TestModel {
  input?: OnnxValueInfo
  output?: OnnxValueInfo
  nodes?: OnnxNode[]
  scale?: number
}

/** Writes an ONNX file: by default a nearest-neighbour 2x upscaler with input 'pixels' and output 'result'. */
function writeModel(name: string, model: TestModel = {}): string {
  const scale = model.scale ?? 2
  const input = model.input ?? { name: 'pixels', dims: [1, 3, 'h', 'w'] }
  const float16 = input.elementType === 'float16'
  const nodes: OnnxNode[] = model.nodes ?? [
    ...(float16 ? [{ opType: 'Cast', inputs: ['pixels'], outputs: ['as_float'], attributes: { to: 1 } }] : []),
    {
      opType: 'Resize',
      inputs: [float16 ? 'as_float' : 'pixels', '', 'scales'],
      outputs: [float16 ? 'big' : 'result'],
      attributes: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
    },
    ...(float16 ? [{ opType: 'Cast', inputs: ['big'], outputs: ['result'], attributes: { to: 10 } }] : []),
  ]
  const bytes = encodeOnnxModel({
    producerName: 'test',
    opsetVersion: 17,
    graph: {
      name,
      nodes,
      initializers: [{ name: 'scales', dims: [4], data: new Float32Array([1, 1, scale, scale]) }],
      inputs: [input],
      outputs: [model.output ?? { name: 'result', dims: [1, 3, 'oh', 'ow'], elementType: input.elementType }],
    },
  })
  const file = join(dir, `${name}.onnx`)
  writeFileSync(file, bytes)
  return file
}

/** A deterministic picture with edges and gradients (not noise: models behave as on real frames). */
function picture(width: number, height: number, channels: 3 | 4 = 3): EngineImage {
  const data = new Uint8Array(width * height * channels)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels
      const inCircle = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2
      data[i] = inCircle ? 230 : (x * 255) / width
      data[i + 1] = inCircle ? 60 : (y * 255) / height
      data[i + 2] = (x + y) % 16 < 8 ? 40 : 200
      if (channels === 4) data[i + 3] = x < width / 3 ? 0 : inCircle ? 255 : 128
    }
  }
  return { data, width, height, channels }
}

function nearest(image: EngineImage, scale: number): Uint8Array {
  const { width, height, channels } = image
  const out = new Uint8Array(width * scale * height * scale * channels)
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      for (let c = 0; c < channels; c++) out[(y * width * scale + x) * channels + c] = image.data[(Math.floor(y / scale) * width + Math.floor(x / scale)) * channels + c]
    }
  }
  return out
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

async function withEngine<T>(options: Parameters<typeof UpscaleEngine.create>[0], use: (engine: UpscaleEngine) => Promise<T>): Promise<T> {
  const engine = await UpscaleEngine.create(options)
  try {
    return await use(engine)
  } finally {
    await engine.close()
  }
}

describe('imported ONNX models: everything is discovered from the model', () => {
  test('float32 with dynamic size: names, dtype and scale (probed), exact output', async () => {
    await withEngine({ model: writeModel('nearest2x') }, async (engine) => {
      expect(engine.info).toMatchObject({ inputName: 'pixels', outputName: 'result', dtype: 'float32', scale: 2, fixedSize: undefined })
      const image = picture(37, 21)
      const out = await engine.upscale(image)
      expect([out.width, out.height]).toEqual([74, 42])
      expect(maxDifference(out.data, nearest(image, 2))).toBe(0)
    })
  })

  test('float16 input and output', async () => {
    const model = writeModel('nearest2x-f16', { input: { name: 'pixels', dims: [1, 3, 'h', 'w'], elementType: 'float16' } })
    await withEngine({ model }, async (engine) => {
      expect(engine.info.dtype).toBe('float16')
      const image = picture(19, 11)
      expect(maxDifference((await engine.upscale(image)).data, nearest(image, 2))).toBe(0)
    })
  })

  test('a fixed-size model gets fixed-size tiles, edge-padded where the image is smaller', async () => {
    const model = writeModel('nearest2x-fixed', { input: { name: 'pixels', dims: [1, 3, 16, 16] }, output: { name: 'result', dims: [1, 3, 32, 32] } })
    await withEngine({ model, tileOverlap: 2 }, async (engine) => {
      expect(engine.info.fixedSize).toEqual({ width: 16, height: 16 })
      for (const image of [picture(40, 23), picture(9, 5)]) {
        expect(maxDifference((await engine.upscale(image)).data, nearest(image, 2))).toBe(0)
      }
    })
  })

  test('a 4x model: scale probed, 4x is one pass, 16x two, 8x two passes then a downscale', async () => {
    await withEngine({ model: writeModel('nearest4x', { scale: 4 }) }, async (engine) => {
      expect(engine.info.scale).toBe(4)
      const image = picture(10, 6)
      expect(maxDifference((await engine.upscale(image)).data, nearest(image, 4))).toBe(0)
      expect(maxDifference((await engine.upscale(image, { scale: 16 })).data, nearest(image, 16))).toBe(0)
      const eight = await engine.upscale(image, { scale: 8 })
      expect([eight.width, eight.height]).toEqual([80, 48])
    })
  })

  test('models that are not image super-resolution models are refused with the reason', async () => {
    const rank3 = writeModel('rank3', {
      input: { name: 'x', dims: [3, 'h', 'w'] },
      output: { name: 'y', dims: [3, 'h', 'w'] },
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
    })
    await expect(UpscaleEngine.create({ model: rank3 })).rejects.toMatchObject({
      code: 'E_MODEL_UNSUPPORTED',
      message: expect.stringContaining('its input has rank 3 [3, h, w]; expected NCHW [1, 3, height, width]'),
    })
    const grey = writeModel('grey', {
      input: { name: 'x', dims: [1, 1, 'h', 'w'] },
      output: { name: 'y', dims: [1, 1, 'h', 'w'] },
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
    })
    await expect(UpscaleEngine.create({ model: grey })).rejects.toThrow('its input has 1 channels; expected 3 (RGB)')
    const corrupt = join(dir, 'corrupt.onnx')
    writeFileSync(corrupt, Buffer.from('not a protobuf at all'))
    await expect(UpscaleEngine.create({ model: corrupt })).rejects.toMatchObject({ code: 'E_MODEL_INVALID', message: expect.stringContaining('it is not a valid ONNX model') })
    mkdirSync(join(dir, 'folder.onnx'))
    await expect(UpscaleEngine.create({ model: join(dir, 'folder.onnx') })).rejects.toMatchObject({ code: 'E_MODEL_NOT_FOUND', message: expect.stringContaining('is a directory') })
    await expect(UpscaleEngine.create({ model: join(dir, 'absent.onnx') })).rejects.toMatchObject({ code: 'E_MODEL_NOT_FOUND' })
  })
})

describe('built-in models', () => {
  test.each(['anime4k-s', 'anime4k-l'])('%s: a tiled run equals an untiled run within 1/255, RGB and RGBA', async (model) => {
    await withEngine({ model, threads: 2 }, async (whole) => {
      await withEngine({ model, threads: 2, tile: 16 }, async (tiled) => {
        for (const image of [picture(70, 45), picture(33, 50, 4)]) {
          const a = await whole.upscale(image)
          const b = await tiled.upscale(image)
          expect([b.width, b.height, b.channels]).toEqual([image.width * 2, image.height * 2, image.channels])
          expect(maxDifference(a.data, b.data)).toBeLessThanOrEqual(1)
        }
      })
    })
  })

  test('16-bit images stay 16-bit and agree with the 8-bit result', async () => {
    await withEngine({ model: 'anime4k-s' }, async (engine) => {
      const image8 = picture(24, 18)
      const image16: EngineImage = { ...image8, data: Uint16Array.from(image8.data, (v) => v * 257) }
      const [out8, out16] = [await engine.upscale(image8), await engine.upscale(image16)]
      expect(out16.data).toBeInstanceOf(Uint16Array)
      expect(maxDifference(out8.data, Array.from(out16.data, (v) => Math.round(v / 257)))).toBeLessThanOrEqual(1)
    })
  })

  test('an image whose samples are a view into a larger buffer (byteOffset) gives the same result as a copy', async () => {
    await withEngine({ model: 'anime4k-s' }, async (engine) => {
      const image = picture(21, 13)
      const padded = new Uint8Array(image.data.length + 12)
      padded.set(image.data, 7)
      const view = { ...image, data: padded.subarray(7, 7 + image.data.length) }
      expect(maxDifference((await engine.upscale(view)).data, (await engine.upscale(image)).data)).toBe(0)
    })
  })

  test('a fully opaque alpha channel skips the alpha pass and stays opaque', async () => {
    await withEngine({ model: 'anime4k-s' }, async (engine) => {
      const rgba = picture(20, 12, 4)
      for (let i = 3; i < rgba.data.length; i += 4) rgba.data[i] = 255
      const out = await engine.upscale(rgba)
      expect(new Set(out.data.filter((_, i) => i % 4 === 3))).toEqual(new Set([255]))
    })
  })
})

describe('yuv420p output', () => {
  const bt709 = { matrix: 'bt709', range: 'tv' } as const

  /** BT.709 limited-range Y'CbCr of interleaved RGB, chroma the mean of each 2x2 block: the encoder's conversion, written out. */
  function toYuv420(rgb: Uint8Array, width: number, height: number): Uint8Array {
    const [kr, kb] = [0.2126, 0.0722]
    const at = (x: number, y: number) => [0, 1, 2].map((c) => rgb[(y * width + x) * 3 + c])
    const luma = ([r, g, b]: number[]) => kr * r + (1 - kr - kb) * g + kb * b
    const out = new Uint8Array((width * height * 3) / 2)
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = Math.round(16 + (219 / 255) * luma(at(x, y)))
    const chroma = width * height
    for (let y = 0; y < height / 2; y++) {
      for (let x = 0; x < width / 2; x++) {
        const block = [at(2 * x, 2 * y), at(2 * x + 1, 2 * y), at(2 * x, 2 * y + 1), at(2 * x + 1, 2 * y + 1)]
        const mean = (f: (p: number[]) => number) => block.reduce((sum, p) => sum + f(p), 0) / 4
        out[chroma + y * (width / 2) + x] = Math.round(128 + (224 / 255) * mean((p) => (p[2] - luma(p)) / (2 * (1 - kb))))
        out[(chroma * 5) / 4 + y * (width / 2) + x] = Math.round(128 + (224 / 255) * mean((p) => (p[0] - luma(p)) / (2 * (1 - kr))))
      }
    }
    return out
  }

  test.each(['anime4k-s', 'anime4k-l'])('%s: tiled equals untiled exactly, and both are the RGB result converted (unclipped overshoots aside)', async (model) => {
    await withEngine({ model }, async (whole) => {
      await withEngine({ model, tile: 16 }, async (tiled) => {
        const image = picture(70, 45)
        const yuv = await whole.upscaleToYuv420(image, bt709)
        expect(yuv).toMatchObject({ format: 'yuv420p', width: 140, height: 90, matrix: 'bt709', range: 'tv' })
        expect(yuv.data.length).toBe(140 * 90 * 1.5)
        expect(maxDifference((await tiled.upscaleToYuv420(image, bt709)).data, yuv.data)).toBe(0)

        // The RGB path clips each channel to 0..255 before converting; the model converts first, so
        // they differ only where the sharpening overshoots, and there by what was clipped.
        const rgb = await whole.upscale(image)
        const converted = toYuv420(rgb.data as Uint8Array, rgb.width, rgb.height)
        let within1 = 0
        for (let i = 0; i < converted.length; i++) if (Math.abs(converted[i] - yuv.data[i]) <= 1) within1++
        expect(within1 / converted.length).toBeGreaterThan(0.97)
      })
    })
  })

  test('through the worker pool; 16-bit input gives the 8-bit result; refused for RGBA', async () => {
    const upscaler = await createUpscaler({ model: 'anime4k-s', workers: 1 })
    try {
      const image = picture(24, 18)
      const yuv = await upscaler.upscaleToYuv420(image, bt709)
      expect(yuv).toMatchObject({ format: 'yuv420p', width: 48, height: 36 })
      const from16 = await upscaler.upscaleToYuv420({ ...image, data: Uint16Array.from(image.data, (v) => v * 257) }, bt709)
      expect(from16.data).toBeInstanceOf(Uint8Array)
      expect(maxDifference(from16.data, yuv.data)).toBeLessThanOrEqual(1)
      await expect(upscaler.upscaleToYuv420(picture(8, 8, 4), bt709)).rejects.toThrow('Expected 3 (RGB: yuv420p output has no alpha) for image.channels but received 4')
      await expect(upscaler.upscaleToYuv420(image, { matrix: 'bt601', range: 'tv' } as never)).rejects.toThrow("Expected { matrix: 'bt709' | 'smpte170m'")
      await expect(upscaler.upscaleToYuv420(image, undefined as never)).rejects.toThrow("Expected { matrix: 'bt709' | 'smpte170m'")
    } finally {
      await upscaler.close()
    }
  })

  test('rgbToYuv420: 16-bit RGB to 10-bit full-range BT.2020, written out independently; odd sizes refused', () => {
    const [width, height] = [6, 4]
    const rgb = Uint16Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 65536)
    const yuv = rgbToYuv420({ data: rgb, width, height, channels: 3 }, { matrix: 'bt2020nc', range: 'pc', bitDepth: 10 })
    expect(yuv).toMatchObject({ format: 'yuv420p10le', width, height })
    const [kr, kb] = [0.2627, 0.0593]
    const at = (x: number, y: number) => [0, 1, 2].map((c) => rgb[(y * width + x) * 3 + c] / 65535)
    const luma = ([r, g, b]: number[]) => kr * r + (1 - kr - kb) * g + kb * b
    const clip = (v: number) => Math.min(1023, Math.max(0, Math.round(v)))
    const expected: number[] = []
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) expected.push(clip(1023 * luma(at(x, y))))
    const cb: number[] = []
    const cr: number[] = []
    for (let y = 0; y < height; y += 2) {
      for (let x = 0; x < width; x += 2) {
        const block = [at(x, y), at(x + 1, y), at(x, y + 1), at(x + 1, y + 1)]
        const mean = (f: (p: number[]) => number) => block.reduce((sum, p) => sum + f(p), 0) / 4
        cb.push(clip(512 + 1023 * mean((p) => (p[2] - luma(p)) / (2 * (1 - kb)))))
        cr.push(clip(512 + 1023 * mean((p) => (p[0] - luma(p)) / (2 * (1 - kr)))))
      }
    }
    expect(Array.from(yuv.data)).toEqual([...expected, ...cb, ...cr])
    expect(() => rgbToYuv420({ data: new Uint8Array(5 * 4 * 3), width: 5, height: 4, channels: 3 }, bt709)).toThrow(
      'Expected an RGB picture of even width and height for yuv420p output but received 5x4x3',
    )
  })

  test('other models of an even scale: their RGB result converted, tiled or not; odd scales refused', async () => {
    const image = picture(30, 22)
    for (const scale of [2, 4]) {
      const model = writeModel(`nearest${scale}x-for-yuv`, { scale })
      await withEngine({ model }, async (whole) => {
        await withEngine({ model, tile: 8 }, async (tiled) => {
          expect(whole.info.yuv420).toBe(true)
          const yuv = await whole.upscaleToYuv420(image, bt709)
          expect(yuv).toMatchObject({ format: 'yuv420p', width: 30 * scale, height: 22 * scale })
          // Nearest neighbour: the RGB result is exact, so the conversion is the test's own, to rounding.
          const rgb = await whole.upscale(image)
          expect(maxDifference(toYuv420(rgb.data as Uint8Array, rgb.width, rgb.height), yuv.data)).toBeLessThanOrEqual(1)
          expect(maxDifference((await tiled.upscaleToYuv420(image, bt709)).data, yuv.data)).toBe(0)
        })
      })
    }
    await withEngine({ model: writeModel('nearest3x-for-yuv', { scale: 3 }) }, async (engine) => {
      expect(engine.info.yuv420).toBe(false)
      await expect(engine.upscaleToYuv420(picture(8, 8), bt709)).rejects.toThrow('upscales 3x, an odd scale: yuv420p output needs an even one; upscale to RGB instead')
    })
  })
})

describe('options and providers', () => {
  test('invalid options name the parameter and the value', async () => {
    await expect(UpscaleEngine.create({ tile: -3 })).rejects.toThrow('Expected positive integer for tile but received -3')
    await expect(UpscaleEngine.create({ tileOverlap: 1.5 })).rejects.toThrow('Expected non-negative integer for tileOverlap but received 1.5')
    await expect(UpscaleEngine.create({ threads: 0 })).rejects.toThrow('Expected positive integer for threads but received 0')
    await expect(createUpscaler({ workers: 0 })).rejects.toThrow('Expected positive integer for workers but received 0')
    await withEngine({ model: 'anime4k-s' }, async (engine) => {
      await expect(engine.upscale({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 })).rejects.toThrow('Expected 12 samples for a 2x2x3 image but received 5')
      await expect(engine.upscale(picture(4, 4), { scale: 0 })).rejects.toThrow('Expected positive number for scale but received 0')
    })
  })

  test('an unavailable provider falls back to CPU with one warning that says how to install it', async () => {
    const warnings: string[] = []
    const upscaler = await createUpscaler({ model: 'anime4k-s', provider: 'cuda', workers: 2, threads: 1, onWarning: (w) => warnings.push(w) })
    try {
      expect(upscaler.info.provider).toBe('cpu')
      expect(warnings).toEqual([expect.stringMatching(/^warning: provider 'cuda' is unavailable, using 'cpu' instead \(.*'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node'/)])
      expect((await upscaler.upscale(picture(8, 8))).width).toBe(16)
    } finally {
      await upscaler.close()
    }
    await expect(upscaler.upscale(picture(8, 8))).rejects.toMatchObject({ code: 'E_CLOSED' })
  })
})

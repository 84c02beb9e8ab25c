import * as ort from 'onnxruntime-node'
import {
  anime4kCost,
  buildAnime4kOnnx,
  loadAnime4kWeights,
  type Anime4kFlavor,
  type Anime4kSize,
  type Anime4kWeightsJson,
} from '../src/anime4k'

/**
 * Straight-from-the-file reference: the shader semantics written as plain loops, sharing no code
 * with the converter. `image` is RGB planes (CHW) in 0..1; returns RGB planes at 2x.
 */
/** 3x3 convolutions sample outside the image as the shaders do ('clamp' to the edge) or as our model does ('zero'). */
type Padding = 'clamp' | 'zero'

function referenceUpscale(weights: Anime4kWeightsJson, image: Float32Array, width: number, height: number, padding: Padding): Float32Array {
  const plane = width * height
  const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max)
  // Every named tensor is a 4-channel block; the image's 4th channel is zero.
  const blocks = new Map<string, Float32Array>()
  const rgb0 = new Float32Array(4 * plane)
  rgb0.set(image)
  blocks.set('input_image', rgb0)
  let residual: Float32Array | undefined

  const layers = Object.values(weights.layers)
  // Chunks that share an `inputs` list are one convolution.
  const convolutionOf = (block: string) => layers.find((layer) => layer.output === block)?.inputs.join()

  for (const layer of layers) {
    if (layer.type === 'pixel_shuffle') {
      residual = concatBlocks(layer.inputs, blocks, plane)
      continue
    }
    let input: Float32Array
    if (layer.inputs[0] === 'input_image') {
      input = blocks.get('input_image')!
    } else {
      // CReLU of each source convolution's output, [relu(y), relu(-y)], in the listed order.
      const groups: string[][] = []
      layer.inputs.forEach((name, i) => {
        if (i > 0 && convolutionOf(name) === convolutionOf(layer.inputs[i - 1])) groups[groups.length - 1].push(name)
        else groups.push([name])
      })
      input = new Float32Array(2 * 4 * plane * layer.inputs.length)
      let offset = 0
      for (const group of groups) {
        const y = concatBlocks(group, blocks, plane)
        y.forEach((v, i) => {
          input[offset + i] = Math.max(v, 0)
          input[offset + y.length + i] = Math.max(-v, 0)
        })
        offset += 2 * y.length
      }
    }
    const w = layer.weights!
    const inBlocks = input.length / (4 * plane)
    const k = Math.round(Math.sqrt(w.length / 16 / inBlocks))
    const r = (k - 1) / 2
    const out = new Float32Array(4 * plane)
    for (let o = 0; o < 4; o++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          let sum = layer.bias![o]
          for (let b = 0; b < inBlocks; b++) {
            for (let kx = 0; kx < k; kx++) {
              for (let ky = 0; ky < k; ky++) {
                const sx = clamp(x + kx - r, width - 1)
                const sy = clamp(y + ky - r, height - 1)
                if (padding === 'zero' && (sx !== x + kx - r || sy !== y + ky - r)) continue
                for (let i = 0; i < 4; i++) {
                  sum += w[(b * k * k + kx * k + ky) * 16 + i * 4 + o] * input[(b * 4 + i) * plane + sy * width + sx]
                }
              }
            }
          }
          out[o * plane + y * width + x] = sum
        }
      }
    }
    blocks.set(layer.output, out)
  }

  const outWidth = 2 * width
  const outHeight = 2 * height
  const result = new Float32Array(3 * outWidth * outHeight)
  const colours = residual!.length / (4 * plane)
  for (let c = 0; c < 3; c++) {
    for (let Y = 0; Y < outHeight; Y++) {
      for (let X = 0; X < outWidth; X++) {
        const base = bilinearSample(image.subarray(c * plane, (c + 1) * plane), width, height, X, Y)
        const channel = (colours === 1 ? 0 : c) * 4 + (Y % 2) * 2 + (X % 2)
        const detail = residual![channel * plane + (Y >> 1) * width + (X >> 1)]
        result[(c * outHeight + Y) * outWidth + X] = base + detail
      }
    }
  }
  return result
}

function concatBlocks(names: string[], blocks: Map<string, Float32Array>, plane: number): Float32Array {
  const result = new Float32Array(4 * plane * names.length)
  names.forEach((name, i) => result.set(blocks.get(name)!, i * 4 * plane))
  return result
}

/** 2x bilinear with half-pixel centres and clamped edges, at output pixel (X, Y). */
function bilinearSample(plane: Float32Array, width: number, height: number, X: number, Y: number): number {
  const fx = Math.min(Math.max((X + 0.5) / 2 - 0.5, 0), width - 1)
  const fy = Math.min(Math.max((Y + 0.5) / 2 - 0.5, 0), height - 1)
  const x0 = Math.floor(fx)
  const y0 = Math.floor(fy)
  const x1 = Math.min(x0 + 1, width - 1)
  const y1 = Math.min(y0 + 1, height - 1)
  const ax = fx - x0
  const ay = fy - y0
  const at = (x: number, y: number) => plane[y * width + x]
  return (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x1, y0)) + ay * ((1 - ax) * at(x0, y1) + ax * at(x1, y1))
}

function randomImage(length: number, seed: number): Float32Array {
  let state = seed
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state / 2 ** 32
  })
}

async function runModel(bytes: Uint8Array, image: Float32Array, width: number, height: number) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' })
  try {
    const { output } = await session.run({ input: new ort.Tensor('float32', image, [1, 3, height, width]) })
    return { dims: output.dims, data: output.data as Float32Array, inputNames: session.inputNames, outputNames: session.outputNames }
  } finally {
    await session.release()
  }
}

/** Interleaved integer samples spanning the whole range, and the same values as the float model sees them (NCHW in 0..1). */
function integerImage(samples: 'uint8' | 'uint16', w: number, h: number, seed: number): { interleaved: Uint8Array | Uint16Array; planes: Float32Array } {
  const max = samples === 'uint8' ? 255 : 65535
  const interleaved = samples === 'uint8' ? new Uint8Array(3 * w * h) : new Uint16Array(3 * w * h)
  const random = randomImage(3 * w * h, seed)
  for (let i = 0; i < interleaved.length; i++) interleaved[i] = Math.round(random[i] * max)
  const planes = new Float32Array(3 * w * h)
  for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) planes[c * w * h + p] = interleaved[p * 3 + c] / max
  return { interleaved, planes }
}

describe('buildAnime4kOnnx', () => {
  // Odd sizes catch swapped axes and off-by-one padding; the random image exercises every weight.
  const width = 13
  const height = 9
  const image = randomImage(3 * width * height, 7)

  const cases: Array<[Anime4kSize, Anime4kFlavor]> = [
    ['s', 'an'],
    ['m', 'an'],
    ['l', 'an'],
    ['s', '3d'],
    ['l', 'rl'],
  ]
  test.each(cases)('cnn-2x-%s-%s matches the reference implementation', async (size, flavor) => {
    const weights = loadAnime4kWeights(size, flavor)
    const result = await runModel(buildAnime4kOnnx(weights), image, width, height)
    expect(result.inputNames).toEqual(['input'])
    expect(result.outputNames).toEqual(['output'])
    expect(result.dims).toEqual([1, 3, 2 * height, 2 * width])

    const expected = referenceUpscale(weights, image, width, height, 'zero')
    const maxError = expected.reduce((max, value, i) => Math.max(max, Math.abs(value - result.data[i])), 0)
    expect(maxError).toBeLessThan(1e-4)
  })

  test("away from the border the model equals the shaders' edge-clamped semantics", async () => {
    // L has seven 3x3 layers: output pixels from input pixels 8 or more away from the border are unaffected by padding.
    const [w, h, radius] = [22, 19, 8]
    const picture = randomImage(3 * w * h, 11)
    const weights = loadAnime4kWeights('l')
    const result = await runModel(buildAnime4kOnnx(weights), picture, w, h)
    const shaders = referenceUpscale(weights, picture, w, h, 'clamp')
    let interior = 0
    let border = 0
    for (let c = 0; c < 3; c++) {
      for (let Y = 0; Y < 2 * h; Y++) {
        for (let X = 0; X < 2 * w; X++) {
          const i = (c * 2 * h + Y) * 2 * w + X
          const inside = X >> 1 >= radius && Y >> 1 >= radius && X >> 1 < w - radius && Y >> 1 < h - radius
          const error = Math.abs(shaders[i] - result.data[i])
          if (inside) interior = Math.max(interior, error)
          else border = Math.max(border, error)
        }
      }
    }
    expect(interior).toBeLessThan(1e-4)
    // The border does differ: this test would not notice a model that clamps.
    expect(border).toBeGreaterThan(1e-3)
  })

  // S has one residual colour (broadcast), L three; both rebuild the tail for integer samples.
  test.each([
    ['s', 'uint8', 255],
    ['l', 'uint8', 255],
    ['l', 'uint16', 65535],
  ] as const)('cnn-2x-%s with %s samples: interleaved RGB in and out, equal to the float model rounded to the nearest sample', async (size, samples, max) => {
    const [w, h] = [11, 7]
    const weights = loadAnime4kWeights(size)
    const { interleaved, planes } = integerImage(samples, w, h, 5)
    const float = await runModel(buildAnime4kOnnx(weights), planes, w, h)

    const session = await ort.InferenceSession.create(buildAnime4kOnnx(weights, { samples }), { intraOpNumThreads: 1, graphOptimizationLevel: 'all' })
    try {
      const { output } = await session.run({ input: new ort.Tensor(samples, interleaved, [1, h, w, 3]) })
      expect(output.type).toBe(samples)
      expect(output.dims).toEqual([1, 2 * h, 2 * w, 3])
      let worst = 0
      let clamped = 0
      for (let p = 0; p < 4 * w * h; p++) {
        for (let c = 0; c < 3; c++) {
          const exact = float.data[c * 4 * w * h + p] * max
          if (exact < 0 || exact > max) clamped++
          const expected = Math.min(max, Math.max(0, exact))
          worst = Math.max(worst, Math.abs(Number(output.data[p * 3 + c]) - expected))
        }
      }
      // Rounding (≤ ½) plus float32 arithmetic in another order; out-of-range values were clipped.
      expect(worst).toBeLessThanOrEqual(samples === 'uint8' ? 0.51 : 0.6)
      expect(clamped).toBeGreaterThan(0)
    } finally {
      await session.release()
    }
  })

  // Written out independently of src/yuv.ts: Kr, Kb and the ranges as the specifications give them.
  // 10-bit: limited range is the 8-bit range times 4 (64-940, chroma 64-960), full range 0-1023.
  test.each([
    ['s', 'uint8', { matrix: 'bt709', range: 'tv' }, [0.2126, 0.0722], 219, 224, 16, 128, 255],
    ['l', 'uint8', { matrix: 'bt709', range: 'tv' }, [0.2126, 0.0722], 219, 224, 16, 128, 255],
    ['l', 'uint8', { matrix: 'smpte170m', range: 'pc' }, [0.299, 0.114], 255, 255, 0, 128, 255],
    ['l', 'uint16', { matrix: 'bt709', range: 'tv' }, [0.2126, 0.0722], 219, 224, 16, 128, 255],
    ['l', 'uint16', { matrix: 'bt709', range: 'tv', bitDepth: 10 }, [0.2126, 0.0722], 876, 896, 64, 512, 1023],
    ['s', 'uint8', { matrix: 'bt2020nc', range: 'pc', bitDepth: 10 }, [0.2627, 0.0593], 1023, 1023, 0, 512, 1023],
  ] as const)('cnn-2x-%s, %s in, yuv420 %j out: the float model converted to Y\'CbCr, chroma the mean of each 2x2 block', async (size, samples, color, [kr, kb], lumaSpan, chromaSpan, lumaOffset, chromaOffset, max) => {
    const [w, h] = [11, 7]
    const weights = loadAnime4kWeights(size)
    const { interleaved, planes } = integerImage(samples, w, h, 9)
    const float = await runModel(buildAnime4kOnnx(weights), planes, w, h)
    const [W, H] = [2 * w, 2 * h]
    const rgb = (x: number, y: number) => [0, 1, 2].map((c) => float.data[c * W * H + y * W + x] * 255)
    const luma = ([r, g, b]: number[]) => kr * r + (1 - kr - kb) * g + kb * b
    const clip = (value: number) => Math.min(max, Math.max(0, value))

    const session = await ort.InferenceSession.create(buildAnime4kOnnx(weights, { samples, yuv420: color }), { intraOpNumThreads: 1, graphOptimizationLevel: 'all' })
    try {
      const { output } = await session.run({ input: new ort.Tensor(samples, interleaved, [1, h, w, 3]) })
      expect(output.type).toBe(max === 255 ? 'uint8' : 'uint16')
      expect(output.dims).toEqual([W * H + 2 * w * h])
      let worst = 0
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) worst = Math.max(worst, Math.abs(Number(output.data[y * W + x]) - clip(lumaOffset + (lumaSpan / 255) * luma(rgb(x, y)))))
      }
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const block = [rgb(2 * x, 2 * y), rgb(2 * x + 1, 2 * y), rgb(2 * x, 2 * y + 1), rgb(2 * x + 1, 2 * y + 1)]
          const mean = (f: (p: number[]) => number) => block.reduce((sum, p) => sum + f(p), 0) / 4
          const cb = clip(chromaOffset + (chromaSpan / 255) * mean((p) => (p[2] - luma(p)) / (2 * (1 - kb))))
          const cr = clip(chromaOffset + (chromaSpan / 255) * mean((p) => (p[0] - luma(p)) / (2 * (1 - kr))))
          worst = Math.max(worst, Math.abs(Number(output.data[W * H + y * w + x]) - cb), Math.abs(Number(output.data[W * H + w * h + y * w + x]) - cr))
        }
      }
      // Rounding (≤ ½) plus float32 arithmetic in another order, scaled with the depth.
      expect(worst).toBeLessThanOrEqual(max === 255 ? 0.51 : 0.6)
    } finally {
      await session.release()
    }
  })

  test('rejects yuv420 output for float samples and unknown matrices', () => {
    const weights = loadAnime4kWeights('s')
    expect(() => buildAnime4kOnnx(weights, { samples: 'float32', yuv420: { matrix: 'bt709', range: 'tv' } })).toThrow(
      "Expected samples 'uint8' or 'uint16' with yuv420 output but received 'float32'",
    )
    expect(() => buildAnime4kOnnx(weights, { samples: 'uint8', yuv420: { matrix: 'bt601' as 'bt709', range: 'tv' } })).toThrow(
      "Expected { matrix: 'bt709' | 'smpte170m' | 'bt470bg' | 'bt2020nc' | 'smpte240m', range: 'tv' | 'pc', bitDepth?: 8 | 10 } for yuv420 but received {\"matrix\":\"bt601\",\"range\":\"tv\"}",
    )
  })

  test('rejects unknown sample types', () => {
    expect(() => buildAnime4kOnnx(loadAnime4kWeights('s'), { samples: 'int8' as 'uint8' })).toThrow("Expected samples 'float32', 'uint8' or 'uint16' but received 'int8'")
  })

  test('one model serves any input size (symbolic dims)', async () => {
    const bytes = buildAnime4kOnnx(loadAnime4kWeights('s'))
    const result = await runModel(bytes, randomImage(3 * 5 * 4, 3), 5, 4)
    expect(result.dims).toEqual([1, 3, 8, 10])
  })
})

describe('anime4kCost', () => {
  test('counts 2 FLOP per multiply-add per output pixel', () => {
    expect(anime4kCost(loadAnime4kWeights('s'))).toBe(486)
    expect(anime4kCost(loadAnime4kWeights('m'))).toBe(1254)
    expect(anime4kCost(loadAnime4kWeights('l'))).toBe(4236)
  })
})

describe('loadAnime4kWeights', () => {
  test('defaults to the anime-trained weights', () => {
    expect(loadAnime4kWeights('l').name).toBe('anime4k/cnn-2x-l')
  })

  test('rejects unknown sizes and flavors', () => {
    expect(() => loadAnime4kWeights('x' as Anime4kSize)).toThrow("Expected anime4k size 's', 'm' or 'l' but received 'x'")
    expect(() => loadAnime4kWeights('s', 'hd' as Anime4kFlavor)).toThrow(
      "Expected anime4k flavor 'an', 'rl' or '3d' but received 'hd'",
    )
  })
})

import { UpscaleError } from '../src/errors'
import { convertNcnnModel, NCNN_LAYER_TYPES } from '../src/ncnn/convert'
import { NcnnModelBuilder, maxDifference, runConverted } from './helpers/ncnn-model'
import * as ref from './helpers/ncnn-reference'

const next = ref.random(7)
const values = (n: number, scale = 0.5) => Float32Array.from({ length: n }, () => next() * scale)
const input = (c: number, h: number, w: number) => ref.map(c, h, w, () => (next() + 1.5) / 2)

/** Converts the model, runs it on `x` and compares with the reference output. */
async function expectMatches(builder: NcnnModelBuilder, x: ref.FeatureMap, expected: ref.FeatureMap): Promise<void> {
  const actual = await runConverted(builder.convert(), x)
  expect(maxDifference(actual, expected)).toBeLessThan(1e-4)
}

describe('ncnn layers → ONNX, checked against plain loops of ncnn semantics', () => {
  test('Convolution: padding, stride, dilation, bias, float16/float32 weights and fused LeakyReLU, Clip, Sigmoid', async () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'], '0=12 1=10 2=3')
    const w1 = b.float16(values(6 * 3 * 9))
    const b1 = b.raw(values(6))
    const w2 = b.float32(values(6 * 6 * 9))
    const w3 = b.float32(values(3 * 6 * 9), 0x0002c056)
    b.layer('Convolution', 'c1', ['x'], ['a'], '0=6 1=3 4=1 5=1 6=162 9=2 -23310=1,1.000000e-01')
      .layer('Convolution', 'c2', ['a'], ['b'], '0=6 1=3 3=2 4=1 6=324 9=3 -23310=2,-0.5,0.5')
      .layer('Convolution', 'c3', ['b'], ['c'], '0=3 1=3 2=2 4=2 6=162 9=4')
      .layer('Interp', 'up', ['c'], ['out'], '0=1 1=2.0 2=2.0')
    const x = input(3, 10, 12)
    let y = ref.convolution(x, { outputs: 6, kernel: 3, pad: [1, 1, 1, 1], weights: w1, bias: b1, activation: 2, activationParams: [0.1] })
    y = ref.convolution(y, { outputs: 6, kernel: 3, stride: 2, pad: [1, 1, 1, 1], weights: w2, activation: 3, activationParams: [-0.5, 0.5] })
    y = ref.convolution(y, { outputs: 3, kernel: 3, dilation: 2, pad: [2, 2, 2, 2], weights: w3, activation: 4 })
    await expectMatches(b, x, ref.interp(y, 1, 2, 2))
  })

  test('ConvolutionDepthWise, ReLU with a slope, and asymmetric valid padding', async () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'])
    const w1 = b.float16(values(3 * 9))
    const w2 = b.float16(values(3 * 3 * 3 * 2))
    b.layer('ConvolutionDepthWise', 'dw', ['x'], ['a'], '0=3 1=3 4=1 6=27 7=3')
      .layer('ReLU', 'relu', ['a'], ['b'], '0=0.2')
      .layer('Convolution', 'c', ['b'], ['out'], '0=3 1=3 11=2 4=1 15=1 14=1 16=0 6=54')
    const x = input(3, 9, 11)
    let y = ref.convolution(x, { outputs: 3, kernel: 3, pad: [1, 1, 1, 1], group: 3, weights: w1 })
    y = ref.elementwise(y, 0, (v) => (v > 0 ? v : 0.2 * v))
    // 3 wide, 2 high: the reference takes square kernels, so spell it as a 3x3 one with a zero row.
    const square = new Float32Array(3 * 3 * 9)
    for (let o = 0; o < 3; o++) for (let i = 0; i < 3; i++) for (let ky = 0; ky < 2; ky++) for (let kx = 0; kx < 3; kx++) square[((o * 3 + i) * 3 + ky) * 3 + kx] = w2[((o * 3 + i) * 2 + ky) * 3 + kx]
    await expectMatches(b, x, ref.convolution(y, { outputs: 3, kernel: 3, pad: [1, 1, 1, 1], weights: square }))
  })

  test('Deconvolution: 4x4 stride 2 cropped by 3 (waifu2x) and 2x2 stride 2 with an activation', async () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'])
    const w1 = b.float16(values(4 * 3 * 16))
    const b1 = b.raw(values(4))
    const w2 = b.float16(values(3 * 4 * 4))
    b.layer('Deconvolution', 'd1', ['x'], ['a'], '0=4 1=4 3=2 4=3 5=1 6=192')
      .layer('Deconvolution', 'd2', ['a'], ['out'], '0=3 1=2 3=2 6=48 9=1')
    const x = input(3, 7, 6)
    const y = ref.deconvolution(x, { outputs: 4, kernel: 4, stride: 2, pad: [3, 3, 3, 3], weights: w1, bias: b1 })
    await expectMatches(b, x, ref.deconvolution(y, { outputs: 3, kernel: 2, stride: 2, weights: w2, activation: 1 }))
  })

  test('squeeze-and-excitation: global Pooling, InnerProduct, Scale by a blob and BinaryOp by a vector', async () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'])
    const w1 = b.float16(values(8 * 3 * 9))
    const ip1 = b.float16(values(2 * 8))
    const ipb1 = b.raw(values(2))
    const ip2 = b.float16(values(8 * 2))
    const ipb2 = b.raw(values(8))
    const w2 = b.float16(values(3 * 8))
    b.layer('Convolution', 'c1', ['x'], ['a'], '0=8 1=3 4=1 6=216')
      .layer('Split', 'split', ['a'], ['a1', 'a2', 'a3'])
      .layer('Pooling', 'gap', ['a1'], ['g'], '0=1 4=1')
      .layer('InnerProduct', 'fc1', ['g'], ['f1'], '0=2 1=1 2=16 9=1')
      .layer('InnerProduct', 'fc2', ['f1'], ['f2'], '0=8 1=1 2=16 9=4')
      .layer('Scale', 'scale', ['a2', 'f2'], ['s'], '0=-233')
      .layer('BinaryOp', 'mul', ['a3', 'f2'], ['m'], '0=2')
      .layer('Eltwise', 'sum', ['s', 'm'], ['e'], '0=1')
      .layer('Convolution', 'c2', ['e'], ['out'], '0=3 1=1 6=24')
    const x = input(3, 8, 9)
    const a = ref.convolution(x, { outputs: 8, kernel: 3, pad: [1, 1, 1, 1], weights: w1 })
    const f = ref.innerProduct(ref.innerProduct(ref.globalAverage(a), 2, ip1, ipb1, 1), 8, ip2, ipb2, 4)
    const scaled = ref.elementwise(a, f, (v, s) => v * s)
    const e = ref.elementwise(scaled, scaled, (v, s) => v + s)
    await expectMatches(b, x, ref.convolution(e, { outputs: 3, kernel: 1, weights: w2 }))
  })

  test('PReLU, PixelShuffle in both modes, Sigmoid, TanH, Swish and Clip layers', async () => {
    for (const mode of [0, 1]) {
      const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'])
      const w = b.float16(values(12 * 3 * 9))
      const slopes = b.raw(values(12))
      b.layer('Convolution', 'c', ['x'], ['a'], '0=12 1=3 4=1 6=324')
        .layer('PReLU', 'prelu', ['a'], ['b'], '0=12')
        .layer('PixelShuffle', 'ps', ['b'], ['c'], `0=2 1=${mode}`)
        .layer('TanH', 'tanh', ['c'], ['d'])
        .layer('Swish', 'swish', ['d'], ['e'])
        .layer('Clip', 'clip', ['e'], ['f'], '0=-0.2 1=0.3')
        .layer('Sigmoid', 'sigmoid', ['f'], ['out'])
      const x = input(3, 5, 6)
      let y = ref.convolution(x, { outputs: 12, kernel: 3, pad: [1, 1, 1, 1], weights: w })
      y = ref.elementwise(y, slopes, (v, s) => (v > 0 ? v : v * s))
      y = ref.elementwise(ref.pixelShuffle(y, 2, mode), 0, (v) => {
        const t = Math.tanh(v)
        const s = t / (1 + Math.exp(-t))
        return 1 / (1 + Math.exp(-Math.min(Math.max(s, -0.2), 0.3)))
      })
      await expectMatches(b, x, y)
    }
  })

  test('Interp: bicubic and bilinear upscaling, bicubic downscaling (ncnn clamps its taps at the borders)', async () => {
    const b = new NcnnModelBuilder()
      .layer('Input', 'in', [], ['x'])
      .layer('Interp', 'cubic', ['x'], ['a'], '0=3 1=4.000000e+00 2=4.000000e+00')
      .layer('Interp', 'linear', ['a'], ['b'], '0=2 1=2.0 2=2.0')
      .layer('Interp', 'down', ['b'], ['out'], '0=3 1=5.000000e-01 2=5.000000e-01')
    const x = input(3, 6, 7)
    await expectMatches(b, x, ref.interp(ref.interp(ref.interp(x, 3, 4, 4), 2, 2, 2), 3, 0.5, 0.5))
  })

  test('BinaryOp with two maps, with a scalar and reversed; Eltwise sum with coefficients, product and max', async () => {
    const b = new NcnnModelBuilder()
      .layer('Input', 'in', [], ['x'])
      .layer('Split', 'split', ['x'], ['x1', 'x2', 'x3', 'x4'])
      .layer('BinaryOp', 'rsub', ['x1'], ['a'], '0=7 1=1 2=0.75')
      .layer('BinaryOp', 'div', ['a', 'x2'], ['b'], '0=3')
      .layer('Eltwise', 'weighted', ['b', 'x3'], ['c'], '0=1 -23301=2,2.000000e-01,1.000000e+00')
      .layer('Eltwise', 'product', ['c', 'x4'], ['d'], '0=0')
      .layer('Noop', 'noop', ['d'], ['e'])
      .layer('Split', 'split2', ['e'], ['e1', 'e2'])
      .layer('BinaryOp', 'max', ['e1'], ['f'], '0=4 1=1 2=0.1')
      .layer('Eltwise', 'maximum', ['f', 'e2'], ['out'], '0=2')
    const x = input(3, 4, 5)
    const a = ref.elementwise(x, 0.75, (v, s) => s - v)
    const bb = ref.elementwise(a, x, (p, q) => p / q)
    const c = ref.elementwise(bb, x, (p, q) => 0.2 * p + q)
    const d = ref.elementwise(c, x, (p, q) => p * q)
    await expectMatches(b, x, ref.elementwise(d, 0.1, (v, s) => Math.max(v, s)))
  })

  test('Crop (to a reference blob, by starts/ends/axes, by offsets), Concat and Padding of each type', async () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'])
    const w = b.float16(values(3 * 9 * 9))
    b.layer('Padding', 'reflect', ['x'], ['p'], '0=2 1=2 2=2 3=2 4=2')
      .layer('Split', 'split', ['p'], ['p1', 'p2', 'p3'])
      .layer('Crop', 'slice', ['p1'], ['a'], '-23309=2,2,2 -23310=2,-2,-2 -23311=2,-2,-1')
      .layer('Crop', 'offsets', ['p2'], ['b'], '0=1 1=1 6=3 7=3')
      .layer('Crop', 'to-ref', ['p3', 'a'], ['c'], '0=2 1=2')
      .layer('Padding', 'edge', ['b'], ['d'], '0=1 1=1 2=1 3=1 4=1')
      .layer('Padding', 'constant', ['c'], ['e'], '0=1 1=1 2=1 3=1 4=0 5=0.25')
      .layer('Concat', 'cat', ['d', 'e', 'e'], ['f'], '0=0')
      .layer('Convolution', 'c', ['f'], ['out'], '0=3 1=3 6=243')
    const x = input(3, 7, 8)
    const p = ref.padding(x, 2, 2, 2, 2, 2, 0)
    const a = ref.crop(p, 0, 2, 2, 3, p.h - 4, p.w - 4)
    const bb = ref.crop(p, 0, 1, 1, 3, p.h - 4, p.w - 4)
    const d = ref.padding(bb, 1, 1, 1, 1, 1, 0)
    const e = ref.padding(ref.crop(p, 0, 2, 2, 3, a.h, a.w), 1, 1, 1, 1, 0, 0.25)
    await expectMatches(b, x, ref.convolution(ref.concat([d, e, e]), { outputs: 3, kernel: 3, weights: w }))
  })

  test('float16 weights are stored as float16 and give the same output as float32 storage, in half the bytes', async () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'])
    b.float16(values(81))
    b.layer('Convolution', 'c', ['x'], ['out'], '0=3 1=3 4=1 6=81')
    const { param, bin } = b.build()
    const half = convertNcnnModel(param, bin, { param: 'p', bin: 'b' }, { weights: 'float16' })
    const full = convertNcnnModel(param, bin, { param: 'p', bin: 'b' }, { weights: 'float32' })
    const x = input(3, 6, 6)
    expect(maxDifference(await runConverted(half, x), await runConverted(full, x))).toBe(0)
    expect(half.metadata.weights).toBe('float16')
    expect(half.onnx.length).toBeLessThan(full.onnx.length)
  })
})

describe('ncnn model metadata', () => {
  test('a valid-convolution network records its border, alignment, receptive radius and smallest window', () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['Input1'])
    b.float16(values(4 * 3 * 9))
    b.float16(values(4 * 4 * 4))
    b.float16(values(3 * 4 * 16))
    b.layer('Convolution', 'c1', ['Input1'], ['a'], '0=4 1=3 6=108 9=2 -23310=1,0.1')
      .layer('Convolution', 'down', ['a'], ['b'], '0=4 1=2 3=2 6=64')
      .layer('Deconvolution', 'up', ['b'], ['Eltwise4'], '0=3 1=4 3=2 4=3 6=192')
    const { metadata } = b.convert()
    // 3x3 valid conv: L − 2; 2x2 stride 2: (L − 2)/2; 4x4 stride 2 cropped by 3: 2·((L − 2)/2) − 4 = L − 6 … at scale 1: border 3.
    expect(metadata).toMatchObject({ scale: 1, border: 3, align: 2, padding: { size: 3, mode: 'edge' }, alpha: 'bicubic', origin: { program: 'waifu2x-ncnn-vulkan' } })
    expect(metadata.receptiveRadius).toBeGreaterThanOrEqual(3)
    expect(metadata.minWindow).toBeGreaterThanOrEqual(4)
    expect(NCNN_LAYER_TYPES).toEqual(expect.arrayContaining(['Convolution', 'Deconvolution', 'PReLU', 'ReLU', 'Sigmoid', 'PixelShuffle', 'Interp', 'BinaryOp', 'Eltwise', 'Crop', 'Pooling', 'Split', 'Concat', 'Padding']))
  })
})

describe('bad ncnn files are refused with the file, the line and the reason', () => {
  const valid = () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'])
    b.float16(values(81))
    b.raw(values(3))
    return b.layer('Convolution', 'conv', ['x'], ['out'], '0=3 1=3 4=1 5=1 6=81')
  }
  const refuse = (param: Uint8Array, bin: Uint8Array) => {
    try {
      convertNcnnModel(param, bin, { param: 'm.param', bin: 'm.bin' })
    } catch (error) {
      expect(error).toBeInstanceOf(UpscaleError)
      return error as UpscaleError
    }
    throw new Error('expected the conversion to fail')
  }
  const text = (s: string) => new TextEncoder().encode(s)

  test('an unknown layer names its type, line and file', () => {
    const b = valid().layer('Softmax', 'sm', ['out'], ['y'])
    const { param, bin } = b.build()
    const error = refuse(param, bin)
    expect(error.code).toBe('E_MODEL_UNSUPPORTED')
    expect(error.message).toMatch(/^m\.param, line 5: layer type 'Softmax' \(layer 'sm'\) is not supported; supported types: Input, /)
  })

  test('a parameter the converter cannot honour names the layer and line', () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x']).layer('Interp', 'resize', ['x'], ['out'], '0=2 1=2.0 2=2.0 6=1')
    const { param, bin } = b.build()
    expect(refuse(param, bin).message).toBe("m.param, line 4: Interp layer 'resize': align_corner resizing (param 6) depends on the picture size and is not supported")
  })

  test('a truncated .bin says which layer ran out of bytes', () => {
    const { param, bin } = valid().build()
    const error = refuse(param, bin.subarray(0, bin.length - 6))
    expect(error.code).toBe('E_MODEL_INVALID')
    expect(error.message).toMatch(/^m\.bin is truncated or does not match the \.param: Convolution layer 'conv' \(m\.param, line 4\) needs 3 float32 biases \(12 bytes at byte \d+\) but the file ends at byte \d+$/)
  })

  test('a .bin with bytes left over, or an unknown type tag, does not belong to the .param', () => {
    const { param, bin } = valid().build()
    const longer = new Uint8Array(bin.length + 8)
    longer.set(bin)
    expect(refuse(param, longer).message).toMatch(/^m\.bin holds \d+ bytes but the layers of m\.param use \d+: this \.bin does not belong to that \.param$/)
    const tagged = bin.slice()
    tagged.set([1, 2, 3, 4], 0)
    expect(refuse(param, tagged).message).toMatch(/^m\.bin: expected a weight type tag .* at byte 0 for the weights of Convolution layer 'conv' \(m\.param, line 4\) but found 0x04030201: this \.bin does not belong to the \.param/)
  })

  test('a wrong magic number, the binary .param format and a wrong layer count are refused', () => {
    const { param, bin } = valid().build()
    expect(refuse(text('7767518\n1 1\nInput in 0 1 x\n'), bin).message).toBe("m.param is not an ncnn .param file: its first line should be the magic number 7767517 but is '7767518'")
    const binary = new Uint8Array(16)
    new DataView(binary.buffer).setInt32(0, 7767517, true)
    expect(refuse(binary, bin).message).toMatch(/^m\.param is an ncnn binary param file \(\.param\.bin\); only the text \.param format can be imported/)
    const miscounted = new TextDecoder().decode(param).replace(/^7767517\n2 /, '7767517\n3 ')
    expect(refuse(text(miscounted), bin).message).toBe('m.param, line 2: the header announces 3 layers but the file has 2')
  })

  test('a weight count that does not match the blobs is an inconsistent .param', () => {
    const b = new NcnnModelBuilder().layer('Input', 'in', [], ['x'])
    b.float16(values(27))
    b.layer('Convolution', 'conv', ['x'], ['out'], '0=3 1=3 4=1 6=30')
    const { param, bin } = b.build()
    expect(refuse(param, bin).message).toBe("m.param, line 4: Convolution layer 'conv': declares 30 weights but its input blob and parameters need 81: the .param is inconsistent")
  })
})

/**
 * Anime4K x2 network → ONNX model bytes, arranged for onnxruntime's CPU kernels, which run
 * convolutions in a channel-blocked layout (NCHWc) and are memory-bound on these thin layers.
 *
 * - Every consumer of a convolution reads its CReLU, relu([y; -y]). So each convolution is built
 *   with its outputs doubled and negated ([W; -W], [b; -b]) and a Relu that onnxruntime fuses into
 *   it: the CReLU comes out of the convolution itself, with no separate pass over memory.
 * - 3x3 convolutions pad with zeros (the Conv's own `pads`), not by clamping to the edge as the
 *   shaders sample: an edge Pad has no blocked-layout kernel and cost a round trip out of that
 *   layout per layer. Only pixels within the receptive radius of the image border differ
 *   (Bird PSNR unchanged at 25.08 dB); tiles are unaffected, their windows stop at the image border.
 * - A convolution over several earlier outputs (the last 1x1 of M and L) is split into one
 *   convolution per source, summed; intermediate shapes are declared with symbolic dims so that
 *   onnxruntime proves the addends alike and accumulates each Add inside a convolution instead
 *   of materialising a 56- or 112-channel concatenation.
 * - With integer samples (`samples: 'uint8' | 'uint16'`) the model takes and returns interleaved
 *   RGB (NHWC) as decoders and encoders have it, so the layout and type conversions that would
 *   otherwise be JavaScript loops run inside onnxruntime. The 1/max input scale is folded into
 *   the first convolution and the ×max output scale into the residual convolutions; the tail is
 *   rebuilt for speed (see "Integer samples" below).
 * - With `yuv420` (8- or 16-bit input) the model returns 8- or 10-bit Y'CbCr 4:2:0 planes, as encoders take them:
 *   the colour matrix and the 2x2 chroma mean are linear, so they fold into the residual
 *   convolution, which then writes 6 planes instead of 12 (see "Y'CbCr 4:2:0" below).
 */
import { encodeOnnxModel, onnxElementType, type OnnxAttribute, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from '../onnx/model'
import { assertYuvColor, rgbToYuv, type YuvColor } from '../yuv'
import { parseAnime4kWeights, type Anime4kConv, type Anime4kWeightsJson } from './weights'

export const ANIME4K_INPUT = 'input'
export const ANIME4K_OUTPUT = 'output'

class GraphBuilder {
  readonly nodes: OnnxNode[] = []
  readonly initializers: OnnxInitializer[] = []
  readonly valueInfo: OnnxValueInfo[] = []
  private names = 0

  constant(dims: number[], data: OnnxInitializer['data']): string {
    const name = `const_${this.names++}`
    this.initializers.push({ name, dims, data })
    return name
  }

  node(opType: string, inputs: string[], attributes?: Record<string, OnnxAttribute>, output = `${opType}_${this.names++}`): string {
    this.nodes.push({ opType, inputs, outputs: [output], attributes })
    return output
  }

  /** Declares a feature map's shape: onnxruntime only fuses an Add into a convolution when it can match the addends. */
  feature(name: string, channels: number): string {
    this.valueInfo.push({ name, dims: [1, channels, 'height', 'width'] })
    return name
  }

  conv(input: string, weight: Float32Array, dims: number[], bias: Float32Array | undefined, pads: number[]): string {
    const inputs = [input, this.constant(dims, weight)]
    if (bias) inputs.push(this.constant([dims[0]], bias))
    return this.node('Conv', inputs, { pads })
  }
}

/**
 * How the model's image input and output are stored: `float32` is the usual super-resolution
 * interface (NCHW planes in 0..1); `uint8` and `uint16` are interleaved samples [1, H, W, 3].
 */
export type Anime4kSamples = 'float32' | 'uint8' | 'uint16'

export interface Anime4kOnnxOptions {
  /** Default `float32`. */
  samples?: Anime4kSamples
  /**
   * Output 8-bit Y'CbCr 4:2:0 with this matrix and range instead of RGB (the input stays `samples`,
   * 'uint8' or 'uint16'): a flat uint8 [2H·2W + 2·H·W] tensor, the Y plane then Cb then Cr, each row-major.
   */
  yuv420?: YuvColor
}

const SAMPLE_MAX = { float32: 1, uint8: 255, uint16: 65535 } as const

export function buildAnime4kOnnx(weights: Anime4kWeightsJson, options: Anime4kOnnxOptions = {}): Uint8Array {
  const samples = options.samples ?? 'float32'
  if (!(samples in SAMPLE_MAX)) throw new Error(`Expected samples 'float32', 'uint8' or 'uint16' but received '${String(samples)}'`)
  const max = SAMPLE_MAX[samples]
  const integer = samples !== 'float32'
  const { yuv420 } = options
  if (yuv420 !== undefined) assertYuvColor('yuv420', yuv420)
  if (yuv420 && !integer) throw new Error(`Expected samples 'uint8' or 'uint16' with yuv420 output but received '${samples}'`)
  // The residual's producers scale to RGB in 0..outputMax: 0..255 for Y'CbCr (rgbToYuv maps that to
  // the output's depth), else the input's type.
  const outputMax = yuv420 ? SAMPLE_MAX.uint8 : max
  const { convs, residual } = parseAnime4kWeights(weights)
  const graph = new GraphBuilder()
  // The network body reads NCHW floats: integer samples are transposed, then cast (in 0..max).
  const image = integer
    ? graph.node('Cast', [graph.node('Transpose', [ANIME4K_INPUT], { perm: [0, 3, 1, 2] })], { to: onnxElementType('float32') })
    : ANIME4K_INPUT

  if (integer && (residual.length !== 1 || ![4, 12].includes(convs[residual[0]].outChannels))) {
    throw new Error(`Expected one residual convolution of 4 or 12 channels (1 or 3 colours x 4 sub-pixels) for integer samples in ${weights.name}`)
  }
  // Per convolution: its CReLU (2 x outChannels), or for the residual layers its raw output.
  const outputs: string[] = []
  convs.forEach((conv, index) => {
    const { kernel, outChannels } = conv
    const isResidual = residual.includes(index)
    const crelu = !isResidual
    // Integer samples: the residual comes out as 12 phase planes, sub-pixel major (see "Integer samples"),
    // or as 4 luma phases and 2 chroma planes for yuv420.
    const phaseMajor = integer && isResidual
    const tail = (rows: Float32Array, first: boolean) => (yuv420 ? toYuv420(rows, yuv420, first) : rows)
    const channels = crelu ? 2 * outChannels : phaseMajor ? (yuv420 ? 6 : 12) : outChannels
    const pads = kernel === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]
    // The first layer reads the image; the others read earlier CReLUs, each through its own slice of the weights.
    const sources = conv.sources.length === 0 ? [{ input: image, count: conv.inChannels }] : conv.sources.map((s) => ({ input: outputs[s], count: 2 * convs[s].outChannels }))
    // Samples in 0..max: the image's readers divide by max, the residual's producers multiply by it.
    const inputScale = conv.sources.length === 0 ? 1 / max : 1
    const outputScale = isResidual ? outputMax : 1
    let first = 0
    const terms = sources.map(({ input, count }, i) => {
      let weight = scaled(selectInputChannels(conv, first, count), inputScale * outputScale)
      first += count
      let bias = i === 0 ? scaled(conv.bias, outputScale) : undefined
      if (crelu) [weight, bias] = [signed(weight), bias && signed(bias)]
      if (phaseMajor) [weight, bias] = [tail(toPhaseMajor(weight, outChannels), false), bias && tail(toPhaseMajor(bias, outChannels), true)]
      return graph.feature(graph.conv(input, weight, [channels, count, kernel, kernel], bias, pads), channels)
    })
    // The base reads the image in 0..max; the sum is in 0..outputMax.
    if (phaseMajor) terms.push(graph.feature(bilinearPhases(graph, image, (kernel) => tail(scaled(kernel, outputMax / max), false)), channels))
    const sum = terms.reduce((total, term) => graph.feature(graph.node('Add', [term, total]), channels))
    outputs.push(crelu ? graph.feature(graph.node('Relu', [sum]), channels) : sum)
  })

  if (yuv420) yuv420Planes(graph, outputs[residual[0]], yuv420)
  else if (integer) interleaveSamples(graph, outputs[residual[0]], samples)
  else floatTail(graph, residual.map((index) => outputs[index]))

  return encodeOnnxModel({
    producerName: 'anime-upscaler',
    // 21: QuantizeLinear to uint16.
    opsetVersion: 21,
    graph: {
      name: weights.name,
      nodes: graph.nodes,
      initializers: graph.initializers,
      valueInfo: graph.valueInfo,
      inputs: [{ name: ANIME4K_INPUT, dims: integer ? [1, 'height', 'width', 3] : [1, 3, 'height', 'width'], elementType: samples }],
      outputs: [{ name: ANIME4K_OUTPUT, dims: yuv420 ? ['yuv420_size'] : integer ? [1, 'output_height', 'output_width', 3] : [1, 3, 'output_height', 'output_width'], elementType: yuv420 ? (yuv420.bitDepth === 10 ? 'uint16' : 'uint8') : samples }],
    },
  })
}

/** Pixel shuffle of the residual plus a bilinear base, as float NCHW planes: the shaders' own formulation. */
function floatTail(graph: GraphBuilder, residualNames: string[]): void {
  const shuffleInput = residualNames.length === 1 ? residualNames[0] : graph.node('Concat', residualNames, { axis: 1 })
  // Channel c·4 + sy·2 + sx → colour c at sub-pixel (sx, sy); a single colour broadcasts over R, G and B.
  const detail = graph.node('DepthToSpace', [shuffleInput], { blocksize: 2, mode: 'CRD' })
  // Linear half_pixel resize clamps source coordinates at the borders, as the shaders' bilinear sampling does.
  const scales = graph.constant([4], new Float32Array([1, 1, 2, 2]))
  const base = graph.node('Resize', [ANIME4K_INPUT, '', scales], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' })
  graph.node('Add', [detail, base], undefined, ANIME4K_OUTPUT)
}

/*
 * Integer samples. onnxruntime's Resize, DepthToSpace, generic transposes and every elementwise
 * pass over a full-size float tensor each cost about as much as a whole convolution layer of S.
 * So the output is assembled from 12 planes at the input's resolution, one per sub-pixel phase
 * (sy, sx) and colour c, in the order (sy·2 + sx)·3 + c: the residual convolution writes them (S's
 * single colour repeated for R, G and B) and the bilinear base is one more addend of its sum.
 * They are rounded to samples, then interleaved by two transposes of 1- or 2-byte samples.
 */

/** Residual weights or bias rows, (c·4 + phase) or (phase) → (phase·3 + c). */
function toPhaseMajor(values: Float32Array, outChannels: number): Float32Array {
  const row = values.length / outChannels
  const result = new Float32Array(12 * row)
  for (let phase = 0; phase < 4; phase++) {
    for (let c = 0; c < 3; c++) {
      const from = outChannels === 12 ? c * 4 + phase : phase
      result.set(values.subarray(from * row, (from + 1) * row), (phase * 3 + c) * row)
    }
  }
  return result
}

/**
 * The half_pixel linear 2x base as a 3x3 convolution of the edge-padded image (edge padding clamps
 * as Resize does): sub-pixel 0 weighs its neighbours (¼, ¾, 0), sub-pixel 1 (0, ¾, ¼).
 */
function bilinearPhases(graph: GraphBuilder, image: string, rows: (kernel: Float32Array) => Float32Array): string {
  const taps = [
    [0.25, 0.75, 0],
    [0, 0.75, 0.25],
  ]
  const kernel = new Float32Array(12 * 3 * 9)
  for (let phase = 0; phase < 4; phase++) {
    const [sy, sx] = [phase >> 1, phase & 1]
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) kernel[((phase * 3 + c) * 3 + c) * 9 + y * 3 + x] = taps[sy][y] * taps[sx][x]
    }
  }
  const padded = graph.node('Pad', [image, int64(graph, [0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'edge' })
  const folded = rows(kernel)
  return graph.conv(padded, folded, [folded.length / 27, 3, 3, 3], undefined, [0, 0, 0, 0])
}

/** 12 phase planes → rounded samples [1, 2H, 2W, 3]. */
function interleaveSamples(graph: GraphBuilder, phases: string, samples: 'uint8' | 'uint16'): void {
  // QuantizeLinear with scale 1: round half to even and saturate to the sample type.
  const zeroPoint = graph.constant([], samples === 'uint8' ? new Uint8Array(1) : new Uint16Array(1))
  const rounded = graph.node('QuantizeLinear', [phases, graph.constant([], new Float32Array([1])), zeroPoint])
  // (sy, sx·c, H, W) → (H, sy, sx·c, W): whole rows move. → (H·sy, W, sx·c) = [1, 2H, 2W, 3].
  // The Reshape between the transposes keeps onnxruntime from merging them into one slow generic transpose.
  const dims = (before: number[], start: number, end: number) =>
    graph.node('Concat', [int64(graph, before), graph.node('Shape', [ANIME4K_INPUT], { start, end })], { axis: 0 })
  const split = graph.node('Reshape', [rounded, dims([1, 2, 6], 1, 3)])
  const rowsFirst = graph.node('Reshape', [graph.node('Transpose', [split], { perm: [0, 3, 1, 2, 4] }), dims([1, -1, 6], 2, 3)])
  const interleaved = graph.node('Transpose', [rowsFirst], { perm: [0, 1, 3, 2] })
  const outputShape = graph.node('Mul', [graph.node('Shape', [ANIME4K_INPUT]), int64(graph, [1, 2, 2, 1])])
  graph.node('Reshape', [interleaved, outputShape], undefined, ANIME4K_OUTPUT)
}

/*
 * Y'CbCr 4:2:0. Each output pixel's Y', Cb, Cr are a fixed linear map of its R, G, B (plus offsets),
 * and a 2x output's 2x2 block is exactly one input pixel's four sub-pixel phases, so its chroma
 * sample (the block's mean, centre-sited) is the mean of the four phases. Both are folded into
 * the residual convolution's rows: 4 luma phases (sy·2 + sx), then Cb, then Cr, all at the input's
 * resolution. The luma phases are interleaved as RGB is; the chroma planes are already in place.
 */

/** 12 phase-major rows (phase·3 + c) → 6 rows: Y' of phases 0-3, Cb, Cr. `withOffsets` for the bias. */
function toYuv420(values: Float32Array, color: YuvColor, withOffsets: boolean): Float32Array {
  const row = values.length / 12
  const { rows, offsets } = rgbToYuv(color)
  const result = new Float32Array(6 * row)
  const add = (to: number, from: number, weight: number) => {
    for (let i = 0; i < row; i++) result[to * row + i] += weight * values[from * row + i]
  }
  for (let phase = 0; phase < 4; phase++) {
    for (let c = 0; c < 3; c++) {
      add(phase, phase * 3 + c, rows[0][c])
      add(4, phase * 3 + c, rows[1][c] / 4)
      add(5, phase * 3 + c, rows[2][c] / 4)
    }
  }
  if (withOffsets) for (let plane = 0; plane < 6; plane++) result[plane] += offsets[plane < 4 ? 0 : plane - 3]
  return result
}

/**
 * 6 planes (4 luma phases, Cb, Cr) → flat [Y' 2H x 2W, Cb H x W, Cr H x W], rounded: 8-bit, or
 * 10-bit values in 16-bit words (clipped at 1023 first: QuantizeLinear saturates at the type's 65535).
 */
function yuv420Planes(graph: GraphBuilder, planes: string, color: YuvColor): void {
  const ten = color.bitDepth === 10
  const zeroPoint = graph.constant([], ten ? new Uint16Array(1) : new Uint8Array(1))
  const bounded = ten ? graph.node('Clip', [planes, graph.constant([], new Float32Array([0])), graph.constant([], new Float32Array([1023]))]) : planes
  const rounded = graph.node('QuantizeLinear', [bounded, graph.constant([], new Float32Array([1])), zeroPoint])
  // Planes from..to-1 (Slice along axis 1).
  const slice = (from: number, to: number) => graph.node('Slice', [rounded, int64(graph, [from]), int64(graph, [to]), int64(graph, [1])])
  const dims = (before: number[], start: number, end: number) =>
    graph.node('Concat', [int64(graph, before), graph.node('Shape', [ANIME4K_INPUT], { start, end })], { axis: 0 })
  // (sy, sx, H, W) → (H, sy, sx, W) → (H·sy, W, sx): as interleaveSamples, with one colour.
  const phases = graph.node('Reshape', [slice(0, 4), dims([1, 2, 2], 1, 3)])
  const rowsFirst = graph.node('Reshape', [graph.node('Transpose', [phases], { perm: [0, 3, 1, 2, 4] }), dims([1, -1, 2], 2, 3)])
  const luma = graph.node('Transpose', [rowsFirst], { perm: [0, 1, 3, 2] })
  const flat = (name: string) => graph.node('Reshape', [name, int64(graph, [-1])])
  graph.node('Concat', [flat(luma), flat(slice(4, 6))], { axis: 0 }, ANIME4K_OUTPUT)
}

function int64(graph: GraphBuilder, values: number[]): string {
  return graph.constant([values.length], BigInt64Array.from(values, BigInt))
}

/** [v; -v]: doubled, negated outputs of a convolution (weights or bias), so a Relu yields its CReLU. */
function signed(values: Float32Array): Float32Array {
  const doubled = new Float32Array(2 * values.length)
  doubled.set(values)
  for (let i = 0; i < values.length; i++) doubled[values.length + i] = -values[i]
  return doubled
}

/** values × factor, as a new array (the parsed weights stay as they are). */
function scaled(values: Float32Array, factor: number): Float32Array {
  return factor === 1 ? values : values.map((value) => value * factor)
}

/** OIHW weight restricted to input channels first…first+count-1 (one source's CReLU). */
function selectInputChannels(conv: Anime4kConv, first: number, count: number): Float32Array {
  const taps = conv.kernel * conv.kernel
  const selected = new Float32Array(conv.outChannels * count * taps)
  for (let o = 0; o < conv.outChannels; o++) {
    const from = (o * conv.inChannels + first) * taps
    selected.set(conv.weight.subarray(from, from + count * taps), o * count * taps)
  }
  return selected
}

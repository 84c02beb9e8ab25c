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
 */
import { encodeOnnxModel, type OnnxAttribute, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from '../onnx/model'
import { parseAnime4kWeights, type Anime4kConv, type Anime4kWeightsJson } from './weights'

export const ANIME4K_INPUT = 'input'
export const ANIME4K_OUTPUT = 'output'

class GraphBuilder {
  readonly nodes: OnnxNode[] = []
  readonly initializers: OnnxInitializer[] = []
  readonly valueInfo: OnnxValueInfo[] = []
  private names = 0

  constant(dims: number[], data: Float32Array | BigInt64Array): string {
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

export function buildAnime4kOnnx(weights: Anime4kWeightsJson): Uint8Array {
  const { convs, residual } = parseAnime4kWeights(weights)
  const graph = new GraphBuilder()

  // Per convolution: its CReLU (2 x outChannels), or for the residual layers its raw output.
  const outputs: string[] = []
  convs.forEach((conv, index) => {
    const { kernel, outChannels } = conv
    const crelu = !residual.includes(index)
    const channels = crelu ? 2 * outChannels : outChannels
    const pads = kernel === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]
    // The first layer reads the image; the others read earlier CReLUs, each through its own slice of the weights.
    const sources = conv.sources.length === 0 ? [{ input: ANIME4K_INPUT, count: conv.inChannels }] : conv.sources.map((s) => ({ input: outputs[s], count: 2 * convs[s].outChannels }))
    let first = 0
    const terms = sources.map(({ input, count }, i) => {
      const weight = selectInputChannels(conv, first, count)
      first += count
      const bias = i === 0 ? conv.bias : undefined
      const term = graph.conv(input, crelu ? signed(weight) : weight, [channels, count, kernel, kernel], bias && (crelu ? signed(bias) : bias), pads)
      return graph.feature(term, channels)
    })
    const sum = terms.reduce((total, term) => graph.feature(graph.node('Add', [term, total]), channels))
    outputs.push(crelu ? graph.feature(graph.node('Relu', [sum]), channels) : sum)
  })

  const residualNames = residual.map((index) => outputs[index])
  const shuffleInput = residualNames.length === 1 ? residualNames[0] : graph.node('Concat', residualNames, { axis: 1 })
  // Channel c·4 + sy·2 + sx → colour c at sub-pixel (sx, sy); a single colour broadcasts over R, G and B.
  const detail = graph.node('DepthToSpace', [shuffleInput], { blocksize: 2, mode: 'CRD' })
  // Linear half_pixel resize clamps source coordinates at the borders, as the shaders' bilinear sampling does.
  const scales = graph.constant([4], new Float32Array([1, 1, 2, 2]))
  const base = graph.node('Resize', [ANIME4K_INPUT, '', scales], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' })
  graph.node('Add', [detail, base], undefined, ANIME4K_OUTPUT)

  return encodeOnnxModel({
    producerName: 'anime-upscaler',
    opsetVersion: 17,
    graph: {
      name: weights.name,
      nodes: graph.nodes,
      initializers: graph.initializers,
      valueInfo: graph.valueInfo,
      inputs: [{ name: ANIME4K_INPUT, dims: [1, 3, 'height', 'width'] }],
      outputs: [{ name: ANIME4K_OUTPUT, dims: [1, 3, 'output_height', 'output_width'] }],
    },
  })
}

/** [v; -v]: doubled, negated outputs of a convolution (weights or bias), so a Relu yields its CReLU. */
function signed(values: Float32Array): Float32Array {
  const doubled = new Float32Array(2 * values.length)
  doubled.set(values)
  for (let i = 0; i < values.length; i++) doubled[values.length + i] = -values[i]
  return doubled
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

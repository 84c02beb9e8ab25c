/**
 * Anime4K x2 network → ONNX model bytes, arranged for onnxruntime's CPU kernels, which run
 * convolutions in a channel-blocked layout (NCHWc) and are memory-bound on these thin layers.
 *
 * - Edge padding (Pad mode "edge") has no blocked-layout kernel, so each pad costs a round trip
 *   out of and back into that layout: it is applied to a convolution's raw 8-channel output,
 *   before CReLU doubles it. Padding commutes with ReLU and negation.
 * - CReLU(y) = relu([y; -y]) is a 1x1 convolution with weights [I; -I] and a fused ReLU: it stays
 *   in the blocked layout, unlike Neg/Relu/Concat.
 * - A convolution over several earlier outputs (the last 1x1 of M and L) is split into one
 *   convolution per source, summed; intermediate shapes are declared with symbolic dims so that
 *   onnxruntime proves the addends alike and accumulates each Add inside a convolution instead
 *   of materialising a 56- or 112-channel concatenation.
 * - Those 1x1 convolutions read the already padded CReLU tensors, so the residual carries a
 *   one-pixel border (two at 2x) that is cropped after the pixel shuffle.
 */
import { encodeOnnxModel, type OnnxAttribute, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from '../onnx/model'
import { parseAnime4kWeights, type Anime4kConv, type Anime4kWeightsJson } from './weights'

export const ANIME4K_INPUT = 'input'
export const ANIME4K_OUTPUT = 'output'

/** Pad's `pads` for NCHW: one pixel before and after on H and W. */
const PAD_ONE_PIXEL = [0, 0, 1, 1, 0, 0, 1, 1]

/** A [1, channels, H, W] tensor at the input size, or with the one-pixel border of the padded layers. */
interface Feature {
  name: string
  padded: boolean
}

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

  /** Declares a feature's shape: onnxruntime only fuses an Add into a convolution when it can match the addends. */
  feature(name: string, channels: number, padded: boolean): Feature {
    const dims = padded ? ['padded_height', 'padded_width'] : ['height', 'width']
    this.valueInfo.push({ name, dims: [1, channels, ...dims] })
    return { name, padded }
  }

  conv(input: string, weight: Float32Array, dims: number[], bias?: Float32Array): string {
    const inputs = [input, this.constant(dims, weight)]
    if (bias) inputs.push(this.constant([dims[0]], bias))
    return this.node('Conv', inputs)
  }
}

export function buildAnime4kOnnx(weights: Anime4kWeightsJson): Uint8Array {
  const { convs, residual } = parseAnime4kWeights(weights)
  const graph = new GraphBuilder()
  const pads = graph.constant([PAD_ONE_PIXEL.length], BigInt64Array.from(PAD_ONE_PIXEL, BigInt))
  const padEdge = (tensor: string) => graph.node('Pad', [tensor, pads], { mode: 'edge' })

  // Raw (pre-CReLU) output of each convolution.
  const outputs: Feature[] = []
  const creluCache = new Map<number, string>()
  const paddedCrelu = (source: number): string => {
    let crelu = creluCache.get(source)
    if (crelu === undefined) {
      if (outputs[source].padded) throw new Error('A 1x1 convolution that feeds another layer is not supported')
      const channels = convs[source].outChannels
      const expand = graph.conv(padEdge(outputs[source].name), signedIdentity(channels), [2 * channels, channels, 1, 1])
      crelu = graph.node('Relu', [expand])
      creluCache.set(source, crelu)
    }
    return crelu
  }

  for (const conv of convs) {
    const { kernel, outChannels } = conv
    if (conv.sources.length === 0) {
      const input = kernel === 3 ? padEdge(ANIME4K_INPUT) : ANIME4K_INPUT
      const dims = [outChannels, conv.inChannels, kernel, kernel]
      outputs.push(graph.feature(graph.conv(input, conv.weight, dims, conv.bias), outChannels, false))
      continue
    }
    // On padded inputs a 3x3 convolution returns the input size; a 1x1 keeps the border.
    const padded = kernel === 1
    let first = 0
    const terms = conv.sources.map((source, i) => {
      const count = 2 * convs[source].outChannels
      const weight = selectInputChannels(conv, first, count)
      first += count
      const term = graph.conv(paddedCrelu(source), weight, [outChannels, count, kernel, kernel], i === 0 ? conv.bias : undefined)
      return graph.feature(term, outChannels, padded)
    })
    outputs.push(terms.reduce((sum, term) => graph.feature(graph.node('Add', [term.name, sum.name]), outChannels, padded)))
  }

  const residualFeatures = residual.map((index) => outputs[index])
  const paddedResidual = residualFeatures[0].padded
  if (residualFeatures.some((feature) => feature.padded !== paddedResidual)) {
    throw new Error('The pixel shuffle mixes layers of different sizes')
  }
  const residualNames = residualFeatures.map((feature) => feature.name)
  const shuffleInput = residualNames.length === 1 ? residualNames[0] : graph.node('Concat', residualNames, { axis: 1 })
  // Channel c·4 + sy·2 + sx → colour c at sub-pixel (sx, sy); a single colour broadcasts over R, G and B.
  let detail = graph.node('DepthToSpace', [shuffleInput], { blocksize: 2, mode: 'CRD' })
  if (paddedResidual) {
    const border = graph.constant([2], new BigInt64Array([2n, 2n]))
    const end = graph.constant([2], new BigInt64Array([-2n, -2n]))
    const axes = graph.constant([2], new BigInt64Array([2n, 3n]))
    detail = graph.node('Slice', [detail, border, end, axes])
  }
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

/** [I; -I] as a 1x1 convolution weight: y → [y; -y]. */
function signedIdentity(channels: number): Float32Array {
  const weight = new Float32Array(2 * channels * channels)
  for (let c = 0; c < channels; c++) {
    weight[c * channels + c] = 1
    weight[(channels + c) * channels + c] = -1
  }
  return weight
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

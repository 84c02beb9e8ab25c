/**
 * Anime4K CNN x2 weights as shipped by @websr/websr, and their translation into plain
 * convolutions (OIHW float32) that a graph builder or a cost estimate can use.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

export type Anime4kSize = 's' | 'm' | 'l'
export type Anime4kFlavor = 'an' | 'rl' | '3d'

const SIZES: readonly Anime4kSize[] = ['s', 'm', 'l']
const FLAVORS: readonly Anime4kFlavor[] = ['an', 'rl', '3d']

/** One entry of a WebSR weights file: a 4-output-channel chunk of a convolution, or the final pixel shuffle. */
export interface Anime4kLayerJson {
  name: string
  type: 'conv' | 'pixel_shuffle'
  inputs: string[]
  output: string
  weights?: number[]
  bias?: number[]
}

export interface Anime4kWeightsJson {
  name: string
  layers: Record<string, Anime4kLayerJson>
}

/** Reads `cnn-2x-{size}-{flavor}.json` from the installed @websr/websr package. */
export function loadAnime4kWeights(size: Anime4kSize, flavor: Anime4kFlavor = 'an'): Anime4kWeightsJson {
  if (!SIZES.includes(size)) throw new Error(`Expected anime4k size ${quoteList(SIZES)} but received '${size}'`)
  if (!FLAVORS.includes(flavor)) throw new Error(`Expected anime4k flavor ${quoteList(FLAVORS)} but received '${flavor}'`)
  const packageJson = createRequire(__filename).resolve('@websr/websr/package.json')
  const file = path.join(path.dirname(packageJson), 'weights', 'anime4k', `cnn-2x-${size}-${flavor}.json`)
  return JSON.parse(readFileSync(file, 'utf8')) as Anime4kWeightsJson
}

function quoteList(values: readonly string[]): string {
  const quoted = values.map((value) => `'${value}'`)
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`
}

/** Name the weights files give to the network input. */
const IMAGE_INPUT = 'input_image'

/**
 * One real convolution: the file's chunks that share an `inputs` list, merged in file order.
 * Its input is the RGB image, or, for each source convolution in order, CReLU of its output:
 * [relu(S1), relu(-S1), …, relu(Sn), relu(-Sn)]. CReLU applies per source convolution, not over
 * the whole concatenation: read the other way, M's and L's last layer lose about 4 dB on Bird.
 */
export interface Anime4kConv {
  /** Indices of the earlier convolutions whose CReLU outputs make the input; empty for the image. */
  sources: number[]
  kernel: number
  inChannels: number
  outChannels: number
  /** OIHW. */
  weight: Float32Array
  bias: Float32Array
}

export interface Anime4kNetwork {
  convs: Anime4kConv[]
  /** Indices of the convolutions whose concatenated outputs are pixel-shuffled into the residual. */
  residual: number[]
}

const CHUNK = 4

/** Turns the chunked, shader-oriented file layout into whole convolutions; throws on layouts these files never use. */
export function parseAnime4kWeights(weights: Anime4kWeightsJson): Anime4kNetwork {
  const layers = Object.values(weights.layers)
  const chunkOwner = new Map<string, number>() // chunk output name → index of its merged conv
  const groups: Anime4kLayerJson[][] = []
  for (const layer of layers.filter((entry) => entry.type === 'conv')) {
    const key = layer.inputs.join(',')
    let index = groups.findIndex((group) => group[0].inputs.join(',') === key)
    if (index < 0) index = groups.push([]) - 1
    groups[index].push(layer)
    chunkOwner.set(layer.output, index)
  }

  const convs = groups.map((chunks, index) => {
    const sources = resolveSources(chunks[0].inputs, groups, chunkOwner, index)
    return mergeChunks(chunks, sources)
  })

  const shuffles = layers.filter((entry) => entry.type === 'pixel_shuffle')
  if (shuffles.length !== 1) throw new Error(`${weights.name}: expected one pixel_shuffle layer, found ${shuffles.length}`)
  const residual = resolveSources(shuffles[0].inputs, groups, chunkOwner, groups.length)
  const residualChannels = residual.reduce((sum, index) => sum + convs[index].outChannels, 0)
  if (residualChannels !== 4 && residualChannels !== 12) {
    throw new Error(`${weights.name}: pixel shuffle of ${residualChannels} channels is neither 1 nor 3 colours at 2x`)
  }
  return { convs, residual }
}

/** Maps a list of chunk names onto whole earlier convolutions (the files never split one). */
function resolveSources(
  inputs: string[],
  groups: Anime4kLayerJson[][],
  chunkOwner: Map<string, number>,
  before: number,
): number[] {
  if (inputs.length === 1 && inputs[0] === IMAGE_INPUT) return []
  const sources: number[] = []
  for (let i = 0; i < inputs.length; ) {
    const owner = chunkOwner.get(inputs[i])
    if (owner === undefined || owner >= before) throw new Error(`Unknown or later input '${inputs[i]}'`)
    const outputs = groups[owner].map((chunk) => chunk.output)
    if (inputs.slice(i, i + outputs.length).join(',') !== outputs.join(',')) {
      throw new Error(`Input list [${inputs}] takes part of a convolution's chunks`)
    }
    sources.push(owner)
    i += outputs.length
  }
  return sources
}

/**
 * File layout per chunk: 4x4 blocks indexed inChunk·K² + kx·K + ky (x-major kernel offsets),
 * each block indexed in·4 + out (a column-major mat4 applied to a vec4 of inputs).
 * The image enters as a vec4 whose 4th component is unused: its weight row is dropped.
 */
function mergeChunks(chunks: Anime4kLayerJson[], sources: number[]): Anime4kConv {
  const fromImage = sources.length === 0
  const inChunks = fromImage ? 1 : 2 * chunks[0].inputs.length
  const inChannels = fromImage ? 3 : inChunks * CHUNK
  const taps = (chunks[0].weights?.length ?? 0) / (inChunks * CHUNK * CHUNK)
  const kernel = Math.round(Math.sqrt(taps))
  if (kernel * kernel !== taps || (kernel !== 1 && kernel !== 3)) {
    throw new Error(`Chunk '${chunks[0].name}' has ${chunks[0].weights?.length} weights: no 1x1 or 3x3 kernel fits`)
  }
  const outChannels = chunks.length * CHUNK
  const weight = new Float32Array(outChannels * inChannels * taps)
  const bias = new Float32Array(outChannels)
  chunks.forEach((chunk, c) => {
    const w = chunk.weights ?? []
    const b = chunk.bias ?? []
    if (w.length !== inChunks * taps * CHUNK * CHUNK || b.length !== CHUNK) {
      throw new Error(`Chunk '${chunk.name}' does not match the other chunks of its convolution`)
    }
    for (let o = 0; o < CHUNK; o++) {
      const out = c * CHUNK + o
      bias[out] = b[o]
      for (let i = 0; i < inChannels; i++) {
        const inChunk = Math.floor(i / CHUNK)
        for (let ky = 0; ky < kernel; ky++) {
          for (let kx = 0; kx < kernel; kx++) {
            const block = inChunk * taps + kx * kernel + ky
            weight[((out * inChannels + i) * kernel + ky) * kernel + kx] = w[block * 16 + (i % CHUNK) * 4 + o]
          }
        }
      }
    }
  })
  return { sources, kernel, inChannels, outChannels, weight, bias }
}

/** Multiply-adds ×2 per output pixel (four per input pixel at 2x), the usual way these nets are compared. */
export function anime4kCost(weights: Anime4kWeightsJson): number {
  const { convs } = parseAnime4kWeights(weights)
  const perInputPixel = convs.reduce((sum, c) => sum + 2 * c.inChannels * c.outChannels * c.kernel * c.kernel, 0)
  return perInputPixel / 4
}

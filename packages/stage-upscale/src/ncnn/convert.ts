/**
 * ncnn model (`.param` + `.bin`) → ONNX model bytes with our own writer, plus the metadata that
 * reproduces what the ncnn program made for it does around the network (see ./programs.ts).
 */
import { basename } from 'node:path'
import { UpscaleError } from '../errors'
import { encodeMetadata, type ImportedModelMetadata } from '../model-metadata'
import { encodeOnnxModel, type OnnxValueInfo } from '../onnx/model'
import type { Axis } from './geometry'
import { NcnnGraph, type MapBlob, type WeightStorage } from './graph'
import { convolution, deconvolution, innerProduct } from './layers-conv'
import { activation, binaryOp, eltwise, pooling, prelu, scale } from './layers-math'
import { concat, crop, input, interp, padding, pixelShuffle, split } from './layers-shape'
import { parseNcnnParam, type NcnnLayer } from './param'
import { programFor } from './programs'
import { NcnnWeightReader } from './weights'

type LayerConverter = (g: NcnnGraph, layer: NcnnLayer, weights: NcnnWeightReader) => void

const LAYERS: Record<string, LayerConverter> = {
  Input: input,
  Split: split,
  Noop: split,
  Dropout: split,
  Convolution: convolution,
  ConvolutionDepthWise: convolution,
  Deconvolution: deconvolution,
  InnerProduct: innerProduct,
  Crop: crop,
  Interp: interp,
  PixelShuffle: pixelShuffle,
  Padding: padding,
  Concat: concat,
  BinaryOp: binaryOp,
  Eltwise: eltwise,
  Scale: scale,
  Pooling: pooling,
  PReLU: prelu,
  ReLU: activation,
  Sigmoid: activation,
  TanH: activation,
  Swish: activation,
  Clip: activation,
}

/** The ncnn layer types the converter accepts. */
export const NCNN_LAYER_TYPES: readonly string[] = Object.keys(LAYERS)

export interface NcnnConvertOptions {
  /** How float16 weights are stored: 'float16' (default: exact, half the size, cast to float32 when loaded) or 'float32'. */
  weights?: WeightStorage
  /**
   * Round every intermediate result to float16, as the ncnn Vulkan programs store them, to
   * reproduce their output exactly (comparisons only: slower, and further from the trained model).
   */
  float16Blobs?: boolean
}

export interface ConvertedModel {
  /** The ONNX model, metadata included. */
  onnx: Uint8Array
  metadata: ImportedModelMetadata
}

/** The one blob no layer reads: the network's output (its tensor, and its name in the .param). */
function outputBlob(g: NcnnGraph, layers: NcnnLayer[], file: string): MapBlob & { ncnnName: string } {
  const read = new Set(layers.flatMap((layer) => layer.inputs))
  const candidates = new Map<string, string>()
  for (const layer of layers) for (const name of layer.outputs) if (!read.has(name)) candidates.set(g.all().get(name)!.name, name)
  if (candidates.size !== 1) {
    throw new UpscaleError('E_MODEL_UNSUPPORTED', `${file} has ${candidates.size} output blobs (${[...candidates.values()].join(', ')}); an image model has exactly one`)
  }
  const ncnnName = [...candidates.values()][0]
  const blob = g.all().get(ncnnName)!
  if (blob.kind !== 'map' || blob.channels !== 3) throw new UpscaleError('E_MODEL_UNSUPPORTED', `${file}: its output '${ncnnName}' is not a 3-channel image`)
  return { ...blob, ncnnName }
}

/** Scale and border of the network from its output geometry: a window of L gives scale·(L − 2·border). */
function scaleAndBorder(axis: Axis, file: string): { scale: number; border: number } {
  const { scale, offset } = axis
  const border = -offset / (2 * scale)
  if (!Number.isInteger(scale) || scale < 1 || !Number.isInteger(border) || border < 0) {
    throw new UpscaleError('E_MODEL_UNSUPPORTED', `${file}: an input of L pixels gives ${scale}·L ${offset < 0 ? '−' : '+'} ${Math.abs(offset)} output pixels: not an integer upscale with an even border`)
  }
  return { scale, border }
}

/** Input pixels beyond a tile that influence it: the radius, plus any offset of the output's pixel centres from where they belong. */
function receptiveRadius(axis: Axis, scale: number, border: number): number {
  const ideal = 0.5 / scale - 0.5 + border
  return Math.max(border, Math.ceil(axis.radius + Math.abs(axis.shift - ideal) - 1e-9))
}

/** Shapes of the intermediate tensors ([1, C, h, w], spatial sizes symbolic), so that a cut of the graph keeps its channel counts. */
function blobShapes(g: NcnnGraph, ends: string[]): OnnxValueInfo[] {
  const shapes = new Map<string, OnnxValueInfo>()
  for (const blob of g.all().values()) {
    if (ends.includes(blob.name)) continue
    const dims = blob.kind === 'map' ? [1, blob.channels, `${blob.name}:h`, `${blob.name}:w`] : [1, blob.channels, 1, 1]
    shapes.set(blob.name, { name: blob.name, dims })
  }
  return [...shapes.values()]
}

/** The smallest window every feature map has room in, and an estimate of the memory per window pixel. */
function windowNeeds(g: NcnnGraph): { minWindow: number; bytesPerPixel: number } {
  let minWindow = 1
  let largest = 0
  for (const blob of g.all().values()) {
    if (blob.kind !== 'map') continue
    minWindow = Math.max(minWindow, Math.ceil((1 - blob.x.offset) / blob.x.scale), Math.ceil((1 - blob.y.offset) / blob.y.scale))
    largest = Math.max(largest, blob.channels * blob.x.scale * blob.y.scale)
  }
  return { minWindow, bytesPerPixel: Math.ceil(4 * 4 * largest) }
}

function convertLayers(g: NcnnGraph, paramBytes: Uint8Array, binBytes: Uint8Array, files: { param: string; bin: string }): NcnnLayer[] {
  const { layers } = parseNcnnParam(paramBytes, files.param)
  const weights = new NcnnWeightReader(binBytes, files.bin)
  for (const layer of layers) {
    const convert = LAYERS[layer.type]
    if (!convert) {
      throw new UpscaleError(
        'E_MODEL_UNSUPPORTED',
        `${files.param}, line ${layer.line}: layer type '${layer.type}' (layer '${layer.name}') is not supported; supported types: ${NCNN_LAYER_TYPES.join(', ')}`,
      )
    }
    convert(g, layer, weights)
  }
  weights.finish(files.param)
  return layers
}

/**
 * Converts an ncnn model. `files` name the .param and .bin in errors and in the metadata.
 * Throws UpscaleError E_MODEL_INVALID (malformed or mismatched files) or E_MODEL_UNSUPPORTED (a
 * layer or parameter this converter does not handle), naming the file and line.
 */
export function convertNcnnModel(paramBytes: Uint8Array, binBytes: Uint8Array, files: { param: string; bin: string }, options: NcnnConvertOptions = {}): ConvertedModel {
  const storage = options.weights ?? 'float16'
  const g = new NcnnGraph(storage, options.float16Blobs)
  const layers = convertLayers(g, paramBytes, binBytes, files)
  const inputs = layers.filter((layer) => layer.type === 'Input')
  if (inputs.length !== 1) throw new UpscaleError('E_MODEL_UNSUPPORTED', `${files.param} has ${inputs.length} Input layers; an image model has exactly one`)
  // The graph input is the Input layer's blob as ncnn names it (with float16Blobs, its rounding follows it).
  const input = { name: inputs[0].outputs[0] }
  const output = outputBlob(g, layers, files.param)
  const { scale, border } = scaleAndBorder(output.x, files.param)
  const vertical = scaleAndBorder(output.y, files.param)
  if (vertical.scale !== scale || vertical.border !== border) throw new UpscaleError('E_MODEL_UNSUPPORTED', `${files.param}: the model scales width and height differently`)
  const radius = Math.max(receptiveRadius(output.x, scale, border), receptiveRadius(output.y, scale, border))
  const program = programFor(input.name, output.ncnnName, scale, border)
  const metadata: ImportedModelMetadata = {
    version: 1,
    origin: { format: 'ncnn', files: [basename(files.param), basename(files.bin)], program: program.name },
    scale,
    border,
    receptiveRadius: radius,
    align: g.align,
    ...windowNeeds(g),
    padding: program.padding,
    alpha: program.alpha,
    input: input.name,
    output: output.name,
    pools: g.pools.map(({ pooled, features, channels, x, y }) => ({
      pooled,
      features,
      channels,
      x: { scale: x.scale, offset: x.offset, shift: x.shift },
      y: { scale: y.scale, offset: y.offset, shift: y.shift },
    })),
    ...(g.pools.length > 0 ? { layers: Object.fromEntries(g.layerCosts) } : {}),
    flopsPerOutputPixel: Math.round(g.flopsPerInputPixel / (scale * scale)),
    weights: storage,
  }
  const onnx = encodeOnnxModel({
    producerName: 'anime-upscaler ncnn import',
    opsetVersion: 17,
    graph: {
      name: basename(files.param),
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: input.name, dims: [1, 3, 'height', 'width'] }],
      outputs: [{ name: output.name, dims: [1, 3, 'out_height', 'out_width'] }],
      valueInfo: blobShapes(g, [input.name, output.name]),
    },
    metadata: encodeMetadata(metadata),
  })
  return { onnx, metadata }
}

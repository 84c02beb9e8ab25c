/**
 * ncnn's weighted layers as ONNX: Convolution (and ConvolutionDepthWise), Deconvolution and
 * InnerProduct, with their fused activation (param 9: 1 ReLU, 2 LeakyReLU, 3 Clip, 4 Sigmoid).
 * Parameter numbers and weight layouts follow ncnn's layer sources (load_param / load_model).
 */
import { alignmentFor, convolveAxis, deconvolveAxis } from './geometry'
import type { MapBlob, NcnnGraph } from './graph'
import { arrayParam, floatParam, intParam, layerError, type NcnnLayer } from './param'
import type { NcnnWeightReader } from './weights'

/** The spatial parameters shared by convolutions and deconvolutions (ncnn's param numbers). */
interface Window2d {
  kernel: [number, number]
  dilation: [number, number]
  stride: [number, number]
  /** [left, right, top, bottom] */
  pads: [number, number, number, number]
}

function window2d(layer: NcnnLayer): Window2d {
  const kw = intParam(layer, 1, 0)
  const dw = intParam(layer, 2, 1)
  const sw = intParam(layer, 3, 1)
  const left = intParam(layer, 4, 0)
  const top = intParam(layer, 14, left)
  return {
    kernel: [kw, intParam(layer, 11, kw)],
    dilation: [dw, intParam(layer, 12, dw)],
    stride: [sw, intParam(layer, 13, sw)],
    pads: [left, intParam(layer, 15, left), top, intParam(layer, 16, top)],
  }
}

/** ONNX Conv's auto_pad for ncnn's "same" paddings (-233 same-upper, -234 same-lower), else undefined. */
function autoPad(g: NcnnGraph, layer: NcnnLayer, pads: number[]): 'SAME_UPPER' | 'SAME_LOWER' | undefined {
  if (pads.every((p) => p >= 0)) return undefined
  if (pads.every((p) => p === -233)) return 'SAME_UPPER'
  if (pads.every((p) => p === -234)) return 'SAME_LOWER'
  g.require(false, layer, `padding [${pads.join(', ')}] mixes explicit and automatic values, which is not supported`)
  return undefined
}

/** Left and right padding of "same" padding on an input of aligned length (the total is kernel extent − stride). */
function samePads(kernel: number, dilation: number, stride: number, mode: 'SAME_UPPER' | 'SAME_LOWER'): [number, number] {
  const total = Math.max(0, (kernel - 1) * dilation + 1 - stride)
  const small = Math.floor(total / 2)
  return mode === 'SAME_UPPER' ? [small, total - small] : [total - small, small]
}

function mapInput(g: NcnnGraph, layer: NcnnLayer): MapBlob {
  const input = g.input(layer)
  if (input.kind !== 'map') throw layerError(layer, `expects an image-like blob but '${layer.inputs[0]}' is a 1-D vector`, 'E_MODEL_UNSUPPORTED')
  return input
}

/** Adds the fused activation of param 9 (with its parameters in param 10) after `tensor`; the result is named `output`. */
export function activate(g: NcnnGraph, layer: NcnnLayer, tensor: string, type: number, output: string): void {
  const params = arrayParam(layer, 10)
  switch (type) {
    case 0:
      g.node('Identity', [tensor], undefined, output)
      return
    case 1:
      g.node('Relu', [tensor], undefined, output)
      return
    case 2:
      g.node('LeakyRelu', [tensor], { alpha: { float: params[0] ?? 0 } }, output)
      return
    case 3:
      g.node('Clip', [tensor, g.scalar(params[0] ?? -3.4e38), g.scalar(params[1] ?? 3.4e38)], undefined, output)
      return
    case 4:
      g.node('Sigmoid', [tensor], undefined, output)
      return
    default:
      throw layerError(layer, `fused activation type ${type} is not supported (supported: 0 none, 1 ReLU, 2 LeakyReLU, 3 Clip, 4 Sigmoid)`, 'E_MODEL_UNSUPPORTED')
  }
}

/** Runs `opType` and its activation: the last node writes the layer's output blob. */
function withActivation(g: NcnnGraph, layer: NcnnLayer, opType: string, inputs: string[], attributes: Record<string, number | number[] | string>): void {
  const type = intParam(layer, 9, 0)
  const output = layer.outputs[0]
  if (type === 0) g.node(opType, inputs, attributes, output)
  else activate(g, layer, g.node(opType, inputs, attributes), type, output)
}

export function convolution(g: NcnnGraph, layer: NcnnLayer, weights: NcnnWeightReader): void {
  const input = mapInput(g, layer)
  const outputs = intParam(layer, 0, 0)
  const group = layer.type === 'ConvolutionDepthWise' ? intParam(layer, 7, 1) : 1
  const { kernel, dilation, stride, pads } = window2d(layer)
  g.require(intParam(layer, 19, 0) === 0, layer, 'dynamic weights (param 19) are not supported')
  g.require(floatParam(layer, 18, 0) === 0 || pads.every((p) => p === 0), layer, 'padding with a non-zero value (param 18) is not supported')
  g.require(input.channels % group === 0 && outputs % group === 0, layer, `${input.channels} input and ${outputs} output channels do not divide into ${group} groups`)
  const inPerGroup = input.channels / group
  const [weight, bias] = weightedArrays(g, weights, layer, outputs * inPerGroup * kernel[0] * kernel[1], outputs, [outputs, inPerGroup, kernel[1], kernel[0]])
  const auto = autoPad(g, layer, pads)
  const [left, right] = auto ? samePads(kernel[0], dilation[0], stride[0], auto) : [pads[0], pads[1]]
  const [top, bottom] = auto ? samePads(kernel[1], dilation[1], stride[1], auto) : [pads[2], pads[3]]
  const attributes = {
    kernel_shape: [kernel[1], kernel[0]],
    dilations: [dilation[1], dilation[0]],
    strides: [stride[1], stride[0]],
    group,
    ...(auto ? { auto_pad: auto } : { pads: [top, left, bottom, right] }),
  }
  withActivation(g, layer, 'Conv', bias ? [input.name, weight, bias] : [input.name, weight], attributes)
  const x = convolveAxis(input.x, kernel[0], dilation[0], stride[0], left, right)
  const y = convolveAxis(input.y, kernel[1], dilation[1], stride[1], top, bottom)
  g.align = Math.max(g.align, alignmentFor(input.x, stride[0]), alignmentFor(input.y, stride[1]))
  g.flopsPerInputPixel += 2 * inPerGroup * outputs * kernel[0] * kernel[1] * x.scale * y.scale
  g.define(layer, { kind: 'map', channels: outputs, x, y })
}

/**
 * The weights (as an ONNX constant of `dims`) and optional biases of a weighted layer. ncnn
 * stores convolution weights [out][in][kh][kw], as ONNX Conv does; `reorder` rearranges them first.
 */
function weightedArrays(
  g: NcnnGraph,
  weights: NcnnWeightReader,
  layer: NcnnLayer,
  expected: number,
  outputs: number,
  dims: number[],
  reorder?: (values: Float32Array) => Float32Array,
): [string, string | undefined] {
  const size = intParam(layer, layer.type === 'InnerProduct' ? 2 : 6, 0)
  if (size !== expected) throw layerError(layer, `declares ${size} weights but its input blob and parameters need ${expected}: the .param is inconsistent`)
  g.require(intParam(layer, 8, 0) === 0, layer, 'int8-quantized layers (param 8) are not supported')
  const array = weights.tagged(size, layer, 'weights')
  const weight = g.weight(reorder ? { ...array, values: reorder(array.values) } : array, dims)
  const biasTerm = intParam(layer, layer.type === 'InnerProduct' ? 1 : 5, 0)
  return [weight, biasTerm ? g.weight(weights.raw(outputs, layer, 'biases'), [outputs]) : undefined]
}

/** ncnn's deconvolution weights are [out][in][kh][kw]; ONNX ConvTranspose wants [in][out][kh][kw]. */
function swapInOut(values: Float32Array, outputs: number, inputs: number, taps: number): Float32Array {
  const swapped = new Float32Array(values.length)
  for (let o = 0; o < outputs; o++) {
    for (let i = 0; i < inputs; i++) swapped.set(values.subarray((o * inputs + i) * taps, (o * inputs + i + 1) * taps), (i * outputs + o) * taps)
  }
  return swapped
}

export function deconvolution(g: NcnnGraph, layer: NcnnLayer, weights: NcnnWeightReader): void {
  const input = mapInput(g, layer)
  const outputs = intParam(layer, 0, 0)
  const { kernel, dilation, stride, pads } = window2d(layer)
  const outputPad = [intParam(layer, 18, 0), intParam(layer, 19, intParam(layer, 18, 0))]
  g.require(pads.every((p) => p >= 0), layer, `automatic padding [${pads.join(', ')}] is not supported`)
  g.require(intParam(layer, 20, 0) === 0 && intParam(layer, 21, 0) === 0, layer, 'a fixed output size (params 20, 21) is not supported')
  g.require(intParam(layer, 28, 0) === 0, layer, 'dynamic weights (param 28) are not supported')
  const taps = kernel[0] * kernel[1]
  const dims = [input.channels, outputs, kernel[1], kernel[0]]
  const [weight, bias] = weightedArrays(g, weights, layer, outputs * input.channels * taps, outputs, dims, (v) => swapInOut(v, outputs, input.channels, taps))
  const attributes = {
    kernel_shape: [kernel[1], kernel[0]],
    dilations: [dilation[1], dilation[0]],
    strides: [stride[1], stride[0]],
    pads: [pads[2], pads[0], pads[3], pads[1]],
    output_padding: [outputPad[1], outputPad[0]],
  }
  withActivation(g, layer, 'ConvTranspose', bias ? [input.name, weight, bias] : [input.name, weight], attributes)
  g.flopsPerInputPixel += 2 * input.channels * outputs * taps * input.x.scale * input.y.scale
  const x = deconvolveAxis(input.x, kernel[0], dilation[0], stride[0], pads[0], pads[1], outputPad[0])
  const y = deconvolveAxis(input.y, kernel[1], dilation[1], stride[1], pads[2], pads[3], outputPad[1])
  g.define(layer, { kind: 'map', channels: outputs, x, y })
}

/** InnerProduct on a 1-D blob (the pooled means of squeeze-and-excitation): a 1x1 convolution on [1, C, 1, 1]. */
export function innerProduct(g: NcnnGraph, layer: NcnnLayer, weights: NcnnWeightReader): void {
  const input = g.input(layer)
  g.require(input.kind === 'vector', layer, 'InnerProduct on an image-like blob (a fully connected layer over pixels) is not supported')
  const outputs = intParam(layer, 0, 0)
  const [weight, bias] = weightedArrays(g, weights, layer, outputs * input.channels, outputs, [outputs, input.channels, 1, 1])
  withActivation(g, layer, 'Conv', bias ? [input.name, weight, bias] : [input.name, weight], { kernel_shape: [1, 1] })
  g.define(layer, { kind: 'vector', channels: outputs })
}

/**
 * ncnn's arithmetic layers as ONNX: BinaryOp, Eltwise, Scale, global Pooling, PReLU and the
 * stand-alone activations. 1-D blobs are [1, C, 1, 1] tensors, so ncnn's per-channel broadcast of
 * a 1-D blob over an image blob is ONNX's own broadcasting.
 */
import { mergeAxes } from './geometry'
import type { Blob, NcnnGraph, Unnamed } from './graph'
import { arrayParam, floatParam, intParam, layerError, type NcnnLayer } from './param'
import type { NcnnWeightReader } from './weights'

/** The blob that combining `sources` element-wise gives (maps must be alike; 1-D blobs broadcast per channel). */
function combined(g: NcnnGraph, layer: NcnnLayer, sources: Blob[]): Unnamed<Blob> {
  const maps = sources.filter((s) => s.kind === 'map')
  const channels = Math.max(...sources.map((s) => s.channels))
  if (sources.some((s) => s.channels !== channels && !(s.kind === 'vector' && s.channels === 1))) {
    throw layerError(layer, `its inputs have ${sources.map((s) => s.channels).join(' and ')} channels`, 'E_MODEL_UNSUPPORTED')
  }
  if (maps.length === 0) return { kind: 'vector', channels }
  const x = mergeAxes(maps.map((m) => m.x))
  const y = mergeAxes(maps.map((m) => m.y))
  if (!x || !y) throw layerError(layer, 'its inputs have different sizes', 'E_MODEL_UNSUPPORTED')
  return { kind: 'map', channels, x, y }
}

/** ncnn BinaryOp types (param 0) → [ONNX op, operands swapped]. */
const BINARY_OPS: Record<number, [string, boolean]> = {
  0: ['Add', false],
  1: ['Sub', false],
  2: ['Mul', false],
  3: ['Div', false],
  4: ['Max', false],
  5: ['Min', false],
  6: ['Pow', false],
  7: ['Sub', true],
  8: ['Div', true],
  9: ['Pow', true],
}

/** BinaryOp (param 0 op; param 1 with a scalar, param 2 its value). */
export function binaryOp(g: NcnnGraph, layer: NcnnLayer): void {
  const type = intParam(layer, 0, 0)
  const op = BINARY_OPS[type]
  if (!op) throw layerError(layer, `operation ${type} is not supported (0-9: add, sub, mul, div, max, min, pow, rsub, rdiv, rpow)`, 'E_MODEL_UNSUPPORTED')
  const sources = g.inputs(layer)
  const operands = intParam(layer, 1, 0) ? [sources[0].name, g.scalar(floatParam(layer, 2, 0))] : sources.map((s) => s.name)
  g.require(operands.length === 2, layer, `expects two operands but has ${operands.length}`)
  g.node(op[0], op[1] ? [operands[1], operands[0]] : operands, undefined, layer.outputs[0])
  g.define(layer, combined(g, layer, sources))
}

/** Eltwise (param 0: 0 product, 1 sum with optional coefficients in param 1, 2 max). */
export function eltwise(g: NcnnGraph, layer: NcnnLayer): void {
  const type = intParam(layer, 0, 0)
  const sources = g.inputs(layer)
  const coefficients = arrayParam(layer, 1)
  g.require(type >= 0 && type <= 2, layer, `operation ${type} is not supported (0 product, 1 sum, 2 max)`)
  const terms = sources.map((s, i) => (type === 1 && coefficients.length > 0 && coefficients[i] !== 1 ? g.node('Mul', [s.name, g.scalar(coefficients[i])]) : s.name))
  const op = ['Mul', 'Add', 'Max'][type]
  let result = terms[0]
  for (let i = 1; i < terms.length; i++) result = g.node(op, [result, terms[i]], undefined, i === terms.length - 1 ? layer.outputs[0] : undefined)
  if (terms.length === 1) g.node('Identity', [result], undefined, layer.outputs[0])
  g.define(layer, combined(g, layer, sources))
}

/** Scale: by a second blob (param 0 = −233, squeeze-and-excitation) or by stored per-channel scales and biases. */
export function scale(g: NcnnGraph, layer: NcnnLayer, weights: NcnnWeightReader): void {
  const sources = g.inputs(layer)
  const size = intParam(layer, 0, 0)
  if (size === -233) {
    g.require(sources.length === 2, layer, 'scaling by a blob needs two inputs')
    g.node('Mul', [sources[0].name, sources[1].name], undefined, layer.outputs[0])
    g.define(layer, combined(g, layer, sources))
    return
  }
  g.require(size === sources[0].channels, layer, `has ${size} scales for ${sources[0].channels} channels`)
  const factors = g.weight(weights.raw(size, layer, 'scales'), [1, size, 1, 1])
  if (intParam(layer, 1, 0)) {
    const scaled = g.node('Mul', [sources[0].name, factors])
    g.node('Add', [scaled, g.weight(weights.raw(size, layer, 'biases'), [1, size, 1, 1])], undefined, layer.outputs[0])
  } else g.node('Mul', [sources[0].name, factors], undefined, layer.outputs[0])
  g.define(layer, combined(g, layer, [sources[0]]))
}

/** Global average pooling (param 0 = 1, param 4 = 1): the means of squeeze-and-excitation blocks, recorded for exact tiling. */
export function pooling(g: NcnnGraph, layer: NcnnLayer): void {
  const source = g.input(layer)
  g.require(intParam(layer, 4, 0) === 1 && intParam(layer, 7, 0) === 0, layer, 'only global pooling (param 4 = 1) is supported')
  g.require(intParam(layer, 0, 0) === 1, layer, 'global max pooling is not supported (only average, param 0 = 1)')
  if (source.kind !== 'map') throw layerError(layer, 'pools a 1-D blob', 'E_MODEL_UNSUPPORTED')
  const pooled = g.node('GlobalAveragePool', [source.name], undefined, layer.outputs[0])
  g.pools.push({ pooled, features: source.name, channels: source.channels, x: source.x, y: source.y })
  g.define(layer, { kind: 'vector', channels: source.channels })
}

/** PReLU (param 0: number of slopes, one per channel or one for all). */
export function prelu(g: NcnnGraph, layer: NcnnLayer, weights: NcnnWeightReader): void {
  const source = g.input(layer)
  const count = intParam(layer, 0, 0)
  g.require(count === source.channels || count === 1, layer, `has ${count} slopes for ${source.channels} channels`)
  const slopes = g.weight(weights.raw(count, layer, 'slopes'), count === 1 ? [1] : [count, 1, 1])
  g.node('PRelu', [source.name, slopes], undefined, layer.outputs[0])
  g.define(layer, { ...source, name: undefined })
}

/** ReLU (param 0: the slope of negative values, LeakyReLU when not 0), Sigmoid, TanH, Swish, Clip (params 0 min, 1 max). */
export function activation(g: NcnnGraph, layer: NcnnLayer): void {
  const source = g.input(layer)
  const output = layer.outputs[0]
  const slope = floatParam(layer, 0, 0)
  if (layer.type === 'ReLU') g.node(slope === 0 ? 'Relu' : 'LeakyRelu', [source.name], slope === 0 ? undefined : { alpha: { float: slope } }, output)
  else if (layer.type === 'Sigmoid') g.node('Sigmoid', [source.name], undefined, output)
  else if (layer.type === 'TanH') g.node('Tanh', [source.name], undefined, output)
  else if (layer.type === 'Swish') g.node('Mul', [source.name, g.node('Sigmoid', [source.name])], undefined, output)
  else g.node('Clip', [source.name, g.scalar(floatParam(layer, 0, -3.4e38)), g.scalar(floatParam(layer, 1, 3.4e38))], undefined, output)
  g.define(layer, { ...source, name: undefined })
}

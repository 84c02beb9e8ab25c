/**
 * ncnn layers that move pixels rather than compute them: Input, Split, Crop, Interp, PixelShuffle,
 * Padding, Concat. Every spatial size is a function `scale·L + offset` of the input length, so
 * only size-independent operations are accepted: a crop to a fixed size or a resize to a fixed
 * size would make the result depend on the tile.
 */
import { alignmentFor, cropAxis, interpolateAxis, mergeAxes, padAxis, repeatAxis, subsampleAxis, type Axis, INPUT_AXIS } from './geometry'
import type { OnnxAttribute } from '../onnx/model'
import type { MapBlob, NcnnGraph } from './graph'
import { arrayParam, floatParam, intParam, layerError, type NcnnLayer } from './param'

/** An effectively unbounded Slice end. */
const TO_THE_END = 2 ** 53 - 1

function mapInput(g: NcnnGraph, layer: NcnnLayer, index = 0): MapBlob {
  const input = g.input(layer, index)
  if (input.kind !== 'map') throw layerError(layer, `expects an image-like blob but '${layer.inputs[index]}' is a 1-D vector`, 'E_MODEL_UNSUPPORTED')
  return input
}

export function input(g: NcnnGraph, layer: NcnnLayer): void {
  g.define(layer, { kind: 'map', channels: intParam(layer, 2, 3), x: INPUT_AXIS, y: INPUT_AXIS })
}

/** Split (and the pass-through layers Noop, Dropout): every output is the input tensor itself. */
export function split(g: NcnnGraph, layer: NcnnLayer): void {
  const source = g.input(layer)
  if (layer.type === 'Dropout') g.require(floatParam(layer, 0, 1) === 1, layer, 'a Dropout that scales (param 0) is not supported')
  layer.outputs.forEach((_, i) => g.define(layer, { ...source }, i))
}

/** One axis of a crop: `start` elements dropped, and `end` (≤ 0: counted from the end) where it stops. */
function cropSpan(g: NcnnGraph, layer: NcnnLayer, axis: Axis, start: number, end: number): Axis {
  g.require(start >= 0, layer, `a crop starting ${-start} pixels before the end depends on the picture size and is not supported`)
  g.require(end <= 0, layer, `a crop to a fixed size (${end - start} pixels) depends on the picture size and is not supported`)
  return cropAxis(axis, start, axis.offset - start + end)
}

/** ncnn's axis of a 3-D blob (0 channels, 1 height, 2 width; negatives from the end) → 'c' | 'y' | 'x'. */
function cropAxisName(g: NcnnGraph, layer: NcnnLayer, axis: number): 'c' | 'y' | 'x' {
  const positive = axis < 0 ? axis + 3 : axis
  g.require(positive >= 0 && positive <= 2, layer, `crop axis ${axis} does not exist on an image blob`)
  return (['c', 'y', 'x'] as const)[positive]
}

/** Crop with starts/ends/axes (params 9, 10, 11), with offsets (0, 1, 2 and 6, 7, 8) or to a reference blob's size (two inputs). */
export function crop(g: NcnnGraph, layer: NcnnLayer): void {
  const source = mapInput(g, layer)
  const span = { c: [0, 0], y: [0, 0], x: [0, 0] } as Record<'c' | 'y' | 'x', [number, number]>
  let { x, y } = source
  const starts = arrayParam(layer, 9)
  if (layer.inputs.length === 2) {
    const reference = mapInput(g, layer, 1)
    g.require(reference.x.scale === x.scale && reference.y.scale === y.scale, layer, 'cropping to a blob of another scale is not supported')
    span.x = [intParam(layer, 0, 0), reference.x.offset - x.offset + intParam(layer, 0, 0)]
    span.y = [intParam(layer, 1, 0), reference.y.offset - y.offset + intParam(layer, 1, 0)]
  } else if (starts.length > 0) {
    const ends = arrayParam(layer, 10)
    const axes = arrayParam(layer, 11)
    starts.forEach((start, i) => {
      const name = cropAxisName(g, layer, axes[i] ?? i)
      const end = ends[i] === -233 || ends[i] === undefined ? 0 : ends[i]
      span[name] = [start === -233 ? 0 : start, end]
    })
  } else {
    g.require([3, 4, 5].every((key) => [0, -233].includes(intParam(layer, key, 0))), layer, 'a crop to a fixed size (params 3, 4, 5) is not supported')
    span.x = [intParam(layer, 0, 0), -intParam(layer, 6, 0)]
    span.y = [intParam(layer, 1, 0), -intParam(layer, 7, 0)]
    span.c = [intParam(layer, 2, 0), -intParam(layer, 8, 0)]
  }
  x = cropSpan(g, layer, x, ...span.x)
  y = cropSpan(g, layer, y, ...span.y)
  g.require(span.c[0] >= 0 && span.c[1] <= 0 && span.c[0] - span.c[1] < source.channels, layer, `channel crop [${span.c.join(', ')}] is out of range`)
  const ends = [span.c[1], span.y[1], span.x[1]].map((end) => (end === 0 ? TO_THE_END : end))
  g.node('Slice', [source.name, g.ints([span.c[0], span.y[0], span.x[0]]), g.ints(ends), g.ints([1, 2, 3])], undefined, layer.outputs[0])
  g.define(layer, { kind: 'map', channels: source.channels - span.c[0] + span.c[1], x, y })
}

/** One axis of a resize by `factor` (an integer or 1/integer): its geometry. */
function resizeAxis(g: NcnnGraph, layer: NcnnLayer, axis: Axis, factor: number, type: number): Axis {
  const upscale = Number.isInteger(factor) && factor >= 1
  const downscale = Number.isInteger(1 / factor) && factor < 1
  g.require(upscale || downscale, layer, `resize by ${factor} is not supported (only integer factors and their inverses keep tiles exact)`)
  if (downscale) g.align = Math.max(g.align, alignmentFor(axis, 1 / factor))
  if (type === 1) return upscale ? repeatAxis(axis, factor) : subsampleAxis(axis, 1 / factor)
  return interpolateAxis(axis, factor, type === 2 ? 1 : 2)
}

/** Interp (param 0: 1 nearest, 2 bilinear, 3 bicubic) by scale factors (params 1 height, 2 width); ncnn's bicubic is Keys' with a = −0.75 and clamped edges. */
export function interp(g: NcnnGraph, layer: NcnnLayer): void {
  const source = mapInput(g, layer)
  const type = intParam(layer, 0, 0)
  g.require(type >= 1 && type <= 3, layer, `resize type ${type} is not supported (1 nearest, 2 bilinear, 3 bicubic)`)
  g.require(intParam(layer, 3, 0) === 0 && intParam(layer, 4, 0) === 0 && intParam(layer, 5, 0) === 0, layer, 'a resize to a fixed or dynamic size (params 3, 4, 5) is not supported')
  g.require(intParam(layer, 6, 0) === 0, layer, 'align_corner resizing (param 6) depends on the picture size and is not supported')
  const factorY = floatParam(layer, 1, 1)
  const factorX = floatParam(layer, 2, 1)
  const attributes: Record<string, OnnxAttribute> =
    type === 1
      ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
      : { mode: type === 2 ? 'linear' : 'cubic', coordinate_transformation_mode: 'half_pixel', ...(type === 3 ? { cubic_coeff_a: { float: -0.75 } } : {}) }
  const scales = g.weight(Float32Array.of(1, 1, factorY, factorX), [4])
  g.node('Resize', [source.name, '', scales], attributes, layer.outputs[0])
  const x = resizeAxis(g, layer, source.x, factorX, type)
  const y = resizeAxis(g, layer, source.y, factorY, type)
  g.define(layer, { kind: 'map', channels: source.channels, x, y })
}

/** PixelShuffle (param 0 factor; param 1 mode: 0 as PyTorch = ONNX DepthToSpace CRD, 1 DCR). */
export function pixelShuffle(g: NcnnGraph, layer: NcnnLayer): void {
  const source = mapInput(g, layer)
  const factor = intParam(layer, 0, 1)
  g.require(source.channels % (factor * factor) === 0, layer, `${source.channels} channels cannot be shuffled into ${factor}x${factor} blocks`)
  g.node('DepthToSpace', [source.name], { blocksize: factor, mode: intParam(layer, 1, 0) === 0 ? 'CRD' : 'DCR' }, layer.outputs[0])
  g.define(layer, { kind: 'map', channels: source.channels / (factor * factor), x: repeatAxis(source.x, factor), y: repeatAxis(source.y, factor) })
}

/** Padding (params 0-3 top, bottom, left, right; 4 type: 0 constant (value 5), 1 edge, 2 reflect; 7, 8 channels before/after). */
export function padding(g: NcnnGraph, layer: NcnnLayer): void {
  const source = mapInput(g, layer)
  const [top, bottom, left, right, type] = [0, 1, 2, 3, 4].map((key) => intParam(layer, key, 0))
  const [front, behind] = [intParam(layer, 7, 0), intParam(layer, 8, 0)]
  g.require(type >= 0 && type <= 2, layer, `padding type ${type} is not supported (0 constant, 1 edge, 2 reflect)`)
  g.require(intParam(layer, 6, 0) === 0, layer, 'per-channel padding values (param 6) are not supported')
  g.require(type === 0 || (front === 0 && behind === 0), layer, 'edge or reflect padding of channels is not supported')
  const mode = ['constant', 'edge', 'reflect'][type]
  const inputs = [source.name, g.ints([0, front, top, left, 0, behind, bottom, right])]
  if (type === 0) inputs.push(g.scalar(floatParam(layer, 5, 0)))
  g.node('Pad', inputs, { mode }, layer.outputs[0])
  const x = padAxis(source.x, left, right, type !== 0)
  const y = padAxis(source.y, top, bottom, type !== 0)
  g.define(layer, { kind: 'map', channels: source.channels + front + behind, x, y })
}

/** Concat along channels (param 0 axis: 0, or −3 for image blobs). */
export function concat(g: NcnnGraph, layer: NcnnLayer): void {
  const sources = g.inputs(layer)
  const axis = intParam(layer, 0, 0)
  const channels = sources.reduce((sum, s) => sum + s.channels, 0)
  if (sources.every((s) => s.kind === 'vector')) {
    g.require(axis === 0 || axis === -1, layer, `concatenating 1-D blobs along axis ${axis} is not supported`)
    g.node('Concat', sources.map((s) => s.name), { axis: 1 }, layer.outputs[0])
    g.define(layer, { kind: 'vector', channels })
    return
  }
  g.require(axis === 0 || axis === -3, layer, `concatenation along axis ${axis} is not supported (only channels, axis 0)`)
  const maps = sources.map((_, i) => mapInput(g, layer, i))
  const x = mergeAxes(maps.map((m) => m.x))
  const y = mergeAxes(maps.map((m) => m.y))
  if (!x || !y) throw layerError(layer, 'its inputs have different sizes', 'E_MODEL_UNSUPPORTED')
  g.node('Concat', maps.map((m) => m.name), { axis: 1 }, layer.outputs[0])
  g.define(layer, { kind: 'map', channels, x, y })
}

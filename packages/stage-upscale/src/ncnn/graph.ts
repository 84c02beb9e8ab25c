/**
 * The ONNX graph under construction while an ncnn model is converted: the tensors ("blobs") with
 * what is known about them, the nodes and the weights.
 */
import { float32ToFloat16 } from '../float16'
import type { OnnxAttribute, OnnxInitializer, OnnxNode } from '../onnx/model'
import type { Axis } from './geometry'
import { layerError, type NcnnLayer } from './param'
import type { NcnnArray } from './weights'

/**
 * A tensor of the graph. `map`: an image-like [1, C, H, W]; `vector`: ncnn's 1-D blob (pooled means,
 * inner products), kept as [1, C, 1, 1] so that it broadcasts over a map per channel.
 */
export type Blob = MapBlob | VectorBlob

export interface MapBlob {
  kind: 'map'
  name: string
  channels: number
  x: Axis
  y: Axis
}

export interface VectorBlob {
  kind: 'vector'
  name: string
  channels: number
}

/** A blob before it is named: the name defaults to the ncnn blob's. */
export type Unnamed<T> = T extends unknown ? Omit<T, 'name'> & { name?: string } : never

/** A global pooling: the graph's `pooled` means [1, C, 1, 1] of its `features` map. */
export interface PoolPoint {
  pooled: string
  features: string
  channels: number
  x: Axis
  y: Axis
}

/** What computing a layer's output tensor costs, per input pixel (see PooledNetwork). */
export interface LayerCost {
  /** Floats of the tensor. */
  size: number
  flops: number
  /** The tensors the layer reads. */
  from: string[]
}

/** How weights are stored in the ONNX file: float16 arrays stay float16 (cast to float32 when the session loads) or all float32. */
export type WeightStorage = 'float16' | 'float32'

export class NcnnGraph {
  readonly nodes: OnnxNode[] = []
  readonly initializers: OnnxInitializer[] = []
  readonly pools: PoolPoint[] = []
  /** Input-size multiple the strided layers need (see geometry.alignmentFor). */
  align = 1
  /** Multiply-adds × 2 per input pixel, summed over the layers. */
  flopsPerInputPixel = 0
  /** Every layer's output tensor: its floats per input pixel, the FLOPs per input pixel the layer costs, and the tensors it reads. */
  readonly layerCosts = new Map<string, LayerCost>()
  private flopsBefore = 0
  private readonly blobs = new Map<string, Blob>()
  private names = 0

  /**
   * `roundBlobs`: every blob is rounded to float16 as it is made, as ncnn's Vulkan programs store
   * them (fp16 storage); only to reproduce their output.
   */
  constructor(
    private readonly storage: WeightStorage,
    private readonly roundBlobs = false,
  ) {}

  /** The blob a layer reads; throws naming the layer when no earlier layer made it. */
  input(layer: NcnnLayer, index = 0): Blob {
    const name = layer.inputs[index]
    const blob = this.blobs.get(name)
    if (!blob) throw layerError(layer, `reads blob '${name}', which no earlier layer produces`)
    return blob
  }

  inputs(layer: NcnnLayer): Blob[] {
    return layer.inputs.map((_, i) => this.input(layer, i))
  }

  /** Registers the layer's output blob `index` (named after it unless `blob.name` says otherwise). */
  define(layer: NcnnLayer, blob: Unnamed<Blob>, index = 0): Blob {
    const name = layer.outputs[index]
    if (this.blobs.has(name)) throw layerError(layer, `produces blob '${name}', which an earlier layer already produced`)
    const tensor = blob.name ?? (this.roundBlobs ? this.node('Cast', [this.node('Cast', [name], { to: 10 })], { to: 1 }, `${name}:float16`) : name)
    const defined = { ...blob, name: tensor } as Blob
    this.blobs.set(name, defined)
    if (!blob.name) {
      // 1-D blobs (the means of squeeze-and-excitation) cost nothing per pixel.
      const size = defined.kind === 'map' ? defined.channels * defined.x.scale * defined.y.scale : 0
      const from = layer.inputs.map((input) => this.blobs.get(input)!.name)
      this.layerCosts.set(tensor, { size, flops: this.flopsPerInputPixel - this.flopsBefore, from })
      this.flopsBefore = this.flopsPerInputPixel
    }
    return defined
  }

  /** Every blob, by its ncnn name. */
  all(): ReadonlyMap<string, Blob> {
    return this.blobs
  }

  /** Adds a node; its output is named `output` (the layer's own blob name) or a fresh name. */
  node(opType: string, inputs: string[], attributes?: Record<string, OnnxAttribute>, output?: string): string {
    const name = output ?? `_${opType}_${this.names++}`
    this.nodes.push({ opType, inputs, outputs: [name], attributes })
    return name
  }

  /** A constant; float16 weights stay float16 when the storage is float16 (a Cast, folded at load, makes them float32). */
  weight(array: NcnnArray | Float32Array, dims: number[]): string {
    const { values, float16 } = array instanceof Float32Array ? { values: array, float16: false } : array
    const name = `_w${this.names++}`
    if (float16 && this.storage === 'float16') {
      this.initializers.push({ name, dims, data: float32ToFloat16(values), elementType: 'float16' })
      return this.node('Cast', [name], { to: 1 })
    }
    this.initializers.push({ name, dims, data: values })
    return name
  }

  /** An int64 constant (shapes, slice bounds). */
  ints(values: number[]): string {
    const name = `_i${this.names++}`
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) })
    return name
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    const name = `_s${this.names++}`
    this.initializers.push({ name, dims: [], data: Float32Array.of(value) })
    return name
  }

  require(condition: boolean, layer: NcnnLayer, message: string): void {
    if (!condition) throw layerError(layer, message, 'E_MODEL_UNSUPPORTED')
  }
}

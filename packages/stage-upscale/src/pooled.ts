/**
 * Exact tiling for networks with global average pooling (the squeeze-and-excitation blocks of
 * waifu2x CUNet and Real-CUGAN): each pooled mean is taken over the whole picture, not over a tile.
 *
 * The model is cut at its poolings (their means become inputs). Pooling k's features are computed
 * tile by tile with means 0..k-1 already known, and each feature is counted once, by the tile that
 * owns its centre; the sums are kept in double precision. When the picture's intermediate results
 * fit in memory, the cut models run chained, each computing only what the previous did not, so
 * the whole costs one pass of the network; otherwise each pooling's stage recomputes its tiles
 * from the picture (about 3x the work for CUNet). Both sum the same features the same way, so
 * tiled and untiled results are identical.
 */
import * as ort from 'onnxruntime-node'
import { UpscaleError } from './errors'
import type { ImportedModelMetadata, PoolMetadata } from './model-metadata'
import { extractSubModel, neededNodes, readGraph } from './onnx/submodel'
import type { Tile } from './tiling'

/** NCHW float planes of one window. */
export interface PlaneWindow {
  planes: Float32Array
  width: number
  height: number
}

/** The tiles of one picture, in padded-picture coordinates, and the padding around it. */
export interface PicturePlan {
  tiles: Tile[]
  padding: number
  paddedWidth: number
  paddedHeight: number
}

/** FLOPs of recomputation worth one float less handed between cut models (see recomputeCheaply). */
const FLOP_PER_FLOAT = 2000

type CreateSession = (bytes: Uint8Array) => Promise<ort.InferenceSession>
type Infer = (session: ort.InferenceSession, feeds: Record<string, ort.Tensor>) => Promise<Record<string, ort.Tensor>>

/** One cut model of the chain: the tensors it takes and returns. */
interface ChainStage {
  inputs: string[]
  outputs: string[]
}

function owned(lo: number, hi: number, origin: number, axis: PoolMetadata['x'], length: number): [number, number] {
  // Feature j is centred on picture coordinate origin + j / scale + shift.
  const from = Math.max(0, Math.ceil((lo - origin - axis.shift) * axis.scale - 1e-9))
  const to = Math.min(length, Math.ceil((hi - origin - axis.shift) * axis.scale - 1e-9))
  return [from, Math.max(from, to)]
}

/** The tile's share of the picture along one axis (image coordinates), the first and last tiles reaching out into the padding. */
function share(tiles: Tile[], tile: Tile, axis: 'x' | 'y'): [number, number] {
  const [start, end] = axis === 'x' ? [tile.x0, tile.x1] : [tile.y0, tile.y1]
  const last = Math.max(...tiles.map((t) => (axis === 'x' ? t.x1 : t.y1)))
  return [start === 0 ? -Infinity : start, end === last ? Infinity : end]
}

/** Adds the features the tile owns to `sums` (per channel); returns how many positions that was. */
function addOwned(sums: Float64Array, features: ort.Tensor, pool: PoolMetadata, tile: Tile, picture: PicturePlan): number {
  const [, channels, height, width] = features.dims
  const expected = [pool.x.scale * tile.windowWidth + pool.x.offset, pool.y.scale * tile.windowHeight + pool.y.offset]
  if (channels !== pool.channels || width !== expected[0] || height !== expected[1]) {
    throw new UpscaleError('E_INFERENCE', `Pooled features '${pool.features}' came out [${features.dims.join(', ')}], expected [1, ${pool.channels}, ${expected[1]}, ${expected[0]}]`)
  }
  const [x0, x1] = owned(...share(picture.tiles, tile, 'x'), tile.windowX - picture.padding, pool.x, width)
  const [y0, y1] = owned(...share(picture.tiles, tile, 'y'), tile.windowY - picture.padding, pool.y, height)
  const data = features.data as Float32Array
  for (let c = 0; c < channels; c++) {
    let sum = 0
    for (let y = y0; y < y1; y++) for (let i = (c * height + y) * width + x0, end = i + x1 - x0; i < end; i++) sum += data[i]
    sums[c] += sum
  }
  return (x1 - x0) * (y1 - y0)
}

function windowTensor(window: PlaneWindow): ort.Tensor {
  return new ort.Tensor('float32', window.planes, [1, 3, window.height, window.width])
}

export class PooledNetwork {
  private chain?: ChainStage[]
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>()

  constructor(
    private readonly model: Uint8Array,
    private readonly metadata: ImportedModelMetadata,
    private readonly create: CreateSession,
    private readonly infer: Infer,
  ) {}

  /** The picture's global means, pooling by pooling: every tile's window runs the model cut at that pooling. */
  async means(picture: PicturePlan, read: (tile: Tile) => PlaneWindow): Promise<ort.Tensor[]> {
    const means: ort.Tensor[] = []
    const { pools, input } = this.metadata
    for (const [k, pool] of pools.entries()) {
      const session = await this.session(`stage ${k}`, [input, ...pools.slice(0, k).map((p) => p.pooled)], [pool.features])
      const sums = new Float64Array(pool.channels)
      let count = 0
      for (const tile of picture.tiles) {
        const feeds = this.feeds(read(tile), means)
        count += addOwned(sums, (await this.infer(session, feeds))[pool.features], pool, tile, picture)
      }
      means.push(this.mean(sums, count, pool, picture))
    }
    return means
  }

  /** The network's output on one window, given the picture's means. */
  async run(window: PlaneWindow, means: ort.Tensor[]): Promise<ort.Tensor> {
    const { pools, input, output } = this.metadata
    const session = await this.session('final', [input, ...pools.map((p) => p.pooled)], [output])
    return (await this.infer(session, this.feeds(window, means)))[output]
  }

  /**
   * The cut models chained over the picture's tiles, each tile keeping what later cut models read,
   * so that every node runs once per tile (memory grows with the picture). The poolings' stages
   * run here over all tiles; the function returned runs a tile's last stage, then lets its tensors go.
   */
  async chained(picture: PicturePlan, read: (tile: Tile) => PlaneWindow): Promise<(tile: Tile) => Promise<ort.Tensor>> {
    const { pools, input, output } = this.metadata
    const held = new Map(picture.tiles.map((tile) => [tile, new Map([[input, windowTensor(read(tile))]])]))
    const means = new Map<string, ort.Tensor>()
    for (const [k, pool] of pools.entries()) {
      const sums = new Float64Array(pool.channels)
      let count = 0
      for (const [tile, tensors] of held) {
        await this.runStage(k, tensors, means)
        count += addOwned(sums, tensors.get(pool.features)!, pool, tile, picture)
        this.dropAfter(k, tensors)
      }
      means.set(pool.pooled, this.mean(sums, count, pool, picture))
    }
    return async (tile) => {
      const tensors = held.get(tile)!
      held.delete(tile)
      await this.runStage(pools.length, tensors, means)
      return tensors.get(output)!
    }
  }

  /** Runs cut model k of the chain on one tile's tensors, adding what it returns. */
  private async runStage(k: number, tensors: Map<string, ort.Tensor>, means: Map<string, ort.Tensor>): Promise<void> {
    const stage = this.chainStages()[k]
    if (stage.outputs.length === 0) return
    const session = await this.session(`chain ${k}`, stage.inputs, stage.outputs)
    const results = await this.infer(session, Object.fromEntries(stage.inputs.map((name) => [name, tensors.get(name) ?? means.get(name)!])))
    for (const name of stage.outputs) tensors.set(name, results[name])
  }

  /** Drops a tile's tensors that no cut model after k reads. */
  private dropAfter(k: number, tensors: Map<string, ort.Tensor>): void {
    const stages = this.chainStages()
    const later = new Set([...stages.slice(k + 1).flatMap((s) => s.inputs), ...this.metadata.pools.slice(k + 1).map((p) => p.features)])
    for (const name of tensors.keys()) if (!later.has(name)) tensors.delete(name)
  }

  async release(): Promise<void> {
    const sessions = await Promise.allSettled(this.sessions.values())
    await Promise.all(sessions.map((s) => (s.status === 'fulfilled' ? s.value.release() : undefined)))
  }

  private feeds(window: PlaneWindow, means: ort.Tensor[]): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = { [this.metadata.input]: windowTensor(window) }
    means.forEach((mean, k) => (feeds[this.metadata.pools[k].pooled] = mean))
    return feeds
  }

  private mean(sums: Float64Array, count: number, pool: PoolMetadata, picture: PicturePlan): ort.Tensor {
    const expected = (pool.x.scale * picture.paddedWidth + pool.x.offset) * (pool.y.scale * picture.paddedHeight + pool.y.offset)
    if (count !== expected) {
      throw new UpscaleError('E_INFERENCE', `The tiles covered ${count} of the ${expected} positions of pooled features '${pool.features}': the tile overlap is too small for this model`)
    }
    return new ort.Tensor('float32', Float32Array.from(sums, (sum) => sum / count), [1, pool.channels, 1, 1])
  }

  private session(key: string, inputs: string[], outputs: string[]): Promise<ort.InferenceSession> {
    let session = this.sessions.get(key)
    if (!session) {
      session = this.create(extractSubModel(this.model, inputs, outputs))
      this.sessions.set(key, session)
    }
    return session
  }

  /**
   * The chain: cut model k computes pooling k's features (the last one the output) from the image,
   * the means so far and what earlier cut models returned, and returns what later ones read.
   */
  private chainStages(): ChainStage[] {
    if (this.chain) return this.chain
    const { nodes, initializers } = readGraph(this.model)
    const { pools, input, output } = this.metadata
    const targets = [...pools.map((p) => p.features), output]
    const done = new Set<number>()
    const executed = targets.map((target, k) => {
      const cut = new Set([input, ...pools.slice(0, k).map((p) => p.pooled)])
      const own = neededNodes(nodes, cut, [target], initializers).filter((i) => !done.has(i))
      own.forEach((i) => done.add(i))
      return own
    })
    const produced = executed.map((own) => new Set(own.flatMap((i) => nodes[i].outputs)))
    const inputs = executed.map((own, k) => new Set(own.flatMap((i) => nodes[i].inputs).filter((name) => name && !initializers.has(name) && !produced[k].has(name))))
    inputs.forEach((needed) => this.recomputeCheaply(needed))
    this.chain = targets.map((target, k) => ({
      inputs: [...inputs[k]],
      outputs: [...produced[k]].filter((name) => targets.slice(k).includes(name) || inputs.slice(k + 1).some((later) => later.has(name))),
    }))
    return this.chain
  }

  /**
   * Handing a tensor from one cut model to the next costs more than computing a cheap one:
   * onnxruntime copies every output out of its blocked layout into JavaScript, about 12 ns per
   * float here against ~0.006 ns per FLOP of convolution (measured on this project's 2-core
   * machine; docs/models.md). So a cut model takes a layer's inputs instead of its output, and
   * computes the layer again, whenever that saves more floats than FLOP_PER_FLOAT times the layer's
   * FLOPs (e.g. CUNet's 64-channel 2x skip connection is recomputed from the 3-channel picture).
   */
  private recomputeCheaply(needed: Set<string>): void {
    const layers = this.metadata.layers ?? {}
    for (let changed = true; changed; ) {
      changed = false
      for (const name of needed) {
        const layer = layers[name]
        if (!layer || layer.from.length === 0) continue
        const added = layer.from.filter((i) => !needed.has(i)).reduce((sum, i) => sum + (layers[i]?.size ?? Infinity), 0)
        if (layer.flops >= (layer.size - added) * FLOP_PER_FLOAT) continue
        needed.delete(name)
        layer.from.forEach((i) => needed.add(i))
        changed = true
      }
    }
  }
}

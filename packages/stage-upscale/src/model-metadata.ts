/**
 * What an imported model needs besides its graph, stored in the ONNX file's metadata_props under
 * the key `anime-upscaler` (JSON), so that loading it needs no guessing: its scale, the border its
 * valid convolutions consume, the padding the original program put around the picture, its
 * receptive radius and alignment (for exact tiling), the global poolings of its
 * squeeze-and-excitation blocks, and how alpha is handled.
 */
import { UpscaleError } from './errors'
import { readOnnxMetadata } from './onnx/submodel'

export const METADATA_KEY = 'anime-upscaler'
const METADATA_VERSION = 1

/** Padding around the whole picture before the network: edge (repeat the border pixels), reflect (mirror without repeating them) or zero. */
export type PaddingMode = 'edge' | 'reflect' | 'zero'

/** A global average pooling of the network: its `pooled` tensor is the mean of its `features` tensor over the whole picture. */
export interface PoolMetadata {
  pooled: string
  features: string
  channels: number
  /** Per axis: a window of length L gives `scale·L + offset` features, feature j centred on window coordinate `j / scale + shift`. */
  x: { scale: number; offset: number; shift: number }
  y: { scale: number; offset: number; shift: number }
}

export interface ImportedModelMetadata {
  version: typeof METADATA_VERSION
  /** The format it was converted from, the files, and for ncnn the program whose pre- and post-processing it reproduces. */
  origin: { format: 'ncnn'; files: string[]; program: string }
  /** Output pixels per input pixel. */
  scale: number
  /** Input pixels each side of a window that the network consumes: a window of L gives scale·(L − 2·border) pixels. */
  border: number
  /** Input pixels beyond a tile that influence it (at least `border`): the tile overlap that makes tiling exact. */
  receptiveRadius: number
  /** Window sizes and positions (in padded-picture pixels) must be multiples of this. */
  align: number
  /** Smallest window every feature map of the network has room in. */
  minWindow: number
  /** Estimated inference memory per window pixel (four of the largest feature maps alive at once). */
  bytesPerPixel: number
  /** Padding around the whole picture before the network. */
  padding: { size: number; mode: PaddingMode }
  /** How alpha is upscaled: through the model as a grey image, or bicubic (Keys a = −0.75, as the ncnn programs do). */
  alpha: 'model' | 'bicubic'
  /** The graph's image input and output tensors (NCHW float32 RGB, 0..1). */
  input: string
  output: string
  /** Global average poolings in graph order (squeeze-and-excitation): computed over the whole picture when tiling. */
  pools: PoolMetadata[]
  /**
   * With poolings: every layer's output tensor with its floats and FLOPs per input pixel and the
   * tensors it reads, so that the cut models pass each other small tensors and recompute cheap
   * large ones (see PooledNetwork).
   */
  layers?: Record<string, { size: number; flops: number; from: string[] }>
  flopsPerOutputPixel: number
  /** How the weights are stored in the file (float16 weights are cast to float32 when the model loads). */
  weights: 'float16' | 'float32'
}

export function encodeMetadata(metadata: ImportedModelMetadata): Record<string, string> {
  return { [METADATA_KEY]: JSON.stringify(metadata) }
}

/** The metadata of an ONNX model made by our importer, or undefined for any other ONNX model. */
export function readImportedMetadata(model: Uint8Array, id: string): ImportedModelMetadata | undefined {
  let text: string | undefined
  try {
    text = readOnnxMetadata(model)[METADATA_KEY]
  } catch (error) {
    throw new UpscaleError('E_MODEL_INVALID', `Could not load model ${id}: it is not a valid ONNX model (${(error as Error).message})`, { cause: error })
  }
  if (text === undefined) return undefined
  let metadata: ImportedModelMetadata
  try {
    metadata = JSON.parse(text) as ImportedModelMetadata
  } catch (error) {
    throw new UpscaleError('E_MODEL_INVALID', `Model ${id} has unreadable '${METADATA_KEY}' metadata: ${(error as Error).message}`, { cause: error })
  }
  if (metadata.version !== METADATA_VERSION) {
    throw new UpscaleError('E_MODEL_UNSUPPORTED', `Model ${id} was imported by a newer anime-upscaler (metadata version ${metadata.version}); import it again with this one`)
  }
  return metadata
}

import { anime4kCost, buildAnime4kOnnx, loadAnime4kWeights, type Anime4kSize } from './anime4k'
import type { SampleType } from './types'
import type { YuvColor } from './yuv'

/** A model that ships with stage-upscale: no download, built in memory on first use. */
export interface ModelDescriptor {
  id: string
  description: string
  /** Native scale factor of one pass. */
  scale: number
  /** Floating-point operations per output pixel of one pass. */
  flopsPerOutputPixel: number
  /** How many input pixels around a pixel influence it: the least safe tile overlap. */
  receptiveRadius: number
  source: string
}

interface BuiltinModel extends ModelDescriptor {
  /** ONNX bytes of the model taking interleaved RGB samples of this type and returning the same, or 8-bit Y'CbCr 4:2:0. */
  build(samples: SampleType, yuv420?: YuvColor): Uint8Array
}

function anime4k(size: Anime4kSize, receptiveRadius: number, description: string): BuiltinModel {
  return {
    id: `anime4k-${size}`,
    description,
    scale: 2,
    flopsPerOutputPixel: anime4kCost(loadAnime4kWeights(size)),
    receptiveRadius,
    source: `Anime4K CNN x2 ${size.toUpperCase()} (bloc97, MIT) weights from npm @websr/websr (MIT), converted to ONNX by anime-upscaler`,
    build: (samples, yuv420) => buildAnime4kOnnx(loadAnime4kWeights(size), { samples, yuv420 }),
  }
}

let builtins: BuiltinModel[] | undefined
function builtinModels(): BuiltinModel[] {
  // 3x3 convolutions each widen the receptive field by one pixel; the bilinear base adds one more.
  builtins ??= [
    anime4k('s', 5, 'Anime4K CNN x2 S: the fast one, for previews and real time'),
    anime4k('l', 8, 'Anime4K CNN x2 L (VL): the best quality built in, about twice as slow as S'),
  ]
  return builtins
}

/** The model used when none is named: the best quality at a practical speed (see docs/quality.md). */
export const DEFAULT_MODEL = 'anime4k-l'

/** Every built-in model, for a `models` listing. */
export function listModels(): ModelDescriptor[] {
  return builtinModels().map(({ build: _build, ...descriptor }) => descriptor)
}

export function findBuiltinModel(id: string): BuiltinModel | undefined {
  return builtinModels().find((m) => m.id === id)
}

import { UpscaleError } from './errors'

/**
 * RGB → Y'CbCr as encoders want it, so a model can output 4:2:0 planes directly (the encoder then
 * converts nothing). Names are ffmpeg's (`-colorspace`, `-color_range`).
 */
export const YUV_MATRICES = ['bt709', 'smpte170m', 'bt470bg', 'bt2020nc', 'smpte240m'] as const
export type YuvMatrix = (typeof YUV_MATRICES)[number]

/** `tv`: limited range (Y 16-235, chroma 16-240); `pc`: full range (0-255). */
export type YuvRange = 'tv' | 'pc'

export interface YuvColor {
  matrix: YuvMatrix
  range: YuvRange
}

/** 8-bit Y'CbCr 4:2:0, planar: the Y plane (width x height), then Cb and Cr (each ⌈width/2⌉ x ⌈height/2⌉). */
export interface Yuv420Image extends YuvColor {
  format: 'yuv420p'
  data: Uint8Array
  width: number
  height: number
}

/** Kr and Kb of each matrix (bt470bg and smpte170m share BT.601's). */
const LUMA_WEIGHTS: Record<YuvMatrix, [number, number]> = {
  bt709: [0.2126, 0.0722],
  smpte170m: [0.299, 0.114],
  bt470bg: [0.299, 0.114],
  bt2020nc: [0.2627, 0.0593],
  smpte240m: [0.212, 0.087],
}

/**
 * The affine map from R, G, B in 0..255 to 8-bit Y, Cb, Cr: rows of [r, g, b] coefficients and
 * the offsets to add.
 */
export function rgbToYuv(color: YuvColor): { rows: [number, number, number][]; offsets: [number, number, number] } {
  const [kr, kb] = LUMA_WEIGHTS[color.matrix]
  const kg = 1 - kr - kb
  const [lumaSpan, chromaSpan, lumaOffset] = color.range === 'tv' ? [219, 224, 16] : [255, 255, 0]
  const y = lumaSpan / 255
  const cb = chromaSpan / 255 / (2 * (1 - kb))
  const cr = chromaSpan / 255 / (2 * (1 - kr))
  return {
    rows: [
      [kr * y, kg * y, kb * y],
      // Cb ∝ B − Y', Cr ∝ R − Y'.
      [-kr * cb, -kg * cb, (1 - kb) * cb],
      [(1 - kr) * cr, -kg * cr, -kb * cr],
    ],
    offsets: [lumaOffset, 128, 128],
  }
}

export function assertYuvColor(name: string, value: unknown): asserts value is YuvColor {
  const { matrix, range } = (value ?? {}) as Partial<YuvColor>
  if (typeof value === 'object' && (YUV_MATRICES as readonly unknown[]).includes(matrix) && (range === 'tv' || range === 'pc')) return
  throw new UpscaleError(
    'E_INVALID_ARGUMENT',
    `Expected { matrix: ${YUV_MATRICES.map((m) => `'${m}'`).join(' | ')}, range: 'tv' | 'pc' } for ${name} but received ${JSON.stringify(value)}`,
  )
}

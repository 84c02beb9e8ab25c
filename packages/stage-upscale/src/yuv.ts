import { UpscaleError } from './errors'
import type { RawImage } from './types'

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
  /** 8 (default) or 10: 10-bit samples (0..1023) in 16-bit words, as `yuv420p10le` holds them. */
  bitDepth?: 8 | 10
}

/**
 * Y'CbCr 4:2:0, planar: the Y plane (width x height), then Cb and Cr (each ⌈width/2⌉ x ⌈height/2⌉):
 * `yuv420p` in a Uint8Array, or `yuv420p10le` (10-bit values) in a Uint16Array.
 */
export interface Yuv420Image extends YuvColor {
  format: 'yuv420p' | 'yuv420p10le'
  data: Uint8Array | Uint16Array
  width: number
  height: number
}

/** The pixel format of Y'CbCr 4:2:0 samples of this depth. */
export function yuv420Format(color: YuvColor): Yuv420Image['format'] {
  return color.bitDepth === 10 ? 'yuv420p10le' : 'yuv420p'
}

/** Largest sample of this depth. */
export function yuvMax(color: YuvColor): number {
  return color.bitDepth === 10 ? 1023 : 255
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
 * The affine map from R, G, B in 0..255 to Y, Cb, Cr of the colour's depth (BT.709/BT.2020 scaling:
 * limited range 16-235 times 2^(bits-8), full range 0..2^bits-1): rows of [r, g, b] coefficients and
 * the offsets to add.
 */
export function rgbToYuv(color: YuvColor): { rows: [number, number, number][]; offsets: [number, number, number] } {
  const [kr, kb] = LUMA_WEIGHTS[color.matrix]
  const kg = 1 - kr - kb
  const unit = color.bitDepth === 10 ? 4 : 1
  const [lumaSpan, chromaSpan, lumaOffset] = color.range === 'tv' ? [219 * unit, 224 * unit, 16 * unit] : [yuvMax(color), yuvMax(color), 0]
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
    offsets: [lumaOffset, 128 * unit, 128 * unit],
  }
}

/**
 * An 8- or 16-bit RGB picture of even width and height as Y'CbCr 4:2:0 of `color`: each pixel's Y',
 * and the Cb and Cr of each 2x2 block's mean, rounded once, as the built-in models compute them
 * inside their graph. Models that cannot convert themselves get their output converted here.
 */
export function rgbToYuv420(image: RawImage<Uint8Array | Uint16Array>, color: YuvColor): Yuv420Image {
  const { data, width, height } = image
  if (image.channels !== 3 || width % 2 !== 0 || height % 2 !== 0) {
    throw new UpscaleError('E_INVALID_ARGUMENT', `Expected an RGB picture of even width and height for yuv420p output but received ${width}x${height}x${image.channels}`)
  }
  const { rows, offsets } = rgbToYuv(color)
  // Coefficients per sample of this depth; chroma ones also divide the block's sum by 4.
  const unit = 255 / (data instanceof Uint8Array ? 255 : 65535)
  const [yr, yg, yb] = rows[0].map((c) => c * unit)
  const [br, bg, bb] = rows[1].map((c) => (c * unit) / 4)
  const [rr, rg, rb] = rows[2].map((c) => (c * unit) / 4)
  const top = yuvMax(color)
  const quantize = (value: number) => (value <= 0 ? 0 : value >= top ? top : Math.round(value))
  const luma = width * height
  const out = color.bitDepth === 10 ? new Uint16Array((luma * 3) / 2) : new Uint8Array((luma * 3) / 2)
  let chroma = luma
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2, chroma++) {
      let r = 0
      let g = 0
      let b = 0
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const p = (y + dy) * width + x + dx
          const pr = data[3 * p]
          const pg = data[3 * p + 1]
          const pb = data[3 * p + 2]
          out[p] = quantize(yr * pr + yg * pg + yb * pb + offsets[0])
          r += pr
          g += pg
          b += pb
        }
      }
      out[chroma] = quantize(br * r + bg * g + bb * b + offsets[1])
      out[chroma + luma / 4] = quantize(rr * r + rg * g + rb * b + offsets[2])
    }
  }
  return { format: yuv420Format(color), data: out, width, height, ...color }
}

export function assertYuvColor(name: string, value: unknown): asserts value is YuvColor {
  const { matrix, range, bitDepth } = (value ?? {}) as Partial<YuvColor>
  const depthOk = bitDepth === undefined || bitDepth === 8 || bitDepth === 10
  if (typeof value === 'object' && (YUV_MATRICES as readonly unknown[]).includes(matrix) && (range === 'tv' || range === 'pc') && depthOk) return
  throw new UpscaleError(
    'E_INVALID_ARGUMENT',
    `Expected { matrix: ${YUV_MATRICES.map((m) => `'${m}'`).join(' | ')}, range: 'tv' | 'pc', bitDepth?: 8 | 10 } for ${name} but received ${JSON.stringify(value)}`,
    { option: name, value: JSON.stringify(value) },
  )
}

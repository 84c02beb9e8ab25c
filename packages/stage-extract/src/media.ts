export { parseRational, rationalFromNumber, reduce, sameRational, toNumber } from '@anime-upscaler/common'

/**
 * Bits per component of a pixel format, from its name: `yuv420p` 8, `yuv420p10le` 10,
 * `p010le` 10, `gbrp12le` 12, `rgb48le` 16, `gray16be` 16, float formats 32; everything else 8.
 */
export function bitDepthOf(pixelFormat: string): number {
  const name = pixelFormat.toLowerCase().replace(/(le|be)$/, '')
  if (/^(rgb|bgr)48$|^(rgba|bgra)64$/.test(name)) return 16
  if (/f(16|32)/.test(name)) return Number(/f(16|32)/.exec(name)![1])
  if (name === 'nv20' || name === 'xv30' || name === 'v30x') return 10
  if (name === 'xv36') return 12
  let match = /^[pP][024](\d\d)$/.exec(name) // p010, p016, p210, p410
  if (match) return Number(match[1])
  match = /^(?:yuva?\d{3}p|gbra?p|gray|ya|xyz|bayer_[a-z]+|y2)(\d{1,2})$/.exec(name)
  if (match) return Number(match[1])
  return 8
}

/** YUV-family pixel formats, the ones converted to RGB with a matrix and a range. */
export function isYuv(pixelFormat: string): boolean {
  return /^(yuv|yuvj|yuva|nv\d|p0\d|p2\d|p4\d|y2\d|yuyv|uyvy|yvyu|uyyvyy|xv\d|ayuv|vuya|vuyx|v30x|y41)/.test(pixelFormat)
}

export type SwsMatrix = 'bt601' | 'bt709' | 'bt2020' | 'smpte240m' | 'fcc'

/** ffprobe's color_space values to the names of the scale filter's `in_color_matrix`. */
export function swsMatrixOf(colorSpace: string | undefined): SwsMatrix | undefined {
  switch (colorSpace) {
    case 'bt709':
      return 'bt709'
    case 'smpte170m':
    case 'bt470bg':
      return 'bt601'
    case 'bt2020nc':
    case 'bt2020c':
    case 'bt2020_ncl':
    case 'bt2020_cl':
      return 'bt2020'
    case 'smpte240m':
      return 'smpte240m'
    case 'fcc':
      return 'fcc'
    default:
      return undefined
  }
}

/**
 * The matrix players assume for untagged video: BT.709 for HD (width >= 1280 or height > 576),
 * BT.601 for SD. (mpv, VLC and browsers guess the same way; ffmpeg alone always says BT.601.)
 */
export function guessMatrix(width: number, height: number): SwsMatrix {
  return width >= 1280 || height > 576 ? 'bt709' : 'bt601'
}

/** Normalises an angle in degrees to 0, 90, 180 or 270 (nearest quarter turn). */
export function quarterTurn(degrees: number): 0 | 90 | 180 | 270 {
  const turned = ((Math.round(degrees / 90) * 90) % 360 + 360) % 360
  return turned as 0 | 90 | 180 | 270
}

import type { RawImage } from '@anime-upscaler/stage-upscale'

/**
 * Image quality metrics on full-range luma (Y = 0.299 R + 0.587 G + 0.114 B on the 0..255 scale), the
 * definition behind the published Anime4K Bird numbers. (ffmpeg's psnr filter uses limited-range luma and
 * reads about 1.32 dB higher: do not compare against it.)
 */

const KR = 0.299
const KG = 0.587
const KB = 0.114

/**
 * Full-range luma of `image` on the 0..255 scale: 8-bit as is, 16-bit divided by 257, float (0..1) times 255.
 * 1 or 2 channels (grey, grey + alpha): the grey channel. 3 or 4: 0.299 R + 0.587 G + 0.114 B. Alpha is ignored.
 */
export function lumaPlane(image: RawImage): Float64Array {
  const { data, width, height, channels } = image
  if (!(data instanceof Uint8Array || data instanceof Uint16Array || data instanceof Float32Array)) {
    throw new TypeError('Expected image.data to be a Uint8Array, Uint16Array or Float32Array')
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new RangeError(`Expected image.channels 1, 2, 3 or 4 but received ${channels}`)
  }
  const n = width * height
  if (!Number.isInteger(n) || n <= 0 || data.length !== n * channels) {
    throw new RangeError(
      `Expected image.data length ${n * channels} (width ${width} x height ${height} x channels ${channels}) but received ${data.length}`,
    )
  }
  const scale = data instanceof Uint8Array ? 1 : data instanceof Uint16Array ? 1 / 257 : 255
  const y = new Float64Array(n)
  if (channels < 3) {
    for (let i = 0, p = 0; i < n; i++, p += channels) y[i] = data[p] * scale
  } else {
    const r = KR * scale
    const g = KG * scale
    const b = KB * scale
    for (let i = 0, p = 0; i < n; i++, p += channels) y[i] = r * data[p] + g * data[p + 1] + b * data[p + 2]
  }
  return y
}

function assertSameSize(a: RawImage, b: RawImage, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`${what}: image sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}`)
  }
}

/** Luma PSNR in dB with peak 255; Infinity when the luma planes are equal. Throws when the sizes differ. */
export function psnr(a: RawImage, b: RawImage): number {
  assertSameSize(a, b, 'psnr')
  const ya = lumaPlane(a)
  const yb = lumaPlane(b)
  let se = 0
  for (let i = 0; i < ya.length; i++) {
    const d = ya[i] - yb[i]
    se += d * d
  }
  if (se === 0) return Infinity
  const mse = se / ya.length
  return 10 * Math.log10((255 * 255) / mse)
}

const SSIM_WINDOW = 11
const SSIM_SIGMA = 1.5
const SSIM_C1 = (0.01 * 255) ** 2
const SSIM_C2 = (0.03 * 255) ** 2

function gaussianWindow(size: number, sigma: number): Float64Array {
  const w = new Float64Array(size)
  const half = (size - 1) / 2
  let sum = 0
  for (let i = 0; i < size; i++) {
    w[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma))
    sum += w[i]
  }
  for (let i = 0; i < size; i++) w[i] /= sum
  return w
}

/**
 * Luma SSIM (Wang, Bovik, Sheikh & Simoncelli 2004): 11x11 Gaussian window with sigma 1.5, K1 = 0.01,
 * K2 = 0.03, L = 255, mean of the SSIM map over the positions where the window fits inside the image
 * ('valid' filtering, as in the authors' reference implementation; no downsampling). 1 for equal images.
 * Throws when the sizes differ or the images are smaller than the window.
 */
export function ssim(a: RawImage, b: RawImage): number {
  assertSameSize(a, b, 'ssim')
  const { width, height } = a
  if (width < SSIM_WINDOW || height < SSIM_WINDOW) {
    throw new RangeError(`ssim: images must be at least ${SSIM_WINDOW}x${SSIM_WINDOW} but are ${width}x${height}`)
  }
  const ya = lumaPlane(a)
  const yb = lumaPlane(b)
  const win = gaussianWindow(SSIM_WINDOW, SSIM_SIGMA)
  const ow = width - SSIM_WINDOW + 1
  const oh = height - SSIM_WINDOW + 1

  // Horizontal pass of the five moments (a, b, a², b², ab) into width-ow rows.
  const ha = new Float64Array(height * ow)
  const hb = new Float64Array(height * ow)
  const haa = new Float64Array(height * ow)
  const hbb = new Float64Array(height * ow)
  const hab = new Float64Array(height * ow)
  for (let y = 0; y < height; y++) {
    const row = y * width
    for (let x = 0; x < ow; x++) {
      let sa = 0
      let sb = 0
      let saa = 0
      let sbb = 0
      let sab = 0
      for (let k = 0; k < SSIM_WINDOW; k++) {
        const w = win[k]
        const pa = ya[row + x + k]
        const pb = yb[row + x + k]
        sa += w * pa
        sb += w * pb
        saa += w * pa * pa
        sbb += w * pb * pb
        sab += w * pa * pb
      }
      const o = y * ow + x
      ha[o] = sa
      hb[o] = sb
      haa[o] = saa
      hbb[o] = sbb
      hab[o] = sab
    }
  }

  // Vertical pass and the SSIM map, accumulated on the fly.
  let total = 0
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let ma = 0
      let mb = 0
      let eaa = 0
      let ebb = 0
      let eab = 0
      for (let k = 0; k < SSIM_WINDOW; k++) {
        const w = win[k]
        const o = (y + k) * ow + x
        ma += w * ha[o]
        mb += w * hb[o]
        eaa += w * haa[o]
        ebb += w * hbb[o]
        eab += w * hab[o]
      }
      const va = eaa - ma * ma
      const vb = ebb - mb * mb
      const cov = eab - ma * mb
      total += ((2 * ma * mb + SSIM_C1) * (2 * cov + SSIM_C2)) / ((ma * ma + mb * mb + SSIM_C1) * (va + vb + SSIM_C2))
    }
  }
  return total / (ow * oh)
}

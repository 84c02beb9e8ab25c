import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { inflateSync } from 'node:zlib'
import { resample, type ResampleKernel } from '../src/resample'
import type { PixelData, RawImage } from '../src/types'

const KERNELS: ResampleKernel[] = ['bilinear', 'bicubic', 'lanczos3', 'area']

function image<T extends PixelData>(data: T, width: number, height: number, channels: number): RawImage<T> {
  return { data, width, height, channels }
}

function fill<T extends PixelData>(
  make: (n: number) => T,
  width: number,
  height: number,
  channels: number,
  f: (x: number, y: number, c: number) => number,
): RawImage<T> {
  const data = make(width * height * channels)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = f(x, y, c)
  return image(data, width, height, channels)
}

const u8 = (n: number) => new Uint8Array(n)
const u16 = (n: number) => new Uint16Array(n)
const f32 = (n: number) => new Float32Array(n)

describe('resample: argument validation', () => {
  const img = fill(u8, 4, 3, 3, () => 0)

  it('rejects non-positive or non-integer sizes', () => {
    expect(() => resample(img, -3, 2)).toThrow('Expected positive integer for width but received -3')
    expect(() => resample(img, 2, 0)).toThrow('Expected positive integer for height but received 0')
    expect(() => resample(img, 2.5, 2)).toThrow('Expected positive integer for width but received 2.5')
    expect(() => resample(img, NaN, 2)).toThrow('Expected positive integer for width but received NaN')
    expect(() => resample(img, '4' as unknown as number, 2)).toThrow("Expected positive integer for width but received '4'")
  })

  it('rejects unknown kernels', () => {
    expect(() => resample(img, 8, 6, 'foo' as ResampleKernel)).toThrow(
      "Expected kernel 'bilinear', 'bicubic', 'bicubic-a075', 'lanczos3' or 'area' but received 'foo'",
    )
  })

  it('rejects inconsistent images', () => {
    expect(() => resample(image(new Uint8Array(35), 4, 3, 3), 8, 6)).toThrow(
      'Expected image.data length 36 (width 4 x height 3 x channels 3) but received 35',
    )
    expect(() => resample(image(new Uint8Array(60), 4, 3, 5), 8, 6)).toThrow(
      'Expected image.channels 1, 2, 3 or 4 but received 5',
    )
    expect(() => resample(image(new Uint8Array(0), 0, 3, 3), 8, 6)).toThrow(
      'Expected positive integer for image.width but received 0',
    )
    expect(() => resample(image([1, 2, 3] as unknown as Uint8Array, 1, 1, 3), 2, 2)).toThrow(
      'Expected image.data to be a Uint8Array, Uint16Array or Float32Array but received an array',
    )
  })
})

describe('resample: behaviour', () => {
  it('returns equal data (a copy) at identity size', () => {
    const img = fill(u8, 7, 5, 3, (x, y, c) => (x * 37 + y * 11 + c * 5) % 256)
    for (const k of KERNELS) {
      const out = resample(img, 7, 5, k)
      expect(out.data).toEqual(img.data)
      expect(out.data).not.toBe(img.data)
      expect(out.data).toBeInstanceOf(Uint8Array)
    }
  })

  it('treats an unchanged axis as an identity', () => {
    // Columns stay independent: columns that are constant vertically keep their exact values.
    const col = fill(u8, 6, 4, 1, (x) => x * 40 + 3)
    for (const k of KERNELS) {
      const out = resample(col, 6, 8, k)
      expect(out.width).toBe(6)
      expect(out.height).toBe(8)
      for (let y = 0; y < 8; y++) for (let x = 0; x < 6; x++) expect(out.data[y * 6 + x]).toBe(x * 40 + 3)
    }
  })

  it('keeps a constant image constant with every kernel, up and down, any channel count', () => {
    for (const k of KERNELS) {
      for (const channels of [1, 2, 3, 4]) {
        const img = fill(u8, 9, 7, channels, (_x, _y, c) => 50 + 40 * c)
        for (const [w, h] of [
          [20, 15],
          [4, 3],
          [13, 7],
          [1, 1],
          [9, 2],
        ]) {
          const out = resample(img, w, h, k)
          expect(out.width).toBe(w)
          expect(out.height).toBe(h)
          expect(out.channels).toBe(channels)
          expect(out.data.length).toBe(w * h * channels)
          const wrong = Array.from(out.data).findIndex((v, i) => v !== 50 + 40 * (i % channels))
          expect(`${k} ${channels}ch ${w}x${h}: first wrong sample ${wrong}`).toBe(`${k} ${channels}ch ${w}x${h}: first wrong sample -1`)
        }
      }
    }
  })

  it('is centred: a bilinear 2x upscale of a linear ramp is a linear ramp in the interior', () => {
    // Source value v(x) = 10x sampled at pixel centres; output pixel i sits at source coordinate (i + 0.5) / 2 - 0.5.
    const src = fill(f32, 16, 3, 1, (x) => 10 * x)
    const out = resample(src, 32, 6, 'bilinear')
    for (let y = 0; y < 6; y++) {
      for (let i = 1; i < 31; i++) {
        expect(out.data[y * 32 + i]).toBeCloseTo(10 * ((i + 0.5) / 2 - 0.5), 4)
      }
      // Clamped edges: the outermost pixels take the edge value.
      expect(out.data[y * 32]).toBeCloseTo(0, 5)
      expect(out.data[y * 32 + 31]).toBeCloseTo(150, 4)
    }
    // The same holds for 3x and vertically, and with uint8 (rounded).
    const v = fill(u8, 2, 10, 1, (_x, y) => 20 * y)
    const out3 = resample(v, 2, 30, 'bilinear')
    for (let i = 2; i < 28; i++) expect(out3.data[i * 2]).toBe(Math.round(20 * ((i + 0.5) / 3 - 0.5)))
  })

  it('bicubic and lanczos3 reproduce a linear ramp away from the edges and are symmetric', () => {
    const src = fill(f32, 20, 1, 1, (x) => 3 * x + 1)
    for (const k of ['bicubic', 'lanczos3'] as const) {
      const out = resample(src, 40, 1, k)
      // Keys bicubic reproduces linear functions exactly; normalised lanczos3 to within a few hundredths of a step.
      const tolerance = k === 'bicubic' ? 1e-4 : 0.1
      for (let i = 8; i < 32; i++) expect(Math.abs(out.data[i] - (3 * ((i + 0.5) / 2 - 0.5) + 1))).toBeLessThan(tolerance)
      // A mirrored input gives a mirrored output (no half-pixel shift).
      const mirrored = fill(f32, 20, 1, 1, (x) => (x === 6 ? 1 : 0))
      const mirror2 = fill(f32, 20, 1, 1, (x) => (x === 13 ? 1 : 0))
      const a = resample(mirrored, 40, 1, k).data
      const b = resample(mirror2, 40, 1, k).data
      for (let i = 0; i < 40; i++) expect(a[i]).toBeCloseTo(b[39 - i], 6)
    }
  })

  it('area 2x downscale of a 2x2-block image equals the block means', () => {
    const w = 8
    const h = 6
    const img = fill(u8, w, h, 3, (x, y, c) => (x * 31 + y * 17 + c * 7 + ((x + y) % 2) * 2) % 256)
    const out = resample(img, w / 2, h / 2, 'area')
    for (let y = 0; y < h / 2; y++)
      for (let x = 0; x < w / 2; x++)
        for (let c = 0; c < 3; c++) {
          const at = (xx: number, yy: number) => img.data[(yy * w + xx) * 3 + c]
          const mean = (at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1)) / 4
          expect(out.data[(y * (w / 2) + x) * 3 + c]).toBe(Math.round(mean))
        }
    // Float input: exact means, no rounding.
    const fimg = fill(f32, 6, 4, 1, (x, y) => x * 0.1 + y * 0.01 + (x % 2) * 0.5)
    const fout = resample(fimg, 3, 2, 'area')
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 3; x++) {
        const at = (xx: number, yy: number) => fimg.data[yy * 6 + xx]
        const mean = (at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1)) / 4
        expect(fout.data[y * 3 + x]).toBeCloseTo(mean, 6)
      }
    // 3x: means of 3x3 blocks.
    const img3 = fill(u8, 9, 3, 1, (x) => x * 10)
    expect(Array.from(resample(img3, 3, 1, 'area').data)).toEqual([10, 40, 70])
  })

  it('area with a non-integer factor averages the exact footprint', () => {
    // 3 -> 2: output 0 covers [0, 1.5) = 1 * p0 + 0.5 * p1.
    const img = fill(f32, 3, 1, 1, (x) => [0, 3, 9][x])
    const out = resample(img, 2, 1, 'area')
    expect(out.data[0]).toBeCloseTo((0 + 0.5 * 3) / 1.5, 6)
    expect(out.data[1]).toBeCloseTo((0.5 * 3 + 9) / 1.5, 6)
  })

  it('handles odd sizes in both directions', () => {
    const img = fill(u8, 7, 5, 3, (x, y, c) => (x * 29 + y * 13 + c * 50) % 256)
    for (const k of KERNELS) {
      for (const [w, h] of [
        [15, 11],
        [3, 3],
        [11, 2],
        [1, 9],
      ]) {
        const out = resample(img, w, h, k)
        expect(out.data).toBeInstanceOf(Uint8Array)
        expect(out.data.length).toBe(w * h * 3)
      }
    }
    // A 1x1 source upscales to a constant.
    const one = resample(image(new Uint8Array([9, 99, 199]), 1, 1, 3), 3, 5, 'lanczos3')
    for (let i = 0; i < one.data.length; i++) expect(one.data[i]).toBe([9, 99, 199][i % 3])
  })

  it('keeps 16-bit samples 16-bit, rounded and clamped', () => {
    // A hard edge overshoots with lanczos3 and bicubic: results must stay within 0..65535.
    const img = fill(u16, 8, 2, 1, (x) => (x < 4 ? 0 : 65535))
    for (const k of KERNELS) {
      const out = resample(img, 16, 4, k)
      expect(out.data).toBeInstanceOf(Uint16Array)
      expect(out.data[0]).toBe(0)
      expect(out.data[15]).toBe(65535)
      for (const v of out.data) expect(Number.isInteger(v) && v >= 0 && v <= 65535).toBe(true)
    }
    // Values use the full 16-bit resolution (not truncated to 8 bits).
    const ramp = fill(u16, 4, 1, 1, (x) => 1000 + x)
    const up = resample(ramp, 8, 1, 'bilinear')
    expect(Array.from(up.data)).toEqual([1000, 1000, 1001, 1001, 1002, 1002, 1003, 1003])
  })

  it('clamps 8-bit overshoot and keeps float overshoot', () => {
    const edge8 = fill(u8, 8, 1, 1, (x) => (x < 4 ? 0 : 255))
    const up8 = resample(edge8, 16, 1, 'lanczos3').data
    expect(Math.min(...up8)).toBe(0)
    expect(Math.max(...up8)).toBe(255)
    const edgeF = fill(f32, 8, 1, 1, (x) => (x < 4 ? 0 : 1))
    const upF = resample(edgeF, 16, 1, 'lanczos3')
    expect(upF.data).toBeInstanceOf(Float32Array)
    expect(Math.min(...upF.data)).toBeLessThan(0)
    expect(Math.max(...upF.data)).toBeGreaterThan(1)
  })

  it('gives the same result on repeated calls and after other geometries (cached taps, reused scratch)', () => {
    const a = fill(u8, 33, 21, 3, (x, y, c) => (x * 7 + y * 13 + c * 101) % 256)
    const first = resample(a, 50, 40, 'lanczos3')
    const other = resample(fill(u8, 70, 90, 4, (x, y) => (x ^ y) & 255), 20, 200, 'bicubic')
    expect(other.data.length).toBe(20 * 200 * 4)
    const again = resample(a, 50, 40, 'lanczos3')
    expect(again.data).toEqual(first.data)
    expect(again.data).not.toBe(first.data)
  })

  it('antialiases when downscaling (a 1-pixel checkerboard averages out)', () => {
    const img = fill(u8, 64, 64, 1, (x, y) => ((x + y) % 2 ? 255 : 0))
    for (const k of KERNELS) {
      const out = resample(img, 16, 16, k)
      // Away from the clamped borders every output is ~mid grey.
      for (let y = 3; y < 13; y++) for (let x = 3; x < 13; x++) expect(Math.abs(out.data[y * 16 + x] - 127.5)).toBeLessThan(2)
    }
  })
})

// ---------------------------------------------------------------------------------------------------------
// Published benchmark: bloc97/Anime4K Bird (see ../shared/fixtures/SOURCES.md). bird_lr.png upscaled 2x and
// compared with bird_hr.png on full-range luma: plain bilinear / bicubic / lanczos reproduce 23.03 / 23.75 / 23.87.

/** Minimal decoder for 8-bit, non-interlaced greyscale / RGB / RGBA PNGs (enough for the bird fixtures). */
function decodePng(file: string): RawImage<Uint8Array> {
  const buf = readFileSync(file)
  let pos = 8
  let width = 0
  let height = 0
  let channels = 0
  const idat: Buffer[] = []
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos)
    const type = buf.toString('latin1', pos + 4, pos + 8)
    const body = buf.subarray(pos + 8, pos + 8 + len)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      const depth = body[8]
      const colour = body[9]
      const interlace = body[12]
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colour] ?? 0
      if (depth !== 8 || !channels || interlace !== 0) throw new Error(`unsupported PNG ${file}`)
    } else if (type === 'IDAT') idat.push(body)
    else if (type === 'IEND') break
    pos += 12 + len
  }
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  const out = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const o = y * stride
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[o + i - channels] : 0
      const b = y > 0 ? out[o - stride + i] : 0
      const c = i >= channels && y > 0 ? out[o - stride + i - channels] : 0
      let p: number
      switch (filter) {
        case 0:
          p = 0
          break
        case 1:
          p = a
          break
        case 2:
          p = b
          break
        case 3:
          p = (a + b) >> 1
          break
        case 4: {
          const e = a + b - c
          const pa = Math.abs(e - a)
          const pb = Math.abs(e - b)
          const pc = Math.abs(e - c)
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
          break
        }
        default:
          throw new Error(`bad PNG filter ${filter}`)
      }
      out[o + i] = (line[i] + p) & 255
    }
  }
  return { data: out, width, height, channels }
}

function lumaPsnr(a: RawImage<Uint8Array>, b: RawImage<Uint8Array>): number {
  let se = 0
  const n = a.width * a.height
  for (let i = 0; i < n; i++) {
    const p = i * a.channels
    const q = i * b.channels
    const d =
      0.299 * (a.data[p] - b.data[q]) + 0.587 * (a.data[p + 1] - b.data[q + 1]) + 0.114 * (a.data[p + 2] - b.data[q + 2])
    se += d * d
  }
  return 10 * Math.log10((255 * 255) / (se / n))
}

const FIXTURES = resolve(__dirname, '../../../../shared/fixtures/images')
const haveFixtures = existsSync(resolve(FIXTURES, 'bird_lr.png')) && existsSync(resolve(FIXTURES, 'bird_hr.png'))
const describeBird = haveFixtures ? describe : describe.skip

describeBird(
  haveFixtures ? 'resample: published Bird benchmark' : `resample: published Bird benchmark (skipped: no fixtures at ${FIXTURES})`,
  () => {
    const lr = haveFixtures ? decodePng(resolve(FIXTURES, 'bird_lr.png')) : undefined
    const hr = haveFixtures ? decodePng(resolve(FIXTURES, 'bird_hr.png')) : undefined

    it.each([
      ['bilinear', 23.03],
      ['bicubic', 23.75],
      ['lanczos3', 23.87],
    ] as const)('%s 2x upscale of bird_lr.png scores %f dB luma PSNR against bird_hr.png', (kernel, expected) => {
      const up = resample(lr!, hr!.width, hr!.height, kernel)
      const score = lumaPsnr(up, hr!)
      console.log(`Bird ${kernel}: ${score.toFixed(3)} dB (published/reference ${expected})`)
      expect(Math.abs(score - expected)).toBeLessThan(0.05)
    })

    it('area 2x downscale of bird_hr.png reproduces bird_lr.png exactly', () => {
      const down = resample(hr!, lr!.width, lr!.height, 'area')
      expect(Buffer.from(down.data.buffer).equals(Buffer.from(lr!.data.buffer))).toBe(true)
    })
  },
)

import { allocatePlanes, autoMatrix, planeDiffers, rgbToPlanes } from '../src/mpdecimate'
import { hammingDistance } from '../src/hash'
import { ffmpeg, ffmpegWithInput, image } from './helpers'

describe('the block metric, as mpdecimate computes it', () => {
  test("count limits per plane match ffmpeg's (its debug log prints lo:c<290 and lo:c<72 at 640x360)", () => {
    expect(allocatePlanes(640, 360, 0.33).map((p) => p.limit)).toEqual([290, 72, 72])
    expect(allocatePlanes(1920, 1080, 0.33).map((p) => p.limit)).toEqual([2653, 653, 653])
    expect(allocatePlanes(15, 15, 0.33).map((p) => p.limit)).toEqual([0, 0, 0])
  })

  test('planes are padded to whole 4x4 cells (at least 8x8) by repeating the edge', () => {
    const [y, u] = allocatePlanes(18, 6, 0.33)
    expect([y.stride, y.rows, u.width, u.height, u.stride, u.rows]).toEqual([20, 8, 9, 3, 12, 8])
    const planes = allocatePlanes(18, 6, 0.33)
    rgbToPlanes(image(18, 6, (x, row) => (x === 17 || row === 5 ? 255 : 0)).data, 18, 6, 'bt601', planes)
    const luma = planes[0]
    // White (235) in the last column and row, repeated into the padding; black (16) elsewhere.
    expect(Array.from(luma.data.subarray(0, luma.stride))).toEqual([...Array(17).fill(16), 235, 235, 235])
    expect(Array.from(luma.data.subarray(7 * luma.stride, 8 * luma.stride))).toEqual(Array(20).fill(235))
  })

  function plane(width: number, height: number, fill: (x: number, y: number) => number) {
    const p = allocatePlanes(width, height, 0.33)[0]
    for (let y = 0; y < p.rows; y++) for (let x = 0; x < p.stride; x++) p.data[y * p.stride + x] = fill(Math.min(x, width - 1), Math.min(y, height - 1))
    return p
  }
  const cells = new Int32Array(1024)

  test('hi: one 8x8 block above hi is enough; at hi exactly it is not', () => {
    const ref = plane(64, 64, () => 100)
    // A 4-aligned 8x8 square raised by 12: that block's SAD is 768 = hi, its neighbours less.
    const at = plane(64, 64, (x, y) => (x >= 16 && x < 24 && y >= 16 && y < 24 ? 112 : 100))
    expect(planeDiffers(at, ref, 768, 1000, cells)).toBe(false)
    const above = plane(64, 64, (x, y) => (x >= 16 && x < 24 && y >= 16 && y < 24 ? (x === 16 && y === 16 ? 113 : 112) : 100))
    expect(planeDiffers(above, ref, 768, 1000, cells)).toBe(true)
  })

  test('lo and frac: more than the limit of blocks above lo', () => {
    const ref = plane(64, 64, () => 100)
    // 64x64 at frac 0.33: limit trunc(4 * 4 * 0.33) = 5 blocks.
    const square = (side: number) => plane(64, 64, (x, y) => (x < side && y < side ? 102 : 100))
    // A 12x12 area +2: blocks overlapping it by more than 40 pixels have SAD > 80.
    expect(planeDiffers(square(8), ref, 768, 80, cells)).toBe(false) // one block (SAD 128), 4 half-covered (64)
    expect(planeDiffers(square(16), ref, 768, 80, cells)).toBe(true) // 9 blocks fully or 3/4 covered
    expect(planeDiffers(square(16), ref, 768, 200, cells)).toBe(false)
  })
})

describe('RGB to YCbCr 4:2:0', () => {
  test("within 1 of ffmpeg's own conversion on luma, 2 on chroma (BT.601 limited range)", () => {
    const width = 160
    const height = 120
    const rgb = ffmpeg('-f', 'lavfi', '-i', `testsrc2=s=${width}x${height}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1')
    const yuv444 = ffmpegWithInput(
      rgb,
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-i', 'pipe:0',
      '-vf', 'scale=out_color_matrix=bt601:out_range=tv:flags=accurate_rnd+full_chroma_int', '-f', 'rawvideo', '-pix_fmt', 'yuv444p', 'pipe:1',
    )
    const planes = allocatePlanes(width, height, 0.33)
    rgbToPlanes(new Uint8Array(rgb), width, height, 'bt601', planes)
    let worstY = 0
    let worstC = 0
    const n = width * height
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) worstY = Math.max(worstY, Math.abs(planes[0].data[y * planes[0].stride + x] - yuv444[y * width + x]))
    }
    // Our chroma is the mean of each 2x2 block: compare with the mean of ffmpeg's full-resolution chroma.
    for (let c = 1; c <= 2; c++) {
      for (let y = 0; y < height / 2; y++) {
        for (let x = 0; x < width / 2; x++) {
          let sum = 0
          for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) sum += yuv444[c * n + (2 * y + dy) * width + 2 * x + dx]
          worstC = Math.max(worstC, Math.abs(planes[c].data[y * planes[c].stride + x] - sum / 4))
        }
      }
    }
    expect(worstY).toBeLessThanOrEqual(1)
    expect(worstC).toBeLessThanOrEqual(2)
  })

  test("'auto' picks BT.709 for HD, as stage-extract does for untagged video", () => {
    expect([autoMatrix(640, 360), autoMatrix(720, 576), autoMatrix(720, 577), autoMatrix(1280, 720), autoMatrix(1920, 1080)]).toEqual(['bt601', 'bt601', 'bt709', 'bt709', 'bt709'])
  })
})

test('hamming distance of hex hashes', () => {
  expect(hammingDistance('00ff', '00ff')).toBe(0)
  expect(hammingDistance('00ff', '01fe')).toBe(2)
  expect(hammingDistance('f', '0')).toBe(4)
  expect(hammingDistance('ab', 'abc')).toBe(Infinity)
})

import { join, relative } from 'node:path'
import { detectDuplicates } from '../src'
import { decode, duplicates, ffmpeg, run, tempDir, type TestFrame } from './helpers'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

const W = 320
const H = 240

/**
 * A still picture (testsrc2's first frame, flat colour bars) where, in a few frames, a single 16x16
 * area changes: darker by 10 % on the yellow bar, 15 % whiter on the green bar, a 16x16 "mouth"
 * moving 8 px per frame, a red tint on the cyan bar, an opaque black square on the red bar.
 */
const CHANGES: Array<{ frames: number[]; box: (n: number) => string }> = [
  { frames: [4], box: () => 'x=120:y=160:w=16:h=16:color=black@0.1:t=fill' },
  { frames: [9], box: () => 'x=64:y=176:w=16:h=16:color=white@0.15:t=fill' },
  { frames: [14, 15, 16, 17], box: (n) => `x=${112 + 8 * (n - 14)}:y=200:w=16:h=16:color=black@0.1:t=fill` },
  { frames: [22], box: () => 'x=280:y=120:w=16:h=16:color=red@0.3:t=fill' },
  { frames: [30], box: () => 'x=24:y=100:w=16:h=16:color=black:t=fill' },
]
const FRAMES = 48
const CHANGED = CHANGES.flatMap((c) => c.frames)
/** A changed frame differs from the frame before it, and so does the first still frame after it. */
const MUST_KEEP = [...new Set([0, ...CHANGED, ...CHANGED.map((n) => n + 1)])].sort((a, b) => a - b)
const STILL_REPEATS = Array.from({ length: FRAMES }, (_, n) => n).filter((n) => !MUST_KEEP.includes(n))

let still: TestFrame[]
let repeats: TestFrame[]
let repeatIndices: number[]

beforeAll(() => {
  const boxes = CHANGES.flatMap((c) => c.frames.map((n) => `drawbox=${c.box(n)}:enable='eq(n\\,${n})'`))
  const stillFile = join(dir, 'still.mp4')
  ffmpeg(
    '-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}:r=24`,
    '-vf', `trim=end_frame=1,loop=loop=${FRAMES - 1}:size=1:start=0,setpts=N/24/TB,${boxes.join(',')}`,
    '-frames:v', String(FRAMES), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', stillFile,
  )
  still = decode(stillFile, W, H)

  // testsrc2 at 10 fps resampled to 24 fps: every picture repeated 2 or 3 times, losslessly encoded.
  const repeatsFile = join(dir, 'repeats.mkv')
  ffmpeg('-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}:r=10`, '-vf', 'fps=24', '-frames:v', '60', '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', repeatsFile)
  repeats = decode(repeatsFile, W, H)
  repeatIndices = repeats.filter((f, i) => i > 0 && Buffer.compare(f.image.data, repeats[i - 1].image.data) === 0).map((f) => f.index)
})

/** Mean absolute difference of the R, G, B samples inside a 16x16 box between two frames. */
function boxChange(a: TestFrame, b: TestFrame, x0: number, y0: number): number {
  let sum = 0
  for (let y = y0; y < y0 + 16; y++) for (let x = x0; x < x0 + 16; x++) for (let c = 0; c < 3; c++) {
    const i = (y * W + x) * 3 + c
    sum += Math.abs(a.image.data[i] - b.image.data[i])
  }
  return sum / (16 * 16 * 3)
}

describe('a still frame where only a 16x16 area changes', () => {
  test('the clip is what it should be: visible changes in the boxes only', () => {
    expect(still).toHaveLength(FRAMES)
    const changes = [boxChange(still[4], still[3], 120, 160), boxChange(still[9], still[8], 64, 176), boxChange(still[14], still[13], 112, 200), boxChange(still[22], still[21], 280, 120), boxChange(still[30], still[29], 24, 100)]
    console.log(`mean |ΔRGB| inside the changed 16x16 areas (0-255): ${changes.map((c) => c.toFixed(1)).join(', ')}`)
    for (const change of changes) expect(change).toBeGreaterThanOrEqual(10)
  })

  test('default detector: no changed frame is called a duplicate; the still repeats are', async () => {
    const out = await run(still, detectDuplicates({}))
    const dups = duplicates(out)
    expect(dups.filter((n) => MUST_KEEP.includes(n))).toEqual([])
    expect(dups).toEqual(STILL_REPEATS)
  })

  test("even with ffmpeg's looser lo and maxRun, the changed frames are kept", async () => {
    const dups = duplicates(await run(still, detectDuplicates({ lo: 320, maxRun: 5 })))
    expect(dups.filter((n) => MUST_KEEP.includes(n))).toEqual([])
  })

  test('hash (image-hash blockhash, the old approach) calls small changes duplicates: why it is not the default', async () => {
    const dups = duplicates(await run(still, detectDuplicates({ detector: 'hash' })))
    const frozen = CHANGED.filter((n) => dups.includes(n))
    console.log(`hash detector: ${frozen.length} of the ${CHANGED.length} changed frames called duplicates (${frozen.join(', ') || 'none'})`)
    expect(frozen.length).toBeGreaterThan(0)
  })
})

describe('a clip of exact repeats (10 fps pictures at 24 fps)', () => {
  test('the clip repeats pictures 2 or 3 times', () => {
    expect(repeats).toHaveLength(60)
    expect(repeatIndices.length).toBe(35)
  })

  for (const detector of ['default', 'exact', 'hash'] as const) {
    test(`${detector}: every repeat is found, nothing else`, async () => {
      const out = await run(repeats, detectDuplicates({ detector }))
      expect(duplicates(out)).toEqual(repeatIndices)
      for (const frame of out) if (frame.duplicateOf !== undefined) expect(frame.duplicateOf).toBe(frame.index - 1 - (repeatIndices.includes(frame.index - 1) ? (repeatIndices.includes(frame.index - 2) ? 2 : 1) : 0))
    })
  }

  test('off: nothing is a duplicate', async () => {
    expect(duplicates(await run(repeats, detectDuplicates({ detector: 'off' })))).toEqual([])
  })

  test('maxRun caps the duplicates in a row', async () => {
    for (const maxRun of [0, 1, 2]) {
      const out = await run(repeats, detectDuplicates({ maxRun }))
      let inRow = 0
      let longest = 0
      for (const frame of out) {
        inRow = frame.duplicateOf === undefined ? 0 : inRow + 1
        longest = Math.max(longest, inRow)
      }
      expect(longest).toBe(Math.min(maxRun, 2))
      // Frames forced to be kept are still repeats: with maxRun 1 the third copy of a picture is kept.
      if (maxRun === 1) expect(duplicates(out).length).toBeLessThan(repeatIndices.length)
    }
  })
})

describe("the README's custom detector module (tests/example-detector.mjs)", () => {
  const example = join(__dirname, 'example-detector.mjs')

  test('loaded by path (relative to the working directory), it keeps every changed frame and finds the repeats', async () => {
    const path = `./${relative(process.cwd(), example)}`
    const dups = duplicates(await run(still, detectDuplicates({ detector: path })))
    expect(dups.filter((n) => MUST_KEEP.includes(n))).toEqual([])
    expect(dups).toEqual(STILL_REPEATS)
    expect(duplicates(await run(repeats, detectDuplicates({ detector: path })))).toEqual(repeatIndices)
  })
})

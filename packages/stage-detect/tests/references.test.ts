import { join } from 'node:path'
import { Observable, map } from 'rxjs'
import { detectDuplicates, type DetectFrame, type Verdict } from '../src'
import { decode, describeFixtures, expectDetectError, ffmpeg, framesOf, image, run, tempDir, FIXTURES, type TestFrame } from './helpers'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

const W = 320
const H = 240

/**
 * A still picture (testsrc2) in shots of 3 frames, with grain and encoded lossily (no two frames are bit-identical):
 * A, B (a 24x12 "mouth" drawn), A, B, Y (a cut to colour bars), A (a cut back).
 */
const SHOTS = ['A', 'B', 'A', 'B', 'Y', 'A']
let clip: TestFrame[]

beforeAll(() => {
  const file = join(dir, 'flaps.mp4')
  const frames = 3 * SHOTS.length
  ffmpeg(
    '-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}:r=24`, '-f', 'lavfi', '-i', `smptebars=s=${W}x${H}:r=24`,
    '-filter_complex',
    `[0]trim=end_frame=1,loop=loop=${frames - 1}:size=1:start=0,setpts=N/24/TB,drawbox=x=150:y=150:w=24:h=12:color=black:t=fill:enable='between(n\\,3\\,5)+between(n\\,9\\,11)'[still];` +
      `[still][1]overlay=enable='between(n\\,12\\,14)',noise=alls=3:allf=t`,
    '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', file,
  )
  clip = decode(file, W, H)
})

/** For each frame, the index it repeats (or itself when kept). */
function sources(out: Array<{ index: number; duplicateOf?: number }>): number[] {
  return out.map((frame) => frame.duplicateOf ?? frame.index)
}

describe('references: a frame may repeat any of the last K kept frames', () => {
  test('the clip: no frame is an exact copy of another', () => {
    expect(clip).toHaveLength(18)
    for (let i = 1; i < clip.length; i++) expect(Buffer.compare(clip[i].image.data, clip[i - 1].image.data)).not.toBe(0)
  })

  test.each([
    // K = 1 (today): each shot change is kept.
    [1, [0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9, 9, 12, 12, 12, 15, 15, 15]],
    // K = 2: the mouth flap A-B-A-B reuses A and B; the cut back to A is 3 kept frames back (12, 3, 0).
    [2, [0, 0, 0, 3, 3, 3, 0, 0, 0, 3, 3, 3, 12, 12, 12, 15, 15, 15]],
    // K = 3: the cut back reuses A too.
    [3, [0, 0, 0, 3, 3, 3, 0, 0, 0, 3, 3, 3, 12, 12, 12, 0, 0, 0]],
  ])('references %i (default detector, worker)', async (references, expected) => {
    expect(sources(await run(clip, detectDuplicates({ references })))).toEqual(expected)
  })

  test('the same on the calling thread, and with the exact and hash detectors on lossless repeats', async () => {
    const expected = [0, 0, 0, 3, 3, 3, 0, 0, 0, 3, 3, 3, 12, 12, 12, 0, 0, 0]
    expect(sources(await run(clip, detectDuplicates({ references: 3, worker: false })))).toEqual(expected)
    // Lossless copies of the shots' first frames: exact and hash find the older repeats as well.
    const lossless = framesOf(SHOTS.flatMap((_, s) => [0, 1, 2].map(() => clip[3 * SHOTS.indexOf(SHOTS[s])].image)))
    for (const detector of ['exact', 'hash'] as const) expect(sources(await run(lossless, detectDuplicates({ detector, references: 3 })))).toEqual(expected)
  })

  test('maxRun still counts duplicates in a row, whichever kept frame they repeat', async () => {
    // 6 and 7 repeat 0 after 4 and 5 repeated 3: the fifth in a row (8) is kept and becomes the newest reference, which 15 and 16 then repeat.
    const out = sources(await run(clip, detectDuplicates({ references: 3, maxRun: 4 })))
    expect(out).toEqual([0, 0, 0, 3, 3, 3, 0, 0, 8, 3, 3, 3, 12, 12, 12, 8, 8, 17])
  })

  test('references is validated', () => {
    expect(() => detectDuplicates({ references: 0 })).toThrow('Expected positive integer for references but received 0')
    expect(() => detectDuplicates({ references: 2.5 })).toThrow('Expected positive integer for references but received 2.5')
  })
})

/** 8x8 frames whose first sample is a drawing number: 1 2 1 2 3 1. */
const DRAWINGS = [1, 1, 2, 2, 1, 2, 3, 1]
const numbered = framesOf(DRAWINGS.map((v) => image(8, 8, (x, y, c) => (x + y + c === 0 ? v : 10))))
const drawing = (frame: TestFrame) => frame.image.data[0]

describe('custom detectors answer duplicateOf', () => {
  test('a compare function gets the held kept frames and may name any of them', async () => {
    const held: number[][] = []
    const detector = (_previous: TestFrame, current: TestFrame, kept: readonly TestFrame[]): Verdict => {
      held.push(kept.map((f) => f.index))
      const match = kept.find((f) => drawing(f) === drawing(current))
      return match ? { duplicateOf: match.index } : false
    }
    const out = await run(numbered, detectDuplicates<TestFrame>({ detector, references: 2 }))
    // Kept: 0 (1), 2 (2), 6 (3), 7 (1: three kept frames back, beyond references 2).
    expect(sources(out)).toEqual([0, 0, 2, 2, 0, 2, 6, 7])
    expect(held[0]).toEqual([0])
    expect(held.at(-1)).toEqual([6, 2])
  })

  test('true still means the last kept frame; false keeps', async () => {
    const out = await run(numbered, detectDuplicates<TestFrame>({ detector: (previous, current) => drawing(previous) === drawing(current), references: 4 }))
    expect(sources(out)).toEqual([0, 0, 2, 2, 4, 5, 6, 7])
  })

  test('an operator detector may emit { duplicateOf } too, and maxRun applies on top', async () => {
    const firstOf = new Map<number, number>()
    const operator = (frames: Observable<DetectFrame>) =>
      frames.pipe(
        map((frame): Verdict => {
          const seen = firstOf.get(drawing(frame as TestFrame))
          if (seen === undefined) firstOf.set(drawing(frame as TestFrame), frame.index)
          return seen === undefined ? false : { duplicateOf: seen }
        }),
      )
    expect(sources(await run(numbered, detectDuplicates({ detector: { name: 'first-seen', operator }, references: 8 })))).toEqual([0, 0, 2, 2, 0, 2, 6, 0])
    firstOf.clear()
    expect(sources(await run(numbered, detectDuplicates({ detector: { name: 'first-seen', operator }, references: 8, maxRun: 1 })))).toEqual([0, 0, 2, 2, 4, 2, 6, 0])
  })

  test('a duplicateOf that is not held is an error naming the detector', async () => {
    const stale = await expectDetectError(run(numbered, detectDuplicates<TestFrame>({ detector: { name: 'stale', compare: (_p, current) => (current.index === 4 ? { duplicateOf: 0 } : false) }, references: 2 })), 'E_DETECTOR_INVALID')
    expect(stale).toMatchObject({ detector: 'stale', option: 'references', value: 2 })
    expect(stale.message).toBe(
      "Detector 'stale' answered duplicateOf 0 for frame 4, which is not a kept frame still held (held: 3, 2; references 2 holds the last 2): name one of those, or raise references to hold more",
    )
    const later = await expectDetectError(run(numbered, detectDuplicates({ detector: { name: 'future', operator: (s: Observable<DetectFrame>) => s.pipe(map((f) => (f.index === 1 ? { duplicateOf: 5 } : false))) } })), 'E_DETECTOR_INVALID')
    expect(later.message).toContain("Detector 'future' emitted duplicateOf 5 for frame 1, which is not a kept frame still held (held: 0; references 1 holds the last 1)")
    const odd = await expectDetectError(run(numbered, detectDuplicates<TestFrame>({ detector: { name: 'odd', compare: () => ({ changed: 'everything' }) as unknown as Verdict } })), 'E_DETECTOR_INVALID')
    expect(odd.message).toBe("Detector 'odd' answered changed: 'everything', not a list of { x, y, width, height } integer rectangles, for frame 1: compare must return true or false, or { duplicateOf } / { changed } (or a promise of one)")
  })
})

describeFixtures('references on the fixture clips', () => {
  test.each([
    ['hero_360p.webm', 360],
    ['short_360p.mp4', 72],
  ])('%s: K = 8 finds no older repeat mpdecimate would accept, so the verdicts equal K = 1', async (file, count) => {
    const frames = decode(join(FIXTURES, 'video', file), 640, 360)
    expect(frames).toHaveLength(count)
    const one = sources(await run(frames, detectDuplicates({ references: 1 })))
    const eight = sources(await run(frames, detectDuplicates({ references: 8 })))
    const older = eight.filter((source, i) => source !== i && source !== one[i]).length
    console.log(`${file}: references 8 marks ${eight.filter((s, i) => s !== i).length} duplicates, ${older} of an older kept frame (references 1: ${one.filter((s, i) => s !== i).length})`)
    expect(eight).toEqual(one)
  })
})

import { join } from 'node:path'
import { DEFAULT_THRESHOLDS, detectDuplicates } from '../src'
import { FIXTURES, decode, describeFixtures, mpdecimate, run, type TestFrame } from './helpers'

interface Confusion {
  /** Dropped by both. */
  bothDrop: number
  bothKeep: number
  /** ffmpeg drops, we keep. */
  onlyFfmpegDrops: number
  /** We drop, ffmpeg keeps. */
  onlyOursDrops: number
}

function confusion(ffmpegDrops: boolean[], ours: boolean[]): Confusion {
  const c: Confusion = { bothDrop: 0, bothKeep: 0, onlyFfmpegDrops: 0, onlyOursDrops: 0 }
  ffmpegDrops.forEach((ff, i) => {
    if (ff && ours[i]) c.bothDrop++
    else if (!ff && !ours[i]) c.bothKeep++
    else if (ff) c.onlyFfmpegDrops++
    else c.onlyOursDrops++
  })
  return c
}

const CLIPS = [
  { name: 'hero_360p.webm', frames: 360, ffmpegDefaultDrops: 104 },
  { name: 'short_360p.mp4', frames: 72, ffmpegDefaultDrops: 41 },
]

describeFixtures('agreement with ffmpeg mpdecimate on the fixture clips', () => {
  for (const clip of CLIPS) {
    describe(clip.name, () => {
      const file = join(FIXTURES, 'video', clip.name)
      let frames: TestFrame[]
      beforeAll(() => {
        frames = decode(file, 640, 360)
      })

      const settings = [
        { label: 'our defaults', thresholds: { ...DEFAULT_THRESHOLDS }, options: {} },
        { label: "ffmpeg's defaults", thresholds: { hi: 768, lo: 320, frac: 0.33 }, options: { hi: 768, lo: 320, frac: 0.33 } },
        { label: 'maxRun 1', thresholds: { ...DEFAULT_THRESHOLDS, max: 1 }, options: { maxRun: 1 } },
      ]
      for (const { label, thresholds, options } of settings) {
        test(`${label} (${JSON.stringify(thresholds)}): same keep/drop as mpdecimate on >= 97 % of frames`, async () => {
          expect(frames).toHaveLength(clip.frames)
          const reference = mpdecimate(file, thresholds)
          expect(reference).toHaveLength(clip.frames)
          if (label === "ffmpeg's defaults") expect(reference.filter(Boolean)).toHaveLength(clip.ffmpegDefaultDrops)
          const out = await run(frames, detectDuplicates(options))
          expect(out.map((f) => f.index)).toEqual(frames.map((f) => f.index))
          const ours = out.map((f) => f.duplicateOf !== undefined)
          const c = confusion(reference, ours)
          const agreement = (c.bothDrop + c.bothKeep) / clip.frames
          console.log(
            `${clip.name}, ${label}: ffmpeg drops ${reference.filter(Boolean).length}, we drop ${ours.filter(Boolean).length} of ${clip.frames}; ` +
              `both drop ${c.bothDrop}, both keep ${c.bothKeep}, only ffmpeg drops ${c.onlyFfmpegDrops}, only we drop ${c.onlyOursDrops}; ` +
              `agreement ${(agreement * 100).toFixed(1)} %`,
          )
          expect(agreement).toBeGreaterThanOrEqual(0.97)
          // Every duplicate names the last kept frame before it.
          let lastKept = -1
          for (const f of out) {
            if (f.duplicateOf === undefined) lastKept = f.index
            else expect(f.duplicateOf).toBe(lastKept)
          }
        })
      }
    })
  }
})

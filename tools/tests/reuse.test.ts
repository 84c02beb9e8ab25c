import { existsSync } from 'node:fs'
import path from 'node:path'
import { createUpscaler, type Upscaler } from '@anime-upscaler/stage-upscale'
import { decodeClip, measureReuse } from '../src/reuse-quality'

// Issue 12's quality bar at stage level: anime4k-l, stage-detect's default tiles (48 px) and threshold.
const FIXTURE_VIDEOS = path.resolve(__dirname, '../../../shared/fixtures/video')
const haveFixtures = existsSync(FIXTURE_VIDEOS)
const describeFixtures = haveFixtures ? describe : describe.skip

describeFixtures(haveFixtures ? 'tile reuse on the fixture clips, against full upscales' : `tile reuse on the fixture clips — SKIPPED: fixtures not found at ${FIXTURE_VIDEOS}`, () => {
  let upscaler: Upscaler
  beforeAll(async () => {
    upscaler = await createUpscaler({ model: 'anime4k-l', workers: 2, threads: 1 })
  })
  afterAll(() => upscaler.close())

  test.each(['short_360p.mp4', 'hero_360p.webm'])(
    '%s: reused frames ≥ 48 dB on average and none below 40 dB; no visible seams; duplicates as good as today',
    async (clip) => {
      const frames = decodeClip(path.join(FIXTURE_VIDEOS, clip), 640, 360)
      const q = await measureReuse(frames, upscaler, { references: 8 })
      const dB = (s: { mean: number; min: number; frames: number }) => `${s.frames} frames, mean ${s.mean.toFixed(1)} dB, min ${s.min.toFixed(1)} dB`
      console.log(
        `${clip}: ${q.kept} kept of ${q.frames} (${q.refreshed} wholly refreshed, identical); reused: ${dB(q.reused)}; ` +
          `duplicates with reuse: ${dB(q.duplicatesWithReuse)}, today: ${dB(q.duplicatesToday)}; older duplicates: ${q.olderDuplicates}; ` +
          `model work ${(100 * q.share).toFixed(1)} % of source pixels (${(100 * q.modelShare).toFixed(1)} % with halos); ` +
          `seams |Δ luma| ${q.seams.reused.toFixed(2)} vs ${q.seams.full.toFixed(2)} in the full upscale over ${q.seams.pixels} border pixels`,
      )
      expect(q.reused.frames).toBeGreaterThan(0)
      expect(q.reused.mean).toBeGreaterThanOrEqual(48)
      expect(q.reused.min).toBeGreaterThanOrEqual(40)
      expect(q.seams.reused).toBeLessThanOrEqual(q.seams.full + 1)
      // Duplicates repeat a reused output: still within the bar, and duplicates of older kept frames no worse than today's.
      expect(q.duplicatesWithReuse.mean).toBeGreaterThanOrEqual(48)
      expect(q.duplicatesWithReuse.min).toBeGreaterThanOrEqual(40)
      if (q.olderDuplicates > 0) {
        expect(q.olderDuplicatesToday.mean).toBeGreaterThanOrEqual(q.duplicatesToday.mean - 1e-9)
      }
      expect(q.share).toBeLessThan(q.kept / q.frames)
    },
    300_000,
  )
})

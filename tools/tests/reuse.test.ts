import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { measurePipeline } from '../src/pipeline-quality'
import type { PsnrSummary } from '../src/psnrs'

// Issue 12's quality bar end to end, through core: the default reuse (tiles, 8 references) against
// the same pipeline with reuse and duplicates off, lossless ffv1, luma PSNR frame by frame.
const FIXTURE_VIDEOS = path.resolve(__dirname, '../../../shared/fixtures/video')
const haveFixtures = existsSync(FIXTURE_VIDEOS)
const describeFixtures = haveFixtures ? describe : describe.skip

describeFixtures(haveFixtures ? 'reuse through core on the fixture clips, against full upscales' : `reuse through core on the fixture clips — SKIPPED: fixtures not found at ${FIXTURE_VIDEOS}`, () => {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'anime-upscaler-reuse-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test.each(['short_360p.mp4', 'hero_360p.webm'])(
    '%s: frames that are not duplicates ≥ 48 dB on average and none below 40 dB; no visible seams; duplicates as good as today; same frames and timestamps',
    async (clip) => {
      const q = await measurePipeline({ clip: path.join(FIXTURE_VIDEOS, clip), dir, options: { model: 'anime4k-l', workers: 2, threads: 1 } })
      const dB = (s: PsnrSummary) => `${s.frames} frames (${s.identical} identical), the others mean ${s.mean.toFixed(1)} dB, min ${s.min.toFixed(1)} dB`
      console.log(
        `${clip} through core: ${q.kept} kept of ${q.frames}: ${dB(q.keptFrames)}; duplicates with reuse: ${dB(q.duplicatesWithReuse)}, today: ${dB(q.duplicatesToday)}; ` +
          `older duplicates: ${q.olderDuplicates}; model work ${(100 * q.modelWork).toFixed(1)} %; seams |Δ luma| ${q.seams.reused.toFixed(2)} vs ${q.seams.full.toFixed(2)} in the full upscale over ${q.seams.pixels} border pixels`,
      )
      expect(q.sameTimestamps).toBe(true)
      expect(q.keptFrames.frames).toBe(q.kept)
      expect(q.keptFrames.mean).toBeGreaterThanOrEqual(48)
      expect(q.keptFrames.min).toBeGreaterThanOrEqual(40)
      expect(q.seams.pixels).toBeGreaterThan(0)
      expect(q.seams.reused).toBeLessThanOrEqual(q.seams.full + 1)
      // Duplicates of the last kept frame repeat its reused output: within the same bar (or today's minimum, mpdecimate's tolerance, where that is lower).
      expect(q.duplicatesWithReuse.mean).toBeGreaterThanOrEqual(48)
      expect(q.duplicatesWithReuse.min).toBeGreaterThanOrEqual(Math.min(40, q.duplicatesToday.min))
      // Duplicates of older kept frames no worse than today's duplicates.
      if (q.olderDuplicates > 0) {
        expect(q.olderDuplicatesWithReuse.mean).toBeGreaterThanOrEqual(q.duplicatesToday.mean)
        expect(q.olderDuplicatesWithReuse.min).toBeGreaterThanOrEqual(q.duplicatesToday.min)
      }
      expect(q.modelWork).toBeLessThan(q.kept / q.frames)
    },
    1_200_000,
  )
})

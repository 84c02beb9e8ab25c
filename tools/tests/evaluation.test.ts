import { existsSync } from 'node:fs'
import path from 'node:path'
import { DEFAULT_MODEL } from '@anime-upscaler/stage-upscale'
import { evaluateBird, evaluateSuite, type BirdResult, type SuiteResult } from '../src/evaluation'

// The quality claims of docs/quality.md, on the shared fixtures (../shared/fixtures/SOURCES.md).
const FIXTURE_IMAGES = path.resolve(__dirname, '../../../shared/fixtures/images')
const haveFixtures = existsSync(FIXTURE_IMAGES)
const describeFixtures = haveFixtures ? describe : describe.skip

describeFixtures(
  haveFixtures ? `quality of ${DEFAULT_MODEL} on the fixtures` : `quality on the fixtures — SKIPPED: fixtures not found at ${FIXTURE_IMAGES}`,
  () => {
    describe('Bird (bird_lr.png upscaled 2x vs bird_hr.png)', () => {
      let bird: BirdResult
      beforeAll(async () => {
        bird = await evaluateBird(FIXTURE_IMAGES, [DEFAULT_MODEL])
      })

      it('bilinear reproduces the published 23.03 dB ± 0.05', () => {
        const bilinear = bird.scores.find((s) => s.method === 'bilinear')!
        expect(Math.abs(bilinear.psnr - 23.03)).toBeLessThan(0.05)
      })

      it(`${DEFAULT_MODEL} reaches at least 25.0 dB`, () => {
        const model = bird.scores.find((s) => s.method === DEFAULT_MODEL)!
        expect(model.error).toBeUndefined()
        expect(model.psnr).toBeGreaterThanOrEqual(25.0)
      })
    })

    describe('suite (2x area downscale, 2x upscale back)', () => {
      let suite: SuiteResult
      beforeAll(async () => {
        suite = await evaluateSuite(FIXTURE_IMAGES, [DEFAULT_MODEL])
      })

      it(`${DEFAULT_MODEL} succeeds on every image and gains at least 1.5 dB over lanczos3 on average`, () => {
        const mean = suite.means.find((m) => m.method === DEFAULT_MODEL)!
        expect(mean.images).toBe(suite.images.length)
        expect(mean.psnrGain).toBeGreaterThanOrEqual(1.5)
      })
    })
  },
)

if (!haveFixtures) {
  // Make the skip visible in the output, not only in the test name.
  console.warn(`Evaluation test skipped: fixtures directory ${FIXTURE_IMAGES} does not exist`)
}

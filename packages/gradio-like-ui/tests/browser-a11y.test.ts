import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import type { JobView } from '../src/api-types'
import { addFiles, counts, describeInChromium, fastSettings, openPage, openSession, seriousViolations, tabTo, waitForJob, type Session } from './browser-helpers'
import { corruptPng, makeImage, makeVideo, useTempDir, waitFor } from './helpers'

const temp = useTempDir()

// Each test walks a job through every state, video included: minutes on a loaded 2-core machine.
jest.setTimeout(240_000)

describeInChromium('accessibility', () => {
  let session: Session
  let video = ''
  let image = ''
  let broken = ''

  beforeAll(async () => {
    session = await openSession()
    video = makeVideo(join(temp(), 'episode.mp4'), 480, '320x180')
    image = await makeImage(join(temp(), 'picture.png'), 64, 36)
    broken = join(temp(), 'broken.png')
    writeFileSync(broken, corruptPng())
  })
  afterAll(async () => session?.close())

  async function clean(): Promise<void> {
    const base = session.server.url
    await fetch(new URL('/api/uploads', base), { method: 'DELETE' })
    const { jobs } = (await (await fetch(new URL('/api/jobs', base))).json()) as { jobs: JobView[] }
    for (const job of jobs) await fetch(new URL(`/api/jobs/${job.id}`, base), { method: 'DELETE' })
  }

  /** axe finds no serious or critical violation in the page as it is now. */
  async function noSeriousViolations(page: Page, what: string): Promise<void> {
    const violations = await seriousViolations(page)
    if (violations.length) console.error(`axe, ${what}:`, JSON.stringify(violations, null, 1))
    expect({ what, violations }).toEqual({ what, violations: [] })
  }

  test.each(['light', 'dark'] as const)('axe reports no serious or critical violation in any state (%s)', async (colorScheme) => {
    await clean()
    const page = await openPage(session, { colorScheme })
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(colorScheme)
    await fastSettings(page)
    await noSeriousViolations(page, 'empty')

    await addFiles(page, image)
    await noSeriousViolations(page, 'file chosen')
    await page.click('#run-button')
    await waitForJob(page, 'done')
    await page.waitForSelector('#compare[data-state="ready"]')
    await noSeriousViolations(page, 'done')

    await addFiles(page, broken)
    await page.click('#run-button')
    await waitForJob(page, 'failed')
    await noSeriousViolations(page, 'failed')

    await addFiles(page, video)
    await page.click('#run-button')
    await waitForJob(page, 'running')
    await waitFor(async () => ((await counts(page)).encoded ?? 0) > 0, 'encoded frames', 30_000)
    await noSeriousViolations(page, 'running')
    await page.click('#pause-button')
    await waitForJob(page, 'paused', 90_000)
    await noSeriousViolations(page, 'paused')
    await page.click('#stop-button')
    await waitForJob(page, 'stopped', 15_000)
    await noSeriousViolations(page, 'stopped')
    await page.context().close()
  })

  test('a job can be added, started, paused, resumed, stopped, compared and downloaded with the keyboard alone', async () => {
    await clean()
    const page = await openPage(session)
    await fastSettings(page)

    /** Tab (from the top of the page when `fromTop`) to `selector` and press `key`. */
    const press = async (selector: string, key = 'Enter', fromTop = false) => {
      if (fromTop) await page.focus('body')
      await tabTo(page, selector, 120)
      await page.keyboard.press(key)
    }
    /** The upload control opens the file chooser from the keyboard. */
    const addByKeyboard = async (path: string, key: string) => {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), press('#file-input', key, true)])
      await chooser.setFiles(path)
      await page.waitForSelector(`#file-list li[data-status="ready"] >> text=${path.split('/').pop()}`)
    }

    await addByKeyboard(video, 'Space')
    await press('#run-button')
    await waitForJob(page, 'running')
    await waitFor(async () => ((await counts(page)).encoded ?? 0) > 0, 'encoded frames', 30_000)
    await press('#pause-button')
    await waitForJob(page, 'paused', 90_000)
    await press('#resume-button', 'Enter', true)
    await waitForJob(page, 'running')
    await press('#stop-button')
    await waitForJob(page, 'stopped', 15_000)

    // An image to compare and download: the queue rows are buttons too.
    await addByKeyboard(image, 'Enter')
    await press('#run-button')
    await waitForJob(page, 'done')
    await page.waitForSelector('#compare[data-state="ready"]')
    const imageJob = (await page.getAttribute('#job-block', 'data-job-id'))!

    await press('#queue li[data-state="stopped"] .queue-pick', 'Enter', true)
    expect(await page.getAttribute('#job-block', 'data-state')).toBe('stopped')
    await press(`#queue li[data-job-id="${imageJob}"] .queue-pick`)
    await waitForJob(page, 'done')
    await page.waitForSelector('#compare[data-state="ready"]')

    await press('#compare .compare-handle', 'Home', true)
    expect(await page.getAttribute('#compare .compare-handle', 'aria-valuenow')).toBe('0')
    await page.keyboard.press('ArrowRight')
    expect(await page.getAttribute('#compare .compare-handle', 'aria-valuenow')).toBe('2')

    await tabTo(page, '#result a.download')
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')])
    expect(download.suggestedFilename()).toBe('picture-128x72.png')
    await page.context().close()
  })
})

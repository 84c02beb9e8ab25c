import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { readImage } from '@anime-upscaler/core'
import { startServer, type RunningServer } from '../src'
import { ffmpegPath } from '../src/media'
import { corruptPng, makeVideo, useTempDir, waitFor } from './helpers'

/** What the page functions below use of the browser (this package type-checks without the DOM lib). */
interface BrowserElement {
  dataset: Record<string, string | undefined>
  textContent: string | null
  style: Record<string, string>
  naturalWidth: number
  naturalHeight: number
  videoWidth: number
  videoHeight: number
  duration: number
  readyState: number
  getAttribute(name: string): string | null
  addEventListener(type: string, listener: () => void, options?: { once?: boolean }): void
  blur(): void
}
declare const document: {
  querySelector(selector: string): BrowserElement | null
  querySelectorAll(selector: string): ArrayLike<BrowserElement>
  activeElement: BrowserElement | null
}

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOT = resolve(__dirname, '..', 'docs', 'screenshot.png')
const haveChromium = existsSync(CHROMIUM)
const temp = useTempDir()

if (!haveChromium) {
  // Loud enough to be seen in the jest output; the server tests still run.
  console.warn(`Browser tests skipped: ${CHROMIUM} is missing. Install it with \`apt-get install -y chromium\` (as root) to run them.`)
  test.skip(`browser tests need ${CHROMIUM} (apt-get install -y chromium)`, () => undefined)
}

const describeBrowser = haveChromium ? describe : describe.skip

describeBrowser('in Chromium', () => {
  let server: RunningServer
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    server = await startServer({ port: 0 })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 }, acceptDownloads: true })
    page = await context.newPage()
    page.on('pageerror', (error) => console.error('page error:', error))
    await page.goto(server.url)
    await page.waitForSelector('body[data-ready="true"]')
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  /** The fast settings, set through the form as a user would. */
  async function fastSettings(): Promise<void> {
    await page.selectOption('#model', 'anime4k-s')
    await page.uncheck('#workers-auto')
    await page.locator('#workers').fill('1')
    await page.check('input[name="processing"][value="concurrent"]')
    await page.selectOption('#preset', 'ultrafast')
    await page.check('input[name="detector"][value="default"]')
  }

  async function addFile(path: string): Promise<void> {
    const before = await page.locator('#file-list li').count()
    await page.setInputFiles('#file-input', path)
    await page.waitForFunction((count) => {
      const items = document.querySelectorAll('#file-list li')
      return items.length > count && items[items.length - 1].getAttribute('data-status') !== 'uploading'
    }, before)
  }

  async function jobState(): Promise<string | null> {
    return page.getAttribute('#job-block', 'data-state')
  }

  async function counts(): Promise<Record<string, number>> {
    return page.evaluate(() => {
      const result: Record<string, number> = {}
      for (const node of Array.from(document.querySelectorAll('#job-stages .stage-count'))) if (node.dataset.value) result[node.dataset.stage!] = Number(node.dataset.value)
      return result
    })
  }

  test('settings are remembered across reloads', async () => {
    await fastSettings()
    await page.check('input[name="detector"][value="hash"]')
    expect(await page.isVisible('#dedup-hi')).toBe(false)
    await page.fill('#dedup-hash-distance', '3')
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    expect(await page.inputValue('#model')).toBe('anime4k-s')
    expect(await page.isChecked('#workers-auto')).toBe(false)
    expect(await page.inputValue('#workers')).toBe('1')
    expect(await page.isChecked('input[name="detector"][value="hash"]')).toBe(true)
    expect(await page.inputValue('#dedup-hash-distance')).toBe('3')
    expect(await page.inputValue('#preset')).toBe('ultrafast')
  })

  test('an image: preview, upscale, the result at the right size, an intact download, a slider that moves', async () => {
    const input = join(temp(), 'frame.png')
    execFileSync(ffmpegPath(), ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=1', '-frames:v', '1', input])
    await fastSettings()
    await addFile(input)
    expect(await page.getAttribute('#file-list li', 'data-status')).toBe('ready')

    await page.click('#preview-button')
    await page.waitForSelector('#compare[data-state="ready"]')
    expect(await page.textContent('.compare-caption')).toContain('320×180 → 640×360')

    await page.click('#run-button')
    await page.waitForSelector('#job-block[data-state="done"]')
    await page.waitForSelector('.gallery-item')
    expect(await page.textContent('.gallery-item .dims')).toBe('320×180 → 640×360')
    await page.waitForFunction(() => (document.querySelector('.compare-caption')?.textContent ?? '').startsWith('frame.png'))
    await page.waitForSelector('#compare[data-state="ready"]')
    const natural = await page.$eval('#compare img.compare-after', (img) => [img.naturalWidth, img.naturalHeight])
    expect(natural).toEqual([640, 360])

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#result .download')])
    expect(download.suggestedFilename()).toBe('frame-640x360.png')
    const saved = join(temp(), 'downloaded.png')
    await download.saveAs(saved)
    const jobId = (await page.getAttribute('#job-block', 'data-job-id'))!
    expect(readFileSync(saved).equals(readFileSync(join(server.workDir, 'jobs', jobId, 'out', 'output-1.png')))).toBe(true)
    const decoded = await readImage(saved)
    expect([decoded.image.width, decoded.image.height]).toEqual([640, 360])

    // Drag the divider from the middle to a fifth of the width.
    const handle = page.locator('#compare .compare-handle')
    expect(await handle.getAttribute('aria-valuenow')).toBe('50')
    await page.locator('#compare-block').scrollIntoViewIfNeeded()
    const stage = (await page.locator('#compare .compare-stage').boundingBox())!
    const grip = (await handle.boundingBox())!
    await page.mouse.move(grip.x + grip.width / 2, stage.y + stage.height / 2)
    await page.mouse.down()
    await page.mouse.move(stage.x + stage.width * 0.35, stage.y + stage.height / 2, { steps: 5 })
    await page.mouse.move(stage.x + stage.width * 0.2, stage.y + stage.height / 2, { steps: 5 })
    await page.mouse.up()
    expect(Number(await handle.getAttribute('aria-valuenow'))).toBeCloseTo(20, -0.5)
    expect(await page.$eval('#compare img.compare-after', (img) => img.style.clipPath)).toMatch(/inset\(0(px)? 0(px)? 0(px)? (19|20|21)(\.\d)?%\)/)
    await handle.press('ArrowRight')
    expect(Number(await handle.getAttribute('aria-valuenow'))).toBeCloseTo(22, -0.5)

    // Zoom to 200 %: the stage is twice the result's size (in CSS pixels at DPR 1); Fit brings it back.
    await page.click('.compare-toolbar button[data-zoom="2"]')
    expect((await page.locator('#compare .compare-stage').boundingBox())!.width).toBeCloseTo(1280, -1)
    await page.click('.compare-toolbar button[data-zoom="fit"]')
    expect((await page.locator('#compare .compare-stage').boundingBox())!.width).toBeLessThan(1280)
  })

  test('corrupt or unsupported files get readable errors', async () => {
    const text = join(temp(), 'notes.png')
    writeFileSync(text, 'these are my notes, not a picture\n'.repeat(10))
    await addFile(text)
    const refused = page.locator('#file-list li[data-status="error"] .file-error')
    await expect(refused.textContent()).resolves.toMatch(/"notes\.png" is not an image or video that can be upscaled: it looks like text/)
    await page.click('#file-list li[data-status="error"] .icon-button')

    const broken = join(temp(), 'broken.png')
    writeFileSync(broken, corruptPng())
    await addFile(broken)
    await page.click('#run-button')
    await page.waitForSelector('#job-block[data-state="failed"]')
    const message = await page.textContent('#job-error .error-message')
    expect(message).toMatch(/^This file could not be read: Could not decode "broken\.png": the file is truncated or corrupt/)
    expect(message).not.toContain(server.workDir)
    await page.waitForSelector('.toast >> text=broken.png failed')
  })

  test('a video: progress advances, Pause holds the counts for two seconds, Resume continues, Stop leaves no output', async () => {
    const video = makeVideo(join(temp(), 'episode.mp4'), 360, '320x180')
    await fastSettings()
    await addFile(video)
    await page.click('#run-button')
    await page.waitForSelector('#job-block[data-state="running"]')
    const jobId = (await page.getAttribute('#job-block', 'data-job-id'))!
    try {
      await waitFor(async () => ((await counts()).encoded ?? 0) >= 10, 'encoded frames', 30_000)
      const early = await counts()
      expect(early.decoded).toBeGreaterThanOrEqual(early.encoded)

      await page.click('#pause-button')
      await page.waitForSelector('#job-block[data-state="paused"]')
      // Decoding stops at once; the frames already in flight are finished and encoded, then nothing moves.
      const settled = await waitFor(async () => {
        const now = await counts()
        return now.encoded === now.decoded ? now : undefined
      }, 'the frames in flight to be encoded', 30_000)
      await new Promise((r) => setTimeout(r, 2000))
      expect(await counts()).toEqual(settled)
      expect(settled.encoded).toBeLessThan(360)
      expect(await page.textContent('#job-state')).toBe('Paused')

      await page.click('#resume-button')
      await page.waitForSelector('#job-block[data-state="running"]')
      await waitFor(async () => ((await counts()).encoded ?? 0) > settled.encoded, 'progress after resume', 30_000)

      await page.click('#stop-button')
      await page.waitForSelector('#job-block[data-state="stopped"]', { timeout: 15_000 })
      expect(await page.isHidden('#result-block')).toBe(true)
      expect(existsSync(join(server.workDir, 'jobs', jobId, 'out'))).toBe(false)
      const response = await fetch(new URL(`/api/jobs/${jobId}`, server.url))
      const { job } = (await response.json()) as { job: { state: string; outputs: string[] } }
      expect(job).toMatchObject({ state: 'stopped', outputs: [] })
    } finally {
      // Whatever happened, this job must not hold the queue for the next test.
      await fetch(new URL(`/api/jobs/${jobId}/stop`, server.url), { method: 'POST' })
    }
  })

  test('a video to the end: duplicates skipped, playable in the page, and a chosen frame compared', async () => {
    // Drawn at 8 fps, shown at 24: two of every three frames repeat the one before.
    const video = makeVideo(join(temp(), 'short.mp4'), 48, '320x180', 24, 8)
    await fastSettings()
    await addFile(video)
    await page.click('#preview-button')
    await page.waitForFunction(() => document.querySelector('.compare-caption')?.textContent?.startsWith('Preview of frame 0 of "short.mp4": 320×180 → 640×360'))
    await page.click('#run-button')
    await page.waitForSelector('#job-block[data-state="done"]', { timeout: 60_000 })
    const size = await page.$eval('video.result-video', (element) => {
      const player = element
      return new Promise<number[]>((done) => {
        const report = () => done([player.videoWidth, player.videoHeight, Math.round(player.duration * 24)])
        if (player.readyState >= 1) report()
        else player.addEventListener('loadedmetadata', report, { once: true })
      })
    })
    const final = await counts()
    expect(final.decoded).toBeGreaterThanOrEqual(40)
    expect(final.encoded).toBe(final.decoded)
    expect(size).toEqual([640, 360, final.decoded])
    expect(final.unique).toBeLessThan(final.decoded / 2)
    expect(final.upscaled).toBe(final.unique)
    expect(await page.textContent('#job-stats')).toMatch(/Duplicates skipped \d+ \(\d+%\)/)
    await page.waitForFunction(() => document.querySelector('.compare-caption')?.textContent?.startsWith('Frame 0'))

    await page.fill('#frame-number', '30')
    await page.click('#frame-button')
    await page.waitForFunction(() => document.querySelector('.compare-caption')?.textContent?.startsWith('Frame 30'))
    await page.waitForSelector('#compare[data-state="ready"]')
    expect(await page.$eval('#compare img.compare-after', (img) => [img.naturalWidth, img.naturalHeight])).toEqual([640, 360])
    const jobId = (await page.getAttribute('#job-block', 'data-job-id'))!
    expect(await page.getAttribute(`#queue li[data-job-id="${jobId}"]`, 'data-state')).toBe('done')

    // The README's screenshot: the finished video with a frame compared, and the queue.
    // Dismiss the notifications (a click closes one; they also expire by themselves).
    while ((await page.locator('.toast').count()) > 0) await page.locator('.toast').first().click({ timeout: 1000 }).catch(() => undefined)
    await page.waitForFunction(() => (document.querySelector('video.result-video')?.readyState ?? 0) >= 2, undefined, { timeout: 10_000 }).catch(() => undefined)
    await page.locator('#compare .compare-handle').focus()
    await page.keyboard.press('Home')
    for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+ArrowRight')
    await page.evaluate(() => document.activeElement?.blur())
    // Only on request: a test run should not rewrite a tracked file.
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true })
      await page.screenshot({ path: SCREENSHOT, fullPage: true })
    }
  })
})

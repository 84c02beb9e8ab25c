import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { readImage } from '@anime-upscaler/core'
import type { JobView } from '../src/api-types'
import { ffmpegPath } from '../src/media'
import { addFiles, counts, describeInChromium, fastSettings, openPage, openSession, waitForJob, type Session } from './browser-helpers'
import { corruptPng, makeImage, makeVideo, useTempDir, waitFor } from './helpers'

const SCREENSHOTS = resolve(__dirname, '..', 'docs')
const temp = useTempDir()

describeInChromium('in Chromium', () => {
  let session: Session

  beforeAll(async () => {
    session = await openSession()
  })
  afterAll(async () => session?.close())

  /** A page with nothing left over from another test: no upload waiting, no job. */
  async function freshPage(options: Parameters<typeof openPage>[1] = {}): Promise<Page> {
    const base = session.server.url
    await fetch(new URL('/api/uploads', base), { method: 'DELETE' })
    const { jobs } = (await (await fetch(new URL('/api/jobs', base))).json()) as { jobs: JobView[] }
    for (const job of jobs) await fetch(new URL(`/api/jobs/${job.id}`, base), { method: 'DELETE' })
    const page = await openPage(session, options)
    await fastSettings(page)
    return page
  }

  async function serverJob(id: string): Promise<JobView> {
    return ((await (await fetch(new URL(`/api/jobs/${id}`, session.server.url))).json()) as { job: JobView }).job
  }

  test('settings are remembered across reloads', async () => {
    const page = await freshPage()
    await page.locator('#video-settings > summary').click()
    await page.check('input[name="detector"][value="hash"]')
    await page.locator('#dedup-expert > summary').click()
    expect(await page.isVisible('#dedup-hi')).toBe(false)
    await page.fill('#dedup-hash-distance', '3')
    await page.selectOption('#subtitles', 'none')
    await page.fill('#reuse-refs', '4')
    await page.check('input[name="reuse"][value="off"]')
    expect(await page.isVisible('#reuse-refs')).toBe(false)
    await page.check('input[name="reuse"][value="frames"]')
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    expect(await page.inputValue('#model')).toBe('anime4k-s')
    expect(await page.isChecked('#workers-auto')).toBe(false)
    expect(await page.inputValue('#workers')).toBe('1')
    expect(await page.isChecked('input[name="detector"][value="hash"]')).toBe(true)
    expect(await page.inputValue('#dedup-hash-distance')).toBe('3')
    expect(await page.inputValue('#preset')).toBe('ultrafast')
    expect(await page.inputValue('#subtitles')).toBe('none')
    expect(await page.isChecked('input[name="reuse"][value="frames"]')).toBe(true)
    expect(await page.inputValue('#reuse-refs')).toBe('4')
    await page.context().close()
  })

  test('Scale takes 1.5 and 2.7 as typed, and explains the allowed values otherwise', async () => {
    const page = await freshPage()
    const input = join(temp(), 'scale.png')
    await makeImage(input, 40, 20)
    await addFiles(page, input)
    for (const [typed, size] of [['1.5', '60×30'], ['2.7', '108×54']]) {
      await page.fill('#scale', '')
      await page.locator('#scale').pressSequentially(typed)
      expect(await page.inputValue('#scale')).toBe(typed)
      expect(await page.textContent('#scale-message')).toBe('')
      await page.click('#preview-button')
      await page.waitForFunction((expected) => document.querySelector('.compare-caption')?.textContent?.includes(`40×20 → ${expected}`), size)
    }
    await page.fill('#scale', '')
    await page.locator('#scale').pressSequentially('20')
    expect(await page.textContent('#scale-message')).toMatch(/^Scale is a number from 1 to 16, such as 1\.5, 2 or 2\.7; 20 is too large\.$/)
    expect(await page.getAttribute('#scale', 'aria-invalid')).toBe('true')
    await page.click('#run-button')
    expect(await page.textContent('#action-message')).toMatch(/Fix the Scale first/)
    expect(await page.isHidden('#job-block')).toBe(true)
    await page.context().close()
  })

  test('an image: preview, upscale, the right size, an intact download, a slider that moves; the file stays to try other settings, and after a reload', async () => {
    const page = await freshPage()
    const input = join(temp(), 'frame.png')
    execFileSync(ffmpegPath(), ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=1', '-frames:v', '1', input])
    await addFiles(page, input)
    expect(await page.getAttribute('#file-list li', 'data-status')).toBe('ready')

    await page.click('#preview-button')
    await page.waitForSelector('#compare[data-state="ready"]')
    expect(await page.textContent('.compare-caption')).toContain('320×180 → 640×360')

    await page.click('#run-button')
    await waitForJob(page, 'done')
    await page.waitForSelector('.gallery-item')
    expect(await page.textContent('.gallery-item .dims')).toBe('320×180 → 640×360')
    await page.waitForFunction(() => (document.querySelector('.compare-caption')?.textContent ?? '').startsWith('frame.png'))
    await page.waitForSelector('#compare[data-state="ready"]')
    expect(await page.$eval('#compare img.compare-after', (img) => [img.naturalWidth, img.naturalHeight])).toEqual([640, 360])

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#result .download')])
    expect(download.suggestedFilename()).toBe('frame-640x360.png')
    const saved = join(temp(), 'downloaded.png')
    await download.saveAs(saved)
    const jobId = (await page.getAttribute('#job-block', 'data-job-id'))!
    expect(readFileSync(saved).equals(readFileSync(join(session.server.workDir, 'jobs', jobId, 'out', 'output-1.png')))).toBe(true)
    const decoded = await readImage(saved)
    expect([decoded.image.width, decoded.image.height]).toEqual([640, 360])

    // Drag the divider from the middle to a fifth of the width; the arrow keys move it too.
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
    await handle.press('ArrowRight')
    expect(Number(await handle.getAttribute('aria-valuenow'))).toBeCloseTo(22, -0.5)
    await page.click('.compare-toolbar button[data-zoom="2"]')
    expect((await page.locator('#compare .compare-stage').boundingBox())!.width).toBeCloseTo(1280, -1)
    await page.click('.compare-toolbar button[data-zoom="fit"]')
    expect((await page.locator('#compare .compare-stage').boundingBox())!.width).toBeLessThan(1280)

    // The file is still there: other settings, Upscale again, a second job.
    expect(await page.textContent('#file-list li .file-meta')).toMatch(/upscaled/)
    await page.fill('#scale', '3')
    await page.click('#run-button')
    await page.waitForFunction((first) => document.querySelector('#job-block')?.dataset.jobId !== first, jobId)
    await waitForJob(page, 'done')
    expect(await page.textContent('.gallery-item .dims')).toBe('320×180 → 960×540')

    // A file added but not run yet is still listed after a reload.
    const waiting = join(temp(), 'waiting.png')
    await makeImage(waiting, 32, 32)
    await addFiles(page, waiting)
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    await page.waitForSelector('#file-list li[data-status="ready"] >> text=waiting.png')
    await page.context().close()
  })

  test('errors: a refused file and a corrupt image, each said once, in place; "failed" is not a progress bar', async () => {
    const page = await freshPage()
    const text = join(temp(), 'notes.png')
    writeFileSync(text, 'these are my notes, not a picture\n'.repeat(10))
    await addFiles(page, text)
    const refused = page.locator('#file-list li[data-status="error"] .file-error')
    await expect(refused.textContent()).resolves.toMatch(/"notes\.png" is not an image or video that can be upscaled: it looks like text/)
    await page.click('#file-list li[data-status="error"] .icon-button')

    const broken = join(temp(), 'broken.png')
    writeFileSync(broken, corruptPng())
    await addFiles(page, broken)
    await page.click('#run-button')
    await waitForJob(page, 'failed')
    const message = (await page.textContent('#job-error .error-message'))!
    expect(message).toMatch(/^This file could not be read: Could not decode "broken\.png": the file is truncated or corrupt/)
    expect(message).not.toContain(session.server.workDir)
    // Once: no pop-up notice repeats it (and none covers the error box).
    expect(await page.evaluate((wanted) => document.body.innerText.split(wanted).length - 1, message)).toBe(1)
    const box = (await page.locator('#job-error').boundingBox())!
    expect(await page.evaluate(({ x, y }) => (globalThis as unknown as { document: { elementFromPoint(x: number, y: number): { closest(s: string): unknown } | null } }).document.elementFromPoint(x, y)?.closest('#job-error') !== null, { x: box.x + box.width / 2, y: box.y + box.height / 2 })).toBe(true)
    expect(await page.locator('#job-stages .bar').count()).toBe(0)
    expect(await page.textContent('#job-stats')).not.toMatch(/Speed|—/)
    expect(await page.isVisible('#retry-button')).toBe(true)
    await page.context().close()
  })

  test('a video: Pausing… until the frames in flight are encoded, then Paused with the counts, speed, ETA and clock still; Resume; Stop says nothing was kept, offers Retry, and clears the comparison', async () => {
    const page = await freshPage()
    // A finished image job in the comparison first: a stopped video must not leave it there.
    const still = join(temp(), 'still.png')
    await makeImage(still, 64, 36)
    await addFiles(page, still)
    await page.click('#run-button')
    await waitForJob(page, 'done')
    await page.waitForSelector('#compare[data-state="ready"]')

    const video = makeVideo(join(temp(), 'episode.mp4'), 480, '320x180')
    await addFiles(page, video)
    await page.click('#run-button')
    await waitForJob(page, 'running')
    const jobId = (await page.getAttribute('#job-block', 'data-job-id'))!
    try {
      expect(await page.textContent('#job-stats')).not.toMatch(/Speed.*Speed|Speed —/)
      await waitFor(async () => ((await counts(page)).encoded ?? 0) >= 10, 'encoded frames', 30_000)
      await page.click('#pause-button')
      // Sample what the page says until it is paused: "Paused" only once nothing is in flight.
      const samples: { badge: string; state?: string; counts: Record<string, number> }[] = []
      // What the page last showed goes with a timeout (this wait once timed out on CI, not reproduced).
      await waitFor(async () => {
        const sample = await page.evaluate(() => ({ badge: document.querySelector('#job-state')!.textContent!, state: document.querySelector('#job-block')!.dataset.state }))
        samples.push({ ...sample, counts: await counts(page) })
        return sample.state === 'paused'
      }, 'the job to pause', 30_000, 20).catch((error: Error) => Promise.reject(new Error(`${error.message}; the page last showed ${JSON.stringify(samples.at(-1))}`)))
      expect(samples[0].badge).toMatch(/Pausing…|Paused/)
      for (const sample of samples.filter((candidate) => candidate.badge === 'Paused')) expect(sample.counts.encoded).toBe(sample.counts.decoded)
      const held = await counts(page)
      expect(held.encoded).toBe(held.decoded)
      expect(await page.textContent('#job-state')).toBe('Paused')
      const stats = (await page.textContent('#job-stats'))!
      expect(stats).not.toMatch(/Speed|ETA/)
      // Nothing moves while paused: not the counts, not the elapsed time.
      await new Promise((resolveHold) => setTimeout(resolveHold, 2000))
      expect(await counts(page)).toEqual(held)
      expect(await page.textContent('#job-stats')).toBe(stats)
      expect(held.encoded).toBeLessThan(480)

      await page.click('#resume-button')
      await waitForJob(page, 'running')
      await waitFor(async () => ((await counts(page)).encoded ?? 0) > held.encoded, 'progress after resume', 30_000)

      await page.click('#stop-button')
      await waitForJob(page, 'stopped', 15_000)
      expect(await page.textContent('#job-status')).toMatch(/^Stopped: nothing was saved\. Retry/)
      expect(await page.isVisible('#retry-button')).toBe(true)
      expect(await page.isHidden('#result-block')).toBe(true)
      expect(await page.getAttribute('#compare', 'data-state')).toBe('empty')
      expect(existsSync(join(session.server.workDir, 'jobs', jobId, 'out'))).toBe(false)
      expect(await serverJob(jobId)).toMatchObject({ state: 'stopped', outputs: [] })

      await page.click('#retry-button')
      await page.waitForFunction((old) => document.querySelector('#job-block')?.dataset.jobId !== old, jobId)
      await waitForJob(page, 'running')
      await page.click('#stop-button')
      await waitForJob(page, 'stopped', 15_000)
    } finally {
      await fetch(new URL(`/api/jobs/${jobId}/stop`, session.server.url), { method: 'POST' })
    }
    await page.context().close()
  })

  test('the queue: a waiting job shows its place and expected wait; rows are buttons; Clear finished', async () => {
    const page = await freshPage()
    const video = makeVideo(join(temp(), 'long.mp4'), 480, '320x180')
    await addFiles(page, video)
    await page.click('#run-button')
    await waitForJob(page, 'running')
    const running = (await page.getAttribute('#job-block', 'data-job-id'))!
    const image = join(temp(), 'next.png')
    await makeImage(image, 32, 32)
    await addFiles(page, image)
    await page.click('#run-button')
    await waitForJob(page, 'queued')
    const waiting = page.locator('#queue li[data-state="queued"] .queue-note')
    await expect(waiting.textContent()).resolves.toMatch(/^1st in line; starts (in about \S+|when the running job ends)/)
    await page.waitForFunction(() => /starts in about/.test(document.querySelector('#queue li[data-state="queued"] .queue-note')?.textContent ?? ''), undefined, { timeout: 30_000 })
    expect(await page.textContent('#job-status')).toMatch(/^Waiting: 1st in line/)

    await page.click(`#queue li[data-job-id="${running}"] .queue-pick`)
    expect(await page.getAttribute('#job-block', 'data-job-id')).toBe(running)
    await page.click('#stop-button')
    await waitForJob(page, 'stopped', 15_000)
    await page.waitForSelector('#queue li[data-state="done"]', { timeout: 60_000 })
    expect(await page.locator('#queue li').count()).toBe(2)
    await page.click('#clear-finished-button')
    await page.waitForFunction(() => document.querySelectorAll('#queue li').length === 0)
    expect(await page.isVisible('#queue-empty')).toBe(true)
    await page.context().close()
  })

  test('a batch of 7 images: one "Download all" zip holding the 7 results', async () => {
    const page = await freshPage()
    const inputs: string[] = []
    for (let i = 1; i <= 7; i++) inputs.push(await makeImage(join(temp(), `batch-${i}.png`), 24 + i * 4, 20))
    await addFiles(page, ...inputs)
    await page.click('#run-button')
    await waitForJob(page, 'done')
    expect(await page.locator('.gallery-item').count()).toBe(7)
    const zipLink = page.locator('#result a.download.button')
    expect(await zipLink.textContent()).toContain('Download all (7 files, zip)')
    const [download] = await Promise.all([page.waitForEvent('download'), zipLink.click()])
    expect(download.suggestedFilename()).toBe('batch-1-upscaled.zip')
    const saved = join(temp(), 'batch.zip')
    await download.saveAs(saved)
    // Read by Info-ZIP's unzip: the archive is tested whole, and lists the seven results.
    execFileSync('unzip', ['-tq', saved])
    const listing = execFileSync('unzip', ['-Z1', saved], { encoding: 'utf8' }).trim().split('\n')
    expect(listing).toEqual(inputs.map((_, i) => `batch-${i + 1}-${(24 + (i + 1) * 4) * 2}x40.png`))
    await page.context().close()
  })

  test("an upload whose answer comes after the server's event keeps its place, also when the server shortens its name", async () => {
    const page = await freshPage()
    const longName = `${'x'.repeat(211)}.png` // the server keeps the last 200 characters
    const inputs = [await makeImage(join(temp(), 'first.png'), 24, 20), await makeImage(join(temp(), longName), 28, 20), await makeImage(join(temp(), 'third.png'), 32, 20)]
    // Before the page's own scripts: the long name's answer reaches the page only when released
    // (Playwright cannot hold an XHR's file body), and each uploads event is counted once the page
    // has handled it.
    await page.addInitScript(`(() => {
      const held = []
      const setHeader = XMLHttpRequest.prototype.setRequestHeader
      XMLHttpRequest.prototype.setRequestHeader = function (name, value) {
        if (name === 'X-File-Name' && value.startsWith('xxx')) this.held = true
        return setHeader.call(this, name, value)
      }
      const listenXhr = XMLHttpRequest.prototype.addEventListener
      XMLHttpRequest.prototype.addEventListener = function (type, listener, ...rest) {
        if (type !== 'load') return listenXhr.call(this, type, listener, ...rest)
        const xhr = this
        return listenXhr.call(this, type, (event) => (xhr.held ? held.push(() => listener.call(xhr, event)) : listener.call(xhr, event)), ...rest)
      }
      window.releaseAnswers = () => held.splice(0).forEach((answer) => answer())
      window.uploadsSeen = []
      const listenEvents = EventSource.prototype.addEventListener
      EventSource.prototype.addEventListener = function (type, listener, ...rest) {
        if (type !== 'uploads') return listenEvents.call(this, type, listener, ...rest)
        return listenEvents.call(this, type, (event) => {
          listener.call(this, event)
          window.uploadsSeen.push(JSON.parse(event.data).uploads.length)
        }, ...rest)
      }
    })()`)
    await page.reload()
    await page.setInputFiles('#file-input', inputs)
    // The page has handled the server's event listing all three; the answer for the long one is still held.
    // Functions, not strings: the page's CSP forbids eval, which a string predicate needs.
    await page.waitForFunction(() => (window as unknown as { uploadsSeen: number[] }).uploadsSeen.includes(3))
    await page.waitForFunction(() => {
      const ready = Array.from(document.querySelectorAll('#file-list li[data-status="ready"] .file-name'), (name) => name.textContent)
      return ready.includes('first.png') && ready.includes('third.png')
    })
    const listed = () => page.$$eval('#file-list li', (items) => items.map((item) => `${item.getAttribute('data-status')} ${item.querySelector('.file-name')?.textContent?.slice(0, 5)}`))
    expect(await listed()).toEqual(['ready first', 'uploading xxxxx', 'ready third'])
    await page.evaluate(() => (window as unknown as { releaseAnswers: () => void }).releaseAnswers())
    await page.waitForFunction(() => document.querySelectorAll('#file-list li[data-status="ready"]').length === 3)
    expect(await listed()).toEqual(['ready first', 'ready xxxxx', 'ready third'])
    await page.context().close()
  })

  test("the project's examples and a pasted picture become inputs; the sample clip upscaled (the README's screenshots)", async () => {
    const page = await freshPage()
    await page.click('.example[data-example="picture"]')
    await page.waitForSelector('#file-list li[data-status="ready"] >> text=anime-upscaler-sample.png')
    await page.click('#preview-button')
    await page.waitForFunction(() => (document.querySelector('.compare-caption')?.textContent ?? '').includes('of "anime-upscaler-sample.png"'))
    // The 480x270 drawing: its centre 384x270 previewed at the fast model's 2x.
    expect(await page.textContent('.compare-caption')).toMatch(/^Preview of the centre 384×270 of "anime-upscaler-sample\.png": 384×270 → 768×540/)

    const png = readFileSync(await makeImage(join(temp(), 'clipboard.png'), 30, 20)).toString('base64')
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(png)}), (c) => c.charCodeAt(0))
      const data = new DataTransfer()
      data.items.add(new File([bytes], 'image.png', { type: 'image/png' }))
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }))
    })()`)
    await page.waitForSelector('#file-list li[data-status="ready"] >> text=image.png')
    expect(await page.locator('#file-list li[data-status="ready"]').count()).toBe(2)
    await page.click('#clear-button')
    await page.waitForFunction(() => document.querySelectorAll('#file-list li').length === 0)
    expect(await page.getAttribute('#compare', 'data-state')).toBe('empty')
    await waitFor(async () => ((await (await fetch(new URL('/api/uploads', session.server.url))).json()) as { uploads: unknown[] }).uploads.length === 0, 'the server to drop the uploads')

    await page.click('.example[data-example="clip"]')
    await page.waitForSelector('#file-list li[data-status="ready"] >> text=anime-upscaler-sample.mp4', { timeout: 60_000 })
    await page.click('#run-button')
    await waitForJob(page, 'done', 120_000)
    // 48 frames on twos: every other one repeats the one before.
    expect(await page.textContent('#result .dims')).toMatch(/^960×540, 48 frames, 2\d duplicates not upscaled again/)
    await page.fill('#frame-number', '13')
    await page.click('#frame-button')
    await page.waitForFunction(() => document.querySelector('.compare-caption')?.textContent?.startsWith('Frame 13'))
    await page.waitForSelector('#compare[data-state="ready"]')

    // Only on request: a test run should not rewrite tracked files.
    if (process.env.UPDATE_SCREENSHOT === '1') {
      await page.waitForFunction(() => (document.querySelector('video.result-video')?.readyState ?? 0) >= 2, undefined, { timeout: 10_000 }).catch(() => undefined)
      await page.locator('#compare .compare-handle').focus()
      await page.keyboard.press('Home')
      for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+ArrowRight')
      await page.evaluate(() => document.activeElement?.blur())
      mkdirSync(SCREENSHOTS, { recursive: true })
      for (const theme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: theme })
        await page.waitForFunction((wanted) => document.documentElement.dataset.theme === wanted, theme)
        await page.screenshot({ path: join(SCREENSHOTS, theme === 'light' ? 'screenshot.png' : 'screenshot-dark.png'), fullPage: true })
      }
    }
    await page.context().close()
  })

  test('a video to the end: duplicates skipped, playable in the page, a chosen frame compared; the chosen streams settings go with the job', async () => {
    const page = await freshPage()
    // Drawn at 8 fps, shown at 24: two of every three frames repeat the one before.
    const video = makeVideo(join(temp(), 'short.mp4'), 48, '320x180', 24, 8)
    await page.locator('#video-settings > summary').click()
    await page.selectOption('#attachments', 'none')
    await page.locator('#video-settings > summary').click()
    await addFiles(page, video)
    await page.click('#preview-button')
    await page.waitForFunction(() => document.querySelector('.compare-caption')?.textContent?.startsWith('Preview of frame 0 of "short.mp4": 320×180 → 640×360'))
    await page.click('#run-button')
    await waitForJob(page, 'done')
    const jobId = (await page.getAttribute('#job-block', 'data-job-id'))!
    expect((await serverJob(jobId)).settings).toMatchObject({ container: 'auto', subtitles: 'copy', attachments: 'none', reuse: 'tiles' })
    const size = await page.$eval('video.result-video', (player) => {
      return new Promise<number[]>((done) => {
        const report = () => done([player.videoWidth, player.videoHeight, Math.round(player.duration * 24)])
        if (player.readyState >= 1) report()
        else player.addEventListener('loadedmetadata', report, { once: true })
      })
    })
    const final = await counts(page)
    expect(final.decoded).toBeGreaterThanOrEqual(40)
    expect(final.encoded).toBe(final.decoded)
    expect(size).toEqual([640, 360, final.decoded])
    expect(final.unique).toBeLessThan(final.decoded / 2)
    expect(final.upscaled).toBe(final.unique)
    expect(await page.textContent('#job-stats')).toMatch(/Duplicates skipped \d+ \(\d+%\)/)
    // Duplicates and unchanged tiles spare the model: it saw less than the kept frames.
    const modelWork = Number((await page.textContent('#job-stats'))!.match(/Model work (\d+)%/)![1])
    expect(modelWork).toBeLessThan((100 * final.unique) / final.decoded)
    await page.waitForFunction(() => document.querySelector('.compare-caption')?.textContent?.startsWith('Frame 0'))
    await page.fill('#frame-number', '30')
    await page.click('#frame-button')
    await page.waitForFunction(() => document.querySelector('.compare-caption')?.textContent?.startsWith('Frame 30'))
    await page.waitForSelector('#compare[data-state="ready"]')
    expect(await page.$eval('#compare img.compare-after', (img) => [img.naturalWidth, img.naturalHeight])).toEqual([640, 360])
    expect(await page.getAttribute(`#queue li[data-job-id="${jobId}"]`, 'data-state')).toBe('done')

    await page.context().close()
  })
})

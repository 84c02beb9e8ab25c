import type { Page } from 'playwright-core'
import { listModels } from '@anime-upscaler/core'
import { describeInChromium, openPage, openSession, seriousViolations, tabTo, type Session } from './browser-helpers'

/**
 * Controls whose text does not fit (issue 15: "auto (from cod", "mediun", "copy (k" on a phone):
 * a select's chosen option, a button's label or an input's value wider than the room it has.
 */
const CUT_CONTROLS = `(() => {
  const canvas = document.createElement('canvas').getContext('2d')
  const textWidth = (node, text) => {
    const style = getComputedStyle(node)
    canvas.font = style.font
    return canvas.measureText(text).width
  }
  const room = (node) => {
    const style = getComputedStyle(node)
    return node.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
  }
  const visible = (node) => node.getClientRects().length > 0 && getComputedStyle(node).visibility !== 'hidden'
  const cut = []
  for (const node of document.querySelectorAll('select, button, input[type=text], input[type=number]')) {
    if (!visible(node)) continue
    if (node.tagName === 'SELECT') {
      const text = node.selectedOptions[0]?.textContent ?? ''
      // The arrow takes about 20 px of the room.
      if (textWidth(node, text) > room(node) - 20) cut.push('#' + node.id + ': ' + text)
    } else if (node.tagName === 'BUTTON') {
      if (node.scrollWidth > node.clientWidth + 1) cut.push((node.id ? '#' + node.id : node.className) + ': ' + node.textContent)
    } else if (textWidth(node, node.value || node.placeholder) > room(node)) {
      cut.push('#' + node.id + ': ' + (node.value || node.placeholder))
    }
  }
  return cut
})()`

async function openEverySection(page: Page): Promise<void> {
  for (const id of ['performance-settings', 'video-settings', 'dedup-expert', 'image-settings']) await page.evaluate((section) => {
    const details = document.querySelector(`#${section}`)!
    details.open = true
  }, id)
}

async function boxOf(page: Page, selector: string) {
  return (await page.locator(selector).boundingBox())!
}

describeInChromium('the page, as it first appears', () => {
  let session: Session
  beforeAll(async () => {
    session = await openSession()
  })
  afterAll(async () => session?.close())

  test.each(['light', 'dark'] as const)('at 1366x768 (%s) the upload area and Upscale are on the first screen; video settings are closed; the right column is not half empty', async (colorScheme) => {
    const page = await openPage(session, { viewport: { width: 1366, height: 768 }, colorScheme })
    expect(await page.evaluate(() => window.scrollY)).toBe(0)
    for (const selector of ['#drop', '#run-button']) {
      const box = await boxOf(page, selector)
      expect(box.y).toBeGreaterThanOrEqual(0)
      expect(box.y + box.height).toBeLessThanOrEqual(768)
    }
    expect(await page.evaluate(() => document.querySelector('#video-settings')!.open)).toBe(false)
    const left = await boxOf(page, '#left')
    const right = await boxOf(page, '#right')
    expect(right.height).toBeGreaterThan(0.6 * left.height)
    await page.context().close()
  })

  test('on a 390x844 phone: no sideways scrolling and no cut control text, even with every section open; Upscale on the first screen', async () => {
    const page = await openPage(session, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })
    const upscale = await boxOf(page, '#run-button')
    expect(upscale.y + upscale.height).toBeLessThanOrEqual(844)
    const sideways = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(await sideways()).toBeLessThanOrEqual(0)
    expect(await page.evaluate(CUT_CONTROLS)).toEqual([])
    await openEverySection(page)
    // Every choice of every list, shown in its box: none is cut.
    for (const id of ['model', 'container', 'preset', 'audio', 'subtitles', 'attachments', 'image-format', 'codec']) {
      for (const value of await page.$$eval(`#${id} option`, (options) => options.map((option) => (option as unknown as { value: string }).value))) {
        await page.selectOption(`#${id}`, value)
        expect(await page.evaluate(CUT_CONTROLS)).toEqual([])
      }
    }
    await page.uncheck('#workers-auto')
    expect(await page.evaluate(CUT_CONTROLS)).toEqual([])
    expect(await sideways()).toBeLessThanOrEqual(0)
    await page.context().close()
  })

  test('landmarks and headings; the upload control has a name and is reached by Tab; Upscale is a few Tab presses away', async () => {
    const page = await openPage(session)
    expect(await page.locator('main').count()).toBe(1)
    expect(await page.locator('h1').textContent()).toBe('Anime Upscaler')
    expect(await page.locator('h2').allTextContents()).toEqual(expect.arrayContaining(['Input', 'Settings', 'Before / after', 'Queue']))
    // The real file input is in the accessibility tree, named by its label.
    await expect(page.getByLabel('Add images or a video').getAttribute('type')).resolves.toBe('file')
    const toInput = await tabTo(page, '#file-input')
    const toUpscale = toInput + (await tabTo(page, '#run-button'))
    expect(toUpscale).toBe(6) // the API link, the theme, the file input, two examples, Upscale
    await page.context().close()
  })

  test('hint text has at least 4.5:1 contrast, in both themes', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await openPage(session, { colorScheme })
      const ratios = await page.evaluate(`(() => {
        const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number)
        const luminance = ([r, g, b]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4 }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b) }
        const background = (node) => { for (let n = node; n; n = n.parentElement) { const c = getComputedStyle(n).backgroundColor; if (!c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c } return 'rgb(255,255,255)' }
        return [...document.querySelectorAll('.hint, .info, .examples-label, .empty-note')].filter((n) => n.getClientRects().length).map((node) => {
          const a = luminance(rgb(getComputedStyle(node).color)), b = luminance(rgb(background(node)))
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)
        })
      })()`)
      expect((ratios as number[]).length).toBeGreaterThan(2)
      for (const ratio of ratios as number[]) expect(ratio).toBeGreaterThanOrEqual(4.5)
      await page.context().close()
    }
  })

  test('dark mode follows the system, and the toggle switches and is remembered', async () => {
    const page = await openPage(session, { colorScheme: 'dark' })
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme)
    expect(await theme()).toBe('dark')
    expect(await page.getAttribute('#theme-toggle', 'aria-pressed')).toBe('true')
    await page.emulateMedia({ colorScheme: 'light' })
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light')
    await page.click('#theme-toggle')
    expect(await theme()).toBe('dark')
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    expect(await theme()).toBe('dark')
    expect(await page.evaluate(() => getComputedStyle(document.body as never).backgroundColor)).toBe('rgb(15, 17, 21)')
    await page.click('#theme-toggle')
    expect(await theme()).toBe('light')
    await page.context().close()
  })

  test('the model list is what core lists: nothing more, nothing hard-coded', async () => {
    const page = await openPage(session)
    const options = await page.$$eval('#model option', (nodes) => nodes.map((node) => (node as unknown as { value: string }).value))
    expect(options).toEqual(listModels().map((model) => model.id))
    await page.context().close()
  })

  test('the API page: every endpoint with a curl example, the OpenAPI document, no serious accessibility problem', async () => {
    const page = await openPage(session)
    await page.click('text=HTTP API')
    await page.waitForURL(/\/api$/)
    expect(await page.locator('h1').textContent()).toBe('HTTP API')
    const examples = await page.locator('.api-op pre').allTextContents()
    expect(examples.length).toBeGreaterThanOrEqual(18)
    for (const example of examples) expect(example).toMatch(/^curl -sS /)
    expect(examples).toContain(`curl -sS -X POST -H 'X-File-Name: picture.png' --data-binary @picture.png '${session.server.url.replace(/\/$/, '')}/api/uploads'`)
    expect(await seriousViolations(page)).toEqual([])
    const document = (await (await page.request.get(new URL('/api/openapi.json', session.server.url).href)).json()) as { openapi: string; paths: Record<string, Record<string, { 'x-codeSamples': unknown[] }>> }
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/uploads', '/api/jobs', '/api/jobs/{id}/zip', '/api/events', '/api/interrupted', '/api/interrupted/{id}/resume', '/api/interrupted/{id}']))
    expect(examples).toContain(`curl -sS -X POST '${session.server.url.replace(/\/$/, '')}/api/interrupted/INTERRUPTED_ID/resume'`)
    expect(document.paths['/api/jobs'].post['x-codeSamples']).toHaveLength(1)
    await page.context().close()
  })
})

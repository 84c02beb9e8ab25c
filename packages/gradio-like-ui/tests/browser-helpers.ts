import { existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import { startServer, type RunningServer, type ServerOptions } from '../src'

/** Debian's Chromium, driven by playwright-core (`npx playwright install` cannot download here). */
export const CHROMIUM = '/usr/bin/chromium'
export const haveChromium = existsSync(CHROMIUM)

/** describe, or describe.skip with a loud reason when Chromium is missing (the other tests still run). */
export function describeInChromium(name: string, body: () => void): void {
  if (!haveChromium) {
    console.warn(`Browser tests skipped: ${CHROMIUM} is missing. Install it with \`apt-get install -y chromium\` (as root) to run them.`)
    describe.skip(name, body)
    return
  }
  describe(name, body)
}

/** What the page functions below use of the browser (this package type-checks tests without the DOM lib). */
export interface BrowserElement {
  dataset: Record<string, string | undefined>
  textContent: string | null
  style: Record<string, string>
  value: string
  naturalWidth: number
  naturalHeight: number
  videoWidth: number
  videoHeight: number
  duration: number
  readyState: number
  open: boolean
  id: string
  tagName: string
  clientWidth: number
  scrollWidth: number
  getAttribute(name: string): string | null
  querySelector(selector: string): BrowserElement | null
  matches(selector: string): boolean
  getBoundingClientRect(): { top: number; bottom: number; left: number; right: number; width: number; height: number }
  addEventListener(type: string, listener: () => void, options?: { once?: boolean }): void
  blur(): void
}
declare global {
  // eslint-disable-next-line no-var
  var document: {
    querySelector(selector: string): BrowserElement | null
    querySelectorAll(selector: string): ArrayLike<BrowserElement>
    activeElement: BrowserElement | null
    documentElement: BrowserElement & { scrollWidth: number }
    body: BrowserElement & { innerText: string }
  }
  // eslint-disable-next-line no-var
  var window: { scrollY: number; innerWidth: number; innerHeight: number }
  function getComputedStyle(node: unknown): { backgroundColor: string; color: string }
}

export interface Session {
  server: RunningServer
  browser: Browser
  close(): Promise<void>
}

/** Debian's Chromium, headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

/** A server and a browser for one test file. */
export async function openSession(options: ServerOptions = {}): Promise<Session> {
  const server = await startServer({ port: 0, ...options })
  const browser = await launchChromium()
  return {
    server,
    browser,
    close: async () => {
      await browser.close()
      await server.close()
    },
  }
}

/** A page of the app, loaded and ready; page errors fail loudly. */
export function openPage(session: Session, options: BrowserContextOptions = {}): Promise<Page> {
  return openPageAt(session.browser, session.server.url, options)
}

/** A page of the app at `url` (a server of its own process), loaded and ready. */
export async function openPageAt(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true, ...options })
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error('page error:', error))
  await page.goto(url)
  await page.waitForSelector('body[data-ready="true"]')
  return page
}

/** Picks files with the file input, and waits until they are uploaded (or refused). */
export async function addFiles(page: Page, ...paths: string[]): Promise<void> {
  await page.setInputFiles('#file-input', paths)
  await page.waitForFunction(
    (names) => {
      const items = Array.from(document.querySelectorAll('#file-list li'))
      const listed = (name: string) => items.some((item) => item.querySelector('.file-name')?.textContent === name && item.getAttribute('data-status') !== 'uploading')
      return names.every(listed)
    },
    paths.map((path) => basename(path)),
  )
}

export async function jobState(page: Page): Promise<string | null> {
  return page.getAttribute('#job-block', 'data-state')
}

/** The stage counters shown for the selected job. */
export async function counts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const result: Record<string, number> = {}
    for (const node of Array.from(document.querySelectorAll('#job-stages .stage-count'))) if (node.dataset.value) result[node.dataset.stage!] = Number(node.dataset.value)
    return result
  })
}

/** Settings that keep browser tests fast on a small shared machine, set through the form. */
export async function fastSettings(page: Page): Promise<void> {
  await page.selectOption('#model', 'anime4k-s')
  await page.locator('#performance-settings > summary').click()
  await page.uncheck('#workers-auto')
  await page.fill('#workers', '1')
  await page.check('input[name="processing"][value="concurrent"]')
  await page.locator('#performance-settings > summary').click()
  await page.locator('#video-settings > summary').click()
  await page.selectOption('#preset', 'ultrafast')
  await page.check('input[name="detector"][value="default"]')
  await page.locator('#video-settings > summary').click()
}

/** Presses Tab until `selector` has the focus; returns how many presses it took. */
export async function tabTo(page: Page, selector: string, most = 40): Promise<number> {
  for (let presses = 1; presses <= most; presses++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) return presses
  }
  throw new Error(`${selector} was not reached with ${most} Tab presses`)
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation {
  id: string
  impact: string
  help: string
  nodes: string[]
}

/** axe-core run in the page: its serious and critical violations (injected by evaluation, which the CSP allows). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE)
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe
    const { violations } = await axe.run(document, { resultTypes: ['violations'] })
    return violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, nodes: violation.nodes.map((node) => node.target.join(' ')) }))
  })
}

/** Waits for the selected job to reach `state`. */
export async function waitForJob(page: Page, state: string, timeout = 60_000): Promise<void> {
  await page.waitForSelector(`#job-block[data-state="${state}"]`, { timeout })
}

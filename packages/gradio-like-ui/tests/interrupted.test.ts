import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { resolveFfprobe } from '@anime-upscaler/core'
import type { InterruptedList, JobView } from '../src/api-types'
import { ffmpegPath } from '../src/media'
import { haveChromium, launchChromium, openPageAt, seriousViolations } from './browser-helpers'
import { useTempDir, waitFor } from './helpers'
import { alive, commandLine, descendants } from './processes'
import { isRunning } from '@anime-upscaler/common'
import { DIST, startServerProcess, startVideoJob, type ServerProcess } from './server-process'

// Video jobs survive the server: killed (kill -9 of the server and its job process, as a crash or a
// power cut would), or stopped with SIGTERM, the server leaves them kept; the next one lists them,
// resumes them from their finished segments, or discards them. Real server processes, ffmpeg and
// model; the page in Chromium when it is installed.

const temp = useTempDir()
const FRAMES = 288
const SEGMENT_SECONDS = '1'

/** 12 s at 24 fps with a keyframe every half second and a tone: twelve segments of one second. */
function makeClip(path: string): string {
  execFileSync(ffmpegPath(), [
    '-y', '-v', 'error',
    '-f', 'lavfi', '-i', `testsrc2=size=192x108:rate=24:duration=${FRAMES / 24}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${FRAMES / 24}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path,
  ])
  return path
}

function countFrames(path: string): number {
  return Number(execFileSync(resolveFfprobe(), ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', path]).toString().trim())
}

interface JournalLine {
  run: number
  event: 'run' | 'start' | 'done'
  segment?: number
  index?: number
}

/** A test's own temp and cache folders, and what it reads of them. */
class Place {
  readonly tmp: string
  readonly cache: string
  constructor(readonly dir: string) {
    this.tmp = join(dir, 'tmp')
    this.cache = join(dir, 'cache')
    mkdirSync(this.tmp, { recursive: true })
  }

  get keptRoot(): string {
    return join(this.cache, 'anime-upscaler', 'ui-jobs')
  }

  kept(): string[] {
    return existsSync(this.keptRoot) ? readdirSync(this.keptRoot).map((name) => join(this.keptRoot, name)) : []
  }

  /** core's list of jobs (its registry): one file per job it knows. */
  registered(): string[] {
    const folder = join(this.cache, 'anime-upscaler', 'jobs')
    return existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.json')) : []
  }

  async start(): Promise<ServerProcess> {
    const server = await startServerProcess(this.tmp, ['--segment-seconds', SEGMENT_SECONDS], { XDG_CACHE_HOME: this.cache })
    started.push(server)
    return server
  }
}

/** Every server a test started: one a failed test left running is killed with its job process. */
const started: ServerProcess[] = []
afterEach(() => {
  for (const server of started.splice(0)) if (server.child.exitCode === null && server.child.signalCode === null) killTree(server.child.pid!)
})

function killTree(pid: number): void {
  for (const member of [pid, ...descendants(pid)]) process.kill(member, 'SIGKILL')
}

function journal(keptDir: string): JournalLine[] {
  const text = readFileSync(join(keptDir, 'job', 'journal.jsonl'), 'utf8')
  return text.split('\n').flatMap((line) => (line ? [JSON.parse(line) as JournalLine] : []))
}

function segmentCount(keptDir: string): number {
  return (JSON.parse(readFileSync(join(keptDir, 'job', 'job.json'), 'utf8')) as { segments: unknown[] }).segments.length
}

function doneIndices(lines: JournalLine[], run?: number): Set<number> {
  return new Set(lines.filter((line) => line.event === 'done' && (run === undefined || line.run === run)).map((line) => line.index!))
}

/** Waits for the job's kept folder, then for `count` more segments finished in `run`. */
async function waitForSegments(place: Place, count: number, run: number): Promise<string> {
  const keptDir = await waitFor(() => place.kept().find((dir) => existsSync(join(dir, 'job', 'journal.jsonl'))), 'the job folder', 60_000)
  await waitFor(() => doneIndices(journal(keptDir), run).size >= count, `${count} segments finished in run ${run}`, 120_000, 50)
  return keptDir
}

async function json<T>(url: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, url), init)
  return { status: response.status, body: (response.status === 204 ? undefined : await response.json()) as T }
}

async function interrupted(url: string): Promise<InterruptedList> {
  return (await json<InterruptedList>(url, '/api/interrupted')).body
}

async function stopGracefully(server: ServerProcess, place: Place): Promise<void> {
  server.child.kill('SIGTERM')
  expect(await server.exited).toEqual({ code: 130, signal: null })
  expect(server.stderr()).not.toMatch(/ERR_|Error/)
  expect(readdirSync(place.tmp)).toEqual([])
}

/** Reads the journal every 50 ms while `until` runs: what it held last (the folder goes once the job is done). */
async function watchJournal(keptDir: string, until: Promise<unknown>): Promise<JournalLine[]> {
  let last: JournalLine[] = []
  let running = true
  const watching = (async () => {
    while (running) {
      try {
        last = journal(keptDir)
      } catch {
        // gone: the job is done
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  await until.finally(() => (running = false))
  await watching
  return last
}

async function waitForState(url: string, id: string, state: string, mayFail = false): Promise<JobView> {
  return waitFor(async () => {
    const { body } = await json<{ job: JobView }>(url, `/api/jobs/${id}`)
    if (body.job.state === 'failed' && !mayFail) throw new Error(`The job failed: ${body.job.error?.message}`)
    return body.job.state === state ? body.job : undefined
  }, `the job to be ${state}`, 180_000, 200)
}

let browser: Browser | undefined
beforeAll(async () => {
  expect(existsSync(DIST)).toBe(true) // the package must be built (pnpm build)
  makeClip(join(temp(), 'episode.mp4'))
  if (haveChromium) browser = await launchChromium()
  else console.warn('The page parts of these tests are skipped: /usr/bin/chromium is missing (apt-get install -y chromium); the API parts run.')
})
afterAll(async () => browser?.close())

/** A video job stopped with its server (SIGTERM) once it finished a segment: its place and kept folder. */
async function interruptedGracefully(name: string): Promise<{ place: Place; keptDir: string }> {
  const place = new Place(join(temp(), name))
  const server = await place.start()
  await startVideoJob(server.url, join(temp(), 'episode.mp4'))
  const keptDir = await waitForSegments(place, 1, 1)
  await stopGracefully(server, place)
  return { place, keptDir }
}

/** Resumes through the page (Chromium) or the API; the resumed job's id. */
async function resumeJob(server: ServerProcess, id: string, page: Page | undefined): Promise<string> {
  if (!page) {
    const { status, body } = await json<{ job: JobView }>(server.url, `/api/interrupted/${id}/resume`, { method: 'POST' })
    expect(status).toBe(201)
    return body.job.id
  }
  await page.click('#interrupted button[aria-label="Resume episode.mp4"]')
  await page.waitForSelector('#interrupted-message:has-text("back in the queue")')
  return (await page.getAttribute('#job-block', 'data-job-id'))!
}

test.each([
  ['the server alone (its job process stops when it loses the server)', false],
  ['the server, its job process and ffmpeg at once (a power cut: nothing cleans up)', true],
])('kill -9 mid-job of %s: the next server lists the job; Resume finishes it from the finished segments, with every frame', async (_name, wholeTree) => {
  const place = new Place(join(temp(), wholeTree ? 'killed-all' : 'killed'))
  const first = await place.start()
  await startVideoJob(first.url, join(temp(), 'episode.mp4'))
  // A second video waits in the queue: its source is kept from the start, but it has nothing to resume.
  await startVideoJob(first.url, join(temp(), 'episode.mp4'))
  expect(place.kept()).toHaveLength(2)
  const keptDir = await waitForSegments(place, 2, 1)
  const processes = descendants(first.child.pid!)
  if (wholeTree) killTree(first.child.pid!)
  else first.child.kill('SIGKILL')
  await first.exited
  // A timeout names what stayed (the job process, the spawn helper or an ffmpeg): CI saw this wait time out once, not reproduced.
  await waitFor(() => processes.every((pid) => !isRunning(pid)), 'the job process and ffmpeg to end', 10_000).catch((error: Error) => {
    const left = processes.filter((pid) => isRunning(pid)).map((pid) => `${pid}: ${commandLine(pid)}`)
    throw new Error(`${error.message}; still running: ${left.join('; ')}`)
  })
  const total = segmentCount(keptDir)
  const finishedBefore = doneIndices(journal(keptDir))
  expect(finishedBefore.size).toBeLessThan(total)

  const second = await place.start()
  // The killed server's work folder and the queued job's kept source are removed by the next one.
  expect(readdirSync(place.tmp)).toHaveLength(1)
  expect(place.kept()).toEqual([keptDir])
  const list = await interrupted(second.url)
  expect(list.folder).toBe(place.keptRoot)
  expect(list.jobs).toEqual([expect.objectContaining({ name: 'episode.mp4', segments: total, segmentsDone: finishedBefore.size, sourceMissing: false })])
  expect(Date.now() - list.jobs[0].updatedAt).toBeLessThan(5 * 60_000)

  const page = browser && (await openPageAt(browser, second.url))
  if (page) {
    const item = page.locator('#interrupted li', { hasText: 'episode.mp4' })
    await item.waitFor()
    expect(await item.textContent()).toContain(`${finishedBefore.size} of ${total} segments done`)
    expect(await page.textContent('#interrupted-note')).toMatch(/keeps its source video and finished segments on disk/)
  }
  const jobId = await resumeJob(second, list.jobs[0].id, page)
  const lines = await watchJournal(keptDir, waitForState(second.url, jobId, 'done'))
  if (page) await page.waitForSelector(`#job-block[data-job-id="${jobId}"][data-state="done"]`)

  const job = await waitForState(second.url, jobId, 'done')
  expect(job.info?.segments).toEqual({ count: total, done: finishedBefore.size })
  expect(job.video?.frames).toBe(FRAMES)
  const output = join(place.dir, 'resumed.mp4')
  writeFileSync(output, Buffer.from(await (await fetch(new URL(`/api/jobs/${jobId}/files/${job.outputs[0]}`, second.url))).arrayBuffer()))
  expect(countFrames(output)).toBe(FRAMES)
  // The resumed run started none of the segments the killed one had finished.
  const startedAfter = lines.filter((line) => line.run > 1 && line.event === 'start').map((line) => line.segment!)
  expect(startedAfter.length).toBeGreaterThan(0)
  expect(startedAfter.filter((index) => finishedBefore.has(index))).toEqual([])

  // Done: nothing is kept, nothing is listed.
  expect(place.kept()).toEqual([])
  expect(existsSync(place.keptRoot)).toBe(false)
  expect(place.registered()).toEqual([])
  expect((await interrupted(second.url)).jobs).toEqual([])
  await page?.context().close()
  await stopGracefully(second, place)
}, 300_000)

test('a graceful stop mid-job keeps it; a second Resume is refused, a job whose kept source is gone says so, Discard removes everything', async () => {
  const { place, keptDir } = await interruptedGracefully('stopped')
  expect(existsSync(join(keptDir, 'job', 'job.json'))).toBe(true)

  // Resumed, then stopped gracefully again mid-run: still listed, with more segments done.
  const second = await place.start()
  const [listed] = (await interrupted(second.url)).jobs
  expect(listed.segmentsDone).toBeGreaterThan(0)
  const post = (path: string, headers: Record<string, string> = {}) => json<{ error: string }>(second.url, path, { method: 'POST', headers })
  expect((await post(`/api/interrupted/${listed.id}/resume`, { Origin: 'http://evil.example' })).status).toBe(403)
  expect((await post(`/api/interrupted/${listed.id}/resume`)).status).toBe(201)
  const again = await post(`/api/interrupted/${listed.id}/resume`)
  expect(again).toEqual({ status: 409, body: { error: expect.stringMatching(/already in the queue/) } })
  expect((await json(second.url, `/api/interrupted/${listed.id}`, { method: 'DELETE' })).status).toBe(409)
  expect((await interrupted(second.url)).jobs).toEqual([])
  await waitForSegments(place, 1, 2)
  const processes = descendants(second.child.pid!)
  await stopGracefully(second, place)
  await waitFor(() => processes.every((pid) => !alive(pid)), 'the job process and ffmpeg to end', 5000)

  const third = await place.start()
  const [relisted] = (await interrupted(third.url)).jobs
  expect(relisted).toMatchObject({ id: listed.id, sourceMissing: false })
  expect(relisted.segmentsDone).toBeGreaterThan(listed.segmentsDone)
  rmSync(join(keptDir, 'input.mp4'))
  expect((await interrupted(third.url)).jobs[0].sourceMissing).toBe(true)
  const page = browser && (await openPageAt(browser, third.url))
  if (page) await discardInPage(page)
  else await discardThroughApi(third.url, relisted.id)

  expect(place.kept()).toEqual([])
  expect(place.registered()).toEqual([])
  expect((await interrupted(third.url)).jobs).toEqual([])
  expect((await json(third.url, `/api/interrupted/${relisted.id}/resume`, { method: 'POST' })).status).toBe(404)
  await page?.context().close()
  await stopGracefully(third, place)
}, 300_000)

/** The page says why a job whose source is gone cannot be resumed, has no serious accessibility problem, and discards it. */
async function discardInPage(page: Page): Promise<void> {
  const item = page.locator('#interrupted li', { hasText: 'episode.mp4' })
  await item.waitFor()
  expect(await item.textContent()).toContain('Its kept source video is gone')
  expect(await seriousViolations(page)).toEqual([])
  await page.click('#interrupted button[aria-label="Resume episode.mp4"]')
  await page.waitForSelector('#interrupted-message.error')
  expect(await page.textContent('#interrupted-message')).toBe('"episode.mp4" cannot be resumed: its kept source video is gone. Discard it, then upscale the video again.')
  await page.click('#interrupted button[aria-label="Discard episode.mp4"]')
  await page.waitForSelector('#interrupted-message:has-text("Discarded episode.mp4")')
  await page.waitForFunction(() => document.querySelectorAll('#interrupted li').length === 0)
}

async function discardThroughApi(url: string, id: string): Promise<void> {
  const refused = await json<{ error: string }>(url, `/api/interrupted/${id}/resume`, { method: 'POST' })
  expect(refused).toEqual({ status: 410, body: { error: '"episode.mp4" cannot be resumed: its kept source video is gone. Discard it, then upscale the video again.' } })
  expect((await json(url, `/api/interrupted/${id}`, { method: 'DELETE' })).status).toBe(204)
}

test('a kept source that changed is refused with what to do, and removing the failed job removes what was kept', async () => {
  const { place, keptDir } = await interruptedGracefully('changed')
  appendFileSync(join(keptDir, 'input.mp4'), Buffer.alloc(4096, 1))

  const second = await place.start()
  const [listed] = (await interrupted(second.url)).jobs
  const { body } = await json<{ job: JobView }>(second.url, `/api/interrupted/${listed.id}/resume`, { method: 'POST' })
  const failed = await waitForState(second.url, body.job.id, 'failed', true)
  expect(failed.error?.message).toBe('"episode.mp4" cannot continue from its finished segments: its kept source video changed, or they were made by another version of the app. Remove this job and upscale the video again.')
  expect(failed.error?.message).not.toContain(place.dir)
  expect(place.kept()).toEqual([keptDir])
  expect((await json(second.url, `/api/jobs/${failed.id}`, { method: 'DELETE' })).status).toBe(204)
  expect(place.kept()).toEqual([])
  expect(place.registered()).toEqual([])
  await stopGracefully(second, place)
}, 300_000)

test('a job process that crashes fails the job; Retry continues from its finished segments', async () => {
  const place = new Place(join(temp(), 'crashed'))
  const server = await place.start()
  const jobId = await startVideoJob(server.url, join(temp(), 'episode.mp4'))
  const keptDir = await waitForSegments(place, 1, 1)
  const runner = descendants(server.child.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('job-runner.cjs'))!
  killTree(runner)
  const failed = await waitForState(server.url, jobId, 'failed', true)
  expect(failed.error?.message).toMatch(/The upscaling process was killed/)
  const finishedBefore = doneIndices(journal(keptDir)).size
  const { body } = await json<{ job: JobView }>(server.url, `/api/jobs/${jobId}/retry`, { method: 'POST' })
  const done = await waitForState(server.url, body.job.id, 'done')
  expect(done.info?.segments?.done).toBe(finishedBefore)
  expect(done.video?.frames).toBe(FRAMES)
  expect(place.kept()).toEqual([])
  await stopGracefully(server, place)
}, 300_000)

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { makeVideo, useTempDir, waitFor } from './helpers'
import { alive, descendants } from './processes'

// The server as people run it: the built package in its own Node process, stopped by a signal.
const DIST = resolve(__dirname, '..', 'dist', 'index.js')
const temp = useTempDir()

interface ServerProcess {
  child: ChildProcess
  url: string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr: () => string
}

async function startServerProcess(tmp: string): Promise<ServerProcess> {
  const script = `import(${JSON.stringify(DIST)}).then((m) => m.runFromCommandLine(process.argv.slice(1)))`
  const child = spawn(process.execPath, ['-e', script, '--', '--port', '0'], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })))
  const url = await waitFor(() => /http:\/\/\S+/.exec(stdout)?.[0], 'the server to print its address', 30_000)
  return { child, url, exited, stderr: () => stderr }
}

/** A Server-Sent Events client, as a browser tab holds one open. */
function openEvents(url: string) {
  const events: { event: string; data: unknown }[] = []
  let buffer = ''
  let ended = false
  const request = get(new URL('/api/events', url), (response) => {
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => {
      buffer += chunk
      let split: number
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split)
        buffer = buffer.slice(split + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event && data) events.push({ event, data: JSON.parse(data) })
      }
    })
    response.on('end', () => (ended = true))
    response.on('close', () => (ended = true))
  })
  request.on('error', () => (ended = true))
  return { events, ended: () => ended }
}

function encodedFrames(data: unknown, jobId: string): number {
  const job = data as { id: string; progress?: { encoded?: number } }
  return job.id === jobId ? (job.progress?.encoded ?? 0) : 0
}

async function startVideoJob(url: string, video: string): Promise<string> {
  const uploaded = await fetch(new URL('/api/uploads', url), { method: 'POST', body: readFileSync(video), headers: { 'X-File-Name': 'episode.mp4' } })
  const { id } = (await uploaded.json()) as { id: string }
  const settings = { model: 'anime4k-s', workers: 1, preset: 'ultrafast' }
  const created = await fetch(new URL('/api/jobs', url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ uploads: [id], settings }) })
  expect(created.status).toBe(201)
  return ((await created.json()) as { job: { id: string } }).job.id
}

describe.each([
  ['SIGTERM', 1],
  ['SIGINT', 1],
  ['SIGINT twice (forced)', 2],
] as const)('%s while a job runs and a page is connected', (name, times) => {
  const signal = name.startsWith('SIGTERM') ? 'SIGTERM' : 'SIGINT'
  let tmp = ''
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gradio-like-ui-shutdown-'))
  })
  afterEach(() => rmSync(tmp, { recursive: true, force: true }))

  test('ends the job and the event stream, removes every file and exits 130', async () => {
    expect(existsSync(DIST)).toBe(true) // the package must be built (pnpm build)
    const video = join(temp(), 'episode.mp4')
    if (!existsSync(video)) makeVideo(video, 480, '320x180')
    const server = await startServerProcess(tmp)
    const page = openEvents(server.url)
    const jobId = await startVideoJob(server.url, video)
    // Signal mid-run: once frames are being encoded, so the job process and both ffmpegs are up.
    await waitFor(() => page.events.some(({ event, data }) => event === 'job' && encodedFrames(data, jobId) > 0), 'encoded frames reported to the page', 60_000)
    const children = descendants(server.child.pid!)
    expect(children.length).toBeGreaterThanOrEqual(3) // the job process, the decoding and the encoding ffmpeg

    for (let i = 0; i < times; i++) server.child.kill(signal)
    const exit = await server.exited
    expect(server.stderr()).not.toMatch(/ERR_|Error/)
    expect(exit).toEqual({ code: 130, signal: null })
    await waitFor(() => page.ended(), 'the event stream to end', 5000)
    expect(readdirSync(tmp)).toEqual([])
    await waitFor(() => children.every((pid) => !alive(pid)), 'the job process and ffmpeg to end', 5000)
  })
})

import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { get } from 'node:http'
import { resolve } from 'node:path'
import { waitFor } from './helpers'

// The server as people run it: the built package in its own Node process, stopped by a signal.
export const DIST = resolve(__dirname, '..', 'dist', 'index.js')

export interface ServerProcess {
  child: ChildProcess
  url: string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr: () => string
}

/** Starts the built server (`start` script's flags in `args`) with TMPDIR `tmp`; resolves once it printed its address. */
export async function startServerProcess(tmp: string, args: string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
  const script = `import(${JSON.stringify(DIST)}).then((m) => m.runFromCommandLine(process.argv.slice(1)))`
  const child = spawn(process.execPath, ['-e', script, '--', '--port', '0', ...args], { env: { ...process.env, TMPDIR: tmp, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })))
  const url = await waitFor(() => /http:\/\/\S+/.exec(stdout)?.[0], 'the server to print its address', 30_000)
  return { child, url, exited, stderr: () => stderr }
}

/** A Server-Sent Events client, as a browser tab holds one open. */
export function openEvents(url: string) {
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

/** Uploads `video` as episode.mp4 and starts a job on it with fast settings; the job's id. */
export async function startVideoJob(url: string, video: string): Promise<string> {
  const uploaded = await fetch(new URL('/api/uploads', url), { method: 'POST', body: readFileSync(video), headers: { 'X-File-Name': 'episode.mp4' } })
  const { id } = (await uploaded.json()) as { id: string }
  const settings = { model: 'anime4k-s', workers: 1, preset: 'ultrafast' }
  const created = await fetch(new URL('/api/jobs', url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ uploads: [id], settings }) })
  expect(created.status).toBe(201)
  return ((await created.json()) as { job: { id: string } }).job.id
}

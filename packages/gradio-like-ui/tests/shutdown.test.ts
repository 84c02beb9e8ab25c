import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeVideo, useTempDir, waitFor } from './helpers'
import { alive, descendants } from './processes'
import { DIST, openEvents, startServerProcess, startVideoJob } from './server-process'

const temp = useTempDir()

function encodedFrames(data: unknown, jobId: string): number {
  const job = data as { id: string; progress?: { encoded?: number } }
  return job.id === jobId ? (job.progress?.encoded ?? 0) : 0
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

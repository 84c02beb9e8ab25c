import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_MODEL, listModels, probe } from '@anime-upscaler/core'
import { startServer, type RunningServer } from '../src'
import type { ConfigView, JobView, UploadView } from '../src/api-types'
import { FAST, makeImage, makeVideo, useTempDir, waitFor } from './helpers'

const temp = useTempDir()
let server: RunningServer

beforeAll(async () => {
  server = await startServer({ port: 0, maxConcurrentJobs: 1 })
})
afterAll(async () => server.close())

const url = (path: string) => new URL(path, server.url)
const json = async <T>(path: string, init?: RequestInit) => (await (await fetch(url(path), init)).json()) as T
const post = (path: string, body?: unknown) => fetch(url(path), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })

async function upload(path: string): Promise<UploadView> {
  return json<UploadView>('/api/uploads', { method: 'POST', body: readFileSync(path), headers: { 'X-File-Name': encodeURIComponent(path.split('/').pop()!) } })
}

async function createJob(uploads: UploadView[], settings: Record<string, unknown> = FAST): Promise<JobView> {
  const response = await post('/api/jobs', { uploads: uploads.map((item) => item.id), settings })
  expect(response.status).toBe(201)
  return ((await response.json()) as { job: JobView }).job
}

async function finished(id: string): Promise<JobView> {
  return waitFor(async () => {
    const { job } = await json<{ job: JobView }>(`/api/jobs/${id}`)
    return ['done', 'failed', 'stopped'].includes(job.state) ? job : undefined
  }, `job ${id} to finish`)
}

test('/api/config: defaults from core (model, mode), every limit in one place, pausing images reported as working', async () => {
  const config = await json<ConfigView>('/api/config')
  expect(config.defaultModel).toBe(DEFAULT_MODEL)
  expect(config.defaults).toMatchObject({ model: DEFAULT_MODEL, processing: 'concurrent', container: 'auto', subtitles: 'copy', attachments: 'copy' })
  expect(config.models.map((model) => model.id)).toEqual(listModels().map((model) => model.id))
  expect(config.features).toEqual({ pauseImages: true, pauseVideos: true })
  expect(config.limits).toMatchObject({ maxUploadBytes: 2 * 1024 ** 3, maxFiles: 50, maxConcurrentJobs: 1, maxQueuedJobs: 20, minScale: 1, maxScale: 16 })
  expect(config.subtitles).toEqual(expect.arrayContaining(['copy', 'none', 'mov_text', 'srt', 'ass', 'webvtt']))
  expect(config.examples.map((example) => example.id)).toEqual(['picture', 'clip'])
})

test("the examples are the project's own drawing and clip, made on demand into the work folder", async () => {
  const picture = await json<UploadView>('/api/examples/picture', { method: 'POST' })
  expect(picture).toMatchObject({ name: 'anime-upscaler-sample.png', kind: 'image', type: 'image/png', example: 'picture' })
  const clip = await json<UploadView>('/api/examples/clip', { method: 'POST' })
  expect(clip).toMatchObject({ name: 'anime-upscaler-sample.mp4', kind: 'video', example: 'clip' })
  const made = join(server.workDir, 'examples', 'anime-upscaler-sample.mp4')
  const info = await probe(made)
  expect([info.video.width, info.video.height, info.video.frameCount]).toEqual([480, 270, 48])
  expect(info.streams.map((stream) => stream.type)).toEqual(['video', 'audio'])
  expect((await post('/api/examples/nothing')).status).toBe(404)
  expect((await fetch(url('/api/uploads'), { method: 'DELETE' })).status).toBe(204)
})

test('a batch downloads as one zip of its results, named after the originals', async () => {
  const inputs = [await makeImage(join(temp(), 'a.png'), 20, 10), await makeImage(join(temp(), 'b.jpg'), 16, 12)]
  const job = await finished((await createJob([await upload(inputs[0]), await upload(inputs[1])])).id)
  expect(job.zip).toBe('a-upscaled.zip')
  const response = await fetch(url(`/api/jobs/${job.id}/zip`))
  expect(response.headers.get('content-type')).toBe('application/zip')
  expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="a-upscaled.zip"/)
  const archive = join(temp(), 'results.zip')
  writeFileSync(archive, Buffer.from(await response.arrayBuffer()))
  if (!existsSync('/usr/bin/unzip')) return console.warn('zip contents not checked: unzip is missing (apt-get install -y unzip)')
  expect(execFileSync('unzip', ['-Z1', archive], { encoding: 'utf8' }).trim().split('\n')).toEqual(['a-40x20.png', 'b-32x24.jpg'])
  const out = join(temp(), 'unzipped')
  execFileSync('unzip', ['-q', archive, '-d', out])
  expect(readFileSync(join(out, 'a-40x20.png')).equals(readFileSync(join(server.workDir, 'jobs', job.id, 'out', 'output-1.png')))).toBe(true)
})

test('a waiting job knows its place in line; a stopped job is retried as a new job; finished jobs are cleared together', async () => {
  const video = await upload(makeVideo(join(temp(), 'long.mp4'), 480, '320x180'))
  const running = await createJob([video])
  const picture = await upload(await makeImage(join(temp(), 'c.png'), 20, 20))
  const second = await createJob([picture])
  const third = await createJob([picture])
  expect(second.queuePosition).toBe(1)
  expect(third.queuePosition).toBe(2)
  await waitFor(async () => (await json<{ job: JobView }>(`/api/jobs/${running.id}`)).job.state === 'running' || undefined, 'the video to start')
  const stopped = ((await (await post(`/api/jobs/${running.id}/stop`)).json()) as { job: JobView }).job
  expect(stopped.state).toBe('stopped')
  expect((await post(`/api/jobs/${second.id}/retry`)).status).toBe(409)
  const retried = ((await (await post(`/api/jobs/${running.id}/retry`)).json()) as { job: JobView }).job
  expect(retried.id).not.toBe(running.id)
  expect(retried.inputs.map((input) => input.name)).toEqual(['long.mp4'])
  expect((await fetch(url(`/api/jobs/${running.id}`))).status).toBe(404)
  await post(`/api/jobs/${retried.id}/stop`)
  await finished(third.id)
  const { removed } = await json<{ removed: string[] }>('/api/jobs', { method: 'DELETE' })
  expect(removed).toEqual(expect.arrayContaining([second.id, third.id, retried.id]))
  expect((await json<{ jobs: JobView[] }>('/api/jobs')).jobs).toEqual([])
})

test('the elapsed time leaves paused time out', async () => {
  const video = await upload(makeVideo(join(temp(), 'paused.mp4'), 480, '320x180'))
  const job = await createJob([video])
  await waitFor(async () => (((await json<{ job: JobView }>(`/api/jobs/${job.id}`)).job.progress?.encoded as number) ?? 0) > 0 || undefined, 'progress')
  await post(`/api/jobs/${job.id}/pause`)
  const paused = await waitFor(async () => {
    const view = (await json<{ job: JobView }>(`/api/jobs/${job.id}`)).job
    return view.state === 'paused' ? view : undefined
  }, 'the pause')
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const later = (await json<{ job: JobView }>(`/api/jobs/${job.id}`)).job
  expect(later.elapsedMs).toBe(paused.elapsedMs)
  await post(`/api/jobs/${job.id}/stop`)
})

test('a job deleted while one of its frames is being compared leaves no folder behind', async () => {
  const video = await upload(makeVideo(join(temp(), 'frames.mp4'), 24, '96x64'))
  const job = await finished((await createJob([video])).id)
  expect(job.state).toBe('done')
  const comparing = post(`/api/jobs/${job.id}/frame`, { index: 20 })
  // Delete once the comparison has begun (its folder is made), while the frames are being decoded.
  await waitFor(() => existsSync(join(server.workDir, 'jobs', job.id, 'frames')), 'the comparison to begin', 30_000, 2)
  const deleted = await fetch(url(`/api/jobs/${job.id}`), { method: 'DELETE' })
  expect(deleted.status).toBe(204)
  expect([200, 404]).toContain((await comparing).status)
  expect(existsSync(join(server.workDir, 'jobs', job.id))).toBe(false)
})

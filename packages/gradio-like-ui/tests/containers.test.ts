import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startServer, type RunningServer } from '../src'
import type { JobView } from '../src/api-types'
import { ffmpegPath } from '../src/media'
import { FAST, makeRichVideo, streamTypes, useTempDir, waitFor } from './helpers'

// Issue 10, item 4: with no container chosen, the output follows what the source holds.
const temp = useTempDir()
let server: RunningServer

beforeAll(async () => {
  server = await startServer({ port: 0 })
})
afterAll(async () => server.close())

async function runVideo(file: string, settings: Record<string, unknown>): Promise<JobView> {
  const name = file.split('/').pop()!
  const uploaded = await fetch(new URL('/api/uploads', server.url), { method: 'POST', body: readFileSync(file), headers: { 'X-File-Name': name } })
  const { id } = (await uploaded.json()) as { id: string }
  const created = await fetch(new URL('/api/jobs', server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ uploads: [id], settings: { ...FAST, ...settings } }) })
  expect(created.status).toBe(201)
  const jobId = ((await created.json()) as { job: JobView }).job.id
  return waitFor(async () => {
    const { job } = (await (await fetch(new URL(`/api/jobs/${jobId}`, server.url))).json()) as { job: JobView }
    return ['done', 'failed', 'stopped'].includes(job.state) ? job : undefined
  }, `${name} to finish`)
}

async function download(job: JobView): Promise<string> {
  const response = await fetch(new URL(`/api/jobs/${job.id}/files/${job.outputs[0]}?download=1`, server.url))
  const path = join(temp(), `${job.id}-${job.downloads[0].name}`)
  writeFileSync(path, Buffer.from(await response.arrayBuffer()))
  return path
}

test('a WebM with Opus audio comes out as Matroska with its Opus audio', async () => {
  const job = await runVideo(makeRichVideo(join(temp(), 'clip.webm'), { webm: true }), {})
  expect(job.error).toBeUndefined()
  expect(job.state).toBe('done')
  expect(job.downloads[0].name).toMatch(/^clip-192x128\.mkv$/)
  expect(await streamTypes(await download(job))).toEqual(['video:h264', 'audio:opus'])
})

test('a Matroska file with ASS subtitles and a font keeps both, in Matroska', async () => {
  const job = await runVideo(makeRichVideo(join(temp(), 'episode.mkv'), { subtitles: true, font: true }), {})
  expect(job.error).toBeUndefined()
  expect(job.downloads[0].name).toMatch(/\.mkv$/)
  expect(await streamTypes(await download(job))).toEqual(['video:h264', 'audio:aac', 'subtitle:ass', 'attachment:ttf'])
})

test('subtitles and attachments dropped by the settings: MP4 holds the rest', async () => {
  const job = await runVideo(makeRichVideo(join(temp(), 'dropped.mkv'), { subtitles: true, font: true }), { subtitles: 'none', attachments: 'none' })
  expect(job.error).toBeUndefined()
  expect(job.downloads[0].name).toMatch(/\.mp4$/)
  expect(await streamTypes(await download(job))).toEqual(['video:h264', 'audio:aac'])
})

test('subtitles converted for MP4 by the settings', async () => {
  const job = await runVideo(makeRichVideo(join(temp(), 'converted.mkv'), { subtitles: true }), { subtitles: 'mov_text' })
  expect(job.downloads[0].name).toMatch(/\.mp4$/)
  expect(await streamTypes(await download(job))).toEqual(['video:h264', 'audio:aac', 'subtitle:mov_text'])
})

test('MP4 chosen for a source it cannot hold: the message names the page settings, not library options', async () => {
  const job = await runVideo(makeRichVideo(join(temp(), 'forced.mkv'), { subtitles: true }), { container: 'mp4' })
  expect(job.state).toBe('failed')
  expect(job.error?.message).toMatch(/MP4 \(\.mp4\) cannot hold the source's ass subtitles/)
  expect(job.error?.message).toMatch(/Subtitles/)
  expect(job.error?.message).not.toMatch(/subtitleCodec|audioCodec|attachments:/)
})

// Issue 10, item 14: an animated GIF was silently upscaled as its first frame.
test('an animated GIF is upscaled frame by frame, as a video; a still GIF stays an image', async () => {
  const animated = join(temp(), 'wave.gif')
  execFileSync(ffmpegPath(), ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10:duration=1', animated])
  const job = await runVideo(animated, {})
  expect(job).toMatchObject({ kind: 'video', state: 'done' })
  expect(job.video).toMatchObject({ width: 128, height: 96, frames: 10 })
  expect(job.downloads[0].name).toBe('wave-128x96.mp4')

  const still = join(temp(), 'still.gif')
  execFileSync(ffmpegPath(), ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48', '-frames:v', '1', still])
  const uploaded = await fetch(new URL('/api/uploads', server.url), { method: 'POST', body: readFileSync(still), headers: { 'X-File-Name': 'still.gif' } })
  expect(await uploaded.json()).toMatchObject({ kind: 'image', label: 'GIF image' })
})

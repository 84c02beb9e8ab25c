import { existsSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readImage } from '@anime-upscaler/core'
import { startServer, type RunningServer } from '../src'
import type { JobView } from '../src/api-types'
import { FAST, corruptPng, makeImage, makeVideo, rawRequest, useTempDir, waitFor } from './helpers'

const temp = useTempDir()

async function upload(server: RunningServer, body: Buffer, name: string, headers: Record<string, string> = {}) {
  const response = await fetch(new URL('/api/uploads', server.url), { method: 'POST', body, headers: { 'X-File-Name': encodeURIComponent(name), 'Content-Type': 'application/octet-stream', ...headers } })
  return { status: response.status, body: (await response.json()) as { id: string; kind: string; type: string; error?: string } }
}

async function post(server: RunningServer, path: string, json: unknown) {
  const response = await fetch(new URL(path, server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(json) })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { error?: string } }
}

async function getJob(server: RunningServer, id: string): Promise<JobView> {
  const response = await fetch(new URL(`/api/jobs/${id}`, server.url))
  return ((await response.json()) as { job: JobView }).job
}

async function finished(server: RunningServer, id: string, timeoutMs = 60_000): Promise<JobView> {
  return waitFor(async () => {
    const job = await getJob(server, id)
    return ['done', 'failed', 'stopped'].includes(job.state) ? job : undefined
  }, `job ${id} to finish`, timeoutMs)
}

async function imageJob(server: RunningServer, names: string[], settings: Record<string, unknown> = FAST): Promise<JobView> {
  const ids: string[] = []
  for (const name of names) ids.push((await upload(server, readFileSync(join(temp(), name)), name)).body.id)
  const created = await post(server, '/api/jobs', { uploads: ids, settings })
  expect(created.status).toBe(201)
  return created.body.job as JobView
}

describe('access', () => {
  let server: RunningServer
  afterEach(async () => server?.close())

  test('binds 127.0.0.1 by default, without a token, and serves the page with strict headers', async () => {
    server = await startServer({ port: 0 })
    expect(server.host).toBe('127.0.0.1')
    expect(server.token).toBeUndefined()
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const page = await fetch(server.url)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Anime Upscaler')
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(page.headers.get('x-frame-options')).toBe('DENY')
  })

  test('off loopback a token is generated; requests without it get 401, with it (query, cookie, bearer) pass', async () => {
    server = await startServer({ host: '0.0.0.0', port: 0 })
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(server.url).toContain(`?token=${server.token}`)
    const base = `http://127.0.0.1:${server.port}`
    for (const path of ['/', '/app.js', '/api/config', '/api/jobs', '/api/events']) expect((await fetch(base + path)).status).toBe(401)
    expect((await fetch(`${base}/api/config?token=wrong-token-value`)).status).toBe(401)
    expect((await fetch(`${base}/api/config`, { headers: { Authorization: 'Bearer nope-nope-nope' } })).status).toBe(401)
    expect((await upload({ ...server, url: base }, Buffer.alloc(10), 'x.png')).status).toBe(401)

    // The printed address trades the token for a cookie and drops it from the address bar.
    const entry = await fetch(server.url.replace(/^http:\/\/[^/]+/, base), { redirect: 'manual' })
    expect(entry.status).toBe(303)
    expect(entry.headers.get('location')).toBe('/')
    const cookie = entry.headers.get('set-cookie')!
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect((await fetch(`${base}/api/config`, { headers: { Cookie: cookie.split(';')[0] } })).status).toBe(200)
    expect((await fetch(`${base}/api/config`, { headers: { Authorization: `Bearer ${server.token}` } })).status).toBe(200)
    expect((await fetch(`${base}/api/config?token=${server.token}`)).status).toBe(200)
  })

  test('a given token is enforced on loopback too; a weak one is refused', async () => {
    await expect(startServer({ port: 0, token: 'short' })).rejects.toThrow(/at least 8/)
    server = await startServer({ port: 0, token: 'my-secret-token' })
    const base = `http://127.0.0.1:${server.port}`
    expect((await fetch(`${base}/api/config`)).status).toBe(401)
    expect((await fetch(`${base}/api/config`, { headers: { Authorization: 'Bearer my-secret-token' } })).status).toBe(200)
  })

  test('foreign Host headers (DNS rebinding) and cross-site posts are refused', async () => {
    server = await startServer({ port: 0 })
    expect((await rawRequest(server.url, '/api/config', { headers: { Host: `evil.example:${server.port}` } })).status).toBe(403)
    expect((await rawRequest(server.url, '/api/config', { headers: { Host: `localhost:${server.port}` } })).status).toBe(200)
    const crossSite = await rawRequest(server.url, '/api/jobs', {
      method: 'POST',
      headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' },
      body: JSON.stringify({ uploads: [] }),
    })
    expect(crossSite.status).toBe(403)
    // JSON endpoints refuse form posts (a cross-site form cannot send application/json).
    const form = await rawRequest(server.url, '/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'uploads=x' })
    expect(form.status).toBe(415)
  })

  test('the port in use is reported plainly; close() removes the work folder', async () => {
    server = await startServer({ port: 0 })
    await expect(startServer({ port: server.port })).rejects.toThrow(/in use/)
    const { workDir } = server
    expect(existsSync(workDir)).toBe(true)
    await server.close()
    expect(existsSync(workDir)).toBe(false)
  })
})

describe('uploads', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ port: 0, maxUploadBytes: 64 * 1024, maxFiles: 3 })
    await makeImage(join(temp(), 'small.png'), 48, 32)
  })
  afterAll(async () => server.close())

  test('content is sniffed, not trusted from the name: a PNG named .txt is an image; text named .png is 415', async () => {
    const png = readFileSync(join(temp(), 'small.png'))
    const accepted = await upload(server, png, 'holiday.txt')
    expect(accepted.status).toBe(201)
    expect(accepted.body).toMatchObject({ kind: 'image', type: 'image/png' })
    expect(accepted.body.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    await fetch(new URL(`/api/uploads/${accepted.body.id}`, server.url), { method: 'DELETE' })

    const text = await upload(server, Buffer.from('hello, this is plain text and not a picture\n'.repeat(4)), 'fake.png')
    expect(text.status).toBe(415)
    expect(text.body.error).toMatch(/"fake\.png" is not an image or video.*looks like text/)
    const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(100)])
    expect((await upload(server, bmp, 'old.bmp')).body.error).toMatch(/BMP/)
    expect((await upload(server, Buffer.alloc(0), 'empty.png')).status).toBe(415)
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(200)])
    expect((await upload(server, elf, 'video.mp4')).status).toBe(415)
  })

  test('uploads above the size limit get 413, whether declared or streamed', async () => {
    const big = Buffer.concat([readFileSync(join(temp(), 'small.png')), Buffer.alloc(80 * 1024)])
    const declared = await upload(server, big, 'big.png')
    expect(declared.status).toBe(413)
    expect(declared.body.error).toMatch(/64 KiB/)
    // Chunked: no Content-Length, the limit is counted while streaming.
    const response = await fetch(new URL('/api/uploads', server.url), {
      method: 'POST',
      headers: { 'X-File-Name': 'big.png' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(i === 0 ? readFileSync(join(temp(), 'small.png')) : Buffer.alloc(8 * 1024)))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(readdirSync(join(server.workDir, 'uploads'))).toEqual([])
  })

  test('the number of waiting uploads is limited (413), and one job takes at most maxFiles', async () => {
    const png = readFileSync(join(temp(), 'small.png'))
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await upload(server, png, `p${i}.png`)).body.id)
    const fourth = await upload(server, png, 'p3.png')
    expect(fourth.status).toBe(413)
    expect(fourth.body.error).toMatch(/Too many files/)
    const tooMany = await post(server, '/api/jobs', { uploads: [...ids, ids[0]], settings: FAST })
    expect(tooMany.status).toBe(413)
    for (const id of ids) expect((await fetch(new URL(`/api/uploads/${id}`, server.url), { method: 'DELETE' })).status).toBe(204)
    expect(readdirSync(join(server.workDir, 'uploads'))).toEqual([])
  })

  test('bad settings are refused with the setting named; an unknown model path is not accepted', async () => {
    const { body } = await upload(server, readFileSync(join(temp(), 'small.png')), 'a.png')
    const bad = await post(server, '/api/jobs', { uploads: [body.id], settings: { ...FAST, model: '/etc/passwd' } })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatch(/^Model must be one of anime4k-s, anime4k-l/)
    const scale = await post(server, '/api/jobs', { uploads: [body.id], settings: { ...FAST, scale: -2 } })
    expect(scale.body.error).toMatch(/Scale must be a number from 1 to 16/)
    // The refused uploads are still there for a corrected try.
    const ok = await post(server, '/api/jobs', { uploads: [body.id], settings: FAST })
    expect(ok.status).toBe(201)
    await finished(server, (ok.body.job as JobView).id)
  })
})

describe('jobs', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ port: 0, maxConcurrentJobs: 1, maxQueuedJobs: 2 })
    await makeImage(join(temp(), 'one.png'), 64, 48)
    await makeImage(join(temp(), 'two.jpg'), 40, 30)
    writeFileSync(join(temp(), 'broken.png'), corruptPng())
  })
  afterAll(async () => server.close())

  test('an image batch runs to the end: results with sizes, outputs downloadable intact, with ranges', async () => {
    const job = await imageJob(server, ['one.png', 'two.jpg'])
    expect(job.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    const done = await finished(server, job.id)
    expect(done.state).toBe('done')
    expect(done.results.map((r) => [r.sourceWidth, r.sourceHeight, r.width, r.height])).toEqual([
      [64, 48, 128, 96],
      [40, 30, 80, 60],
    ])
    expect(done.downloads.map((d) => d.name)).toEqual(['one-128x96.png', 'two-80x60.jpg'])

    const response = await fetch(new URL(`/api/jobs/${job.id}/files/${done.outputs[0]}?download=1`, server.url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="one-128x96.png"/)
    const bytes = Buffer.from(await response.arrayBuffer())
    const saved = join(temp(), 'downloaded.png')
    writeFileSync(saved, bytes)
    const decoded = await readImage(saved)
    expect([decoded.image.width, decoded.image.height]).toEqual([128, 96])
    expect(bytes.equals(readFileSync(join(server.workDir, 'jobs', job.id, 'out', done.outputs[0])))).toBe(true)

    const range = await fetch(new URL(`/api/jobs/${job.id}/files/${done.outputs[0]}`, server.url), { headers: { Range: 'bytes=0-7' } })
    expect(range.status).toBe(206)
    expect(range.headers.get('content-range')).toBe(`bytes 0-7/${bytes.length}`)
    expect(Buffer.from(await range.arrayBuffer()).equals(bytes.subarray(0, 8))).toBe(true)
  })

  test('a corrupt image fails with a readable message naming the file, not a server path', async () => {
    const job = await imageJob(server, ['broken.png'])
    const failed = await finished(server, job.id)
    expect(failed.state).toBe('failed')
    expect(failed.error?.message).toMatch(/^This file could not be read: Could not decode "broken\.png": the file is truncated or corrupt/)
    expect(failed.error?.message).not.toContain(server.workDir)
  })

  test('a corrupt video fails with a readable message too', async () => {
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(4), Buffer.from('isomavc1'), Buffer.from('garbage, not a movie '.repeat(100))])
    const { body } = await upload(server, mp4, 'broken.mp4')
    expect(body.kind).toBe('video')
    const job = (await post(server, '/api/jobs', { uploads: [body.id], settings: FAST })).body.job as JobView
    const failed = await finished(server, job.id)
    expect(failed.state).toBe('failed')
    expect(failed.error?.message).toMatch(/^This file could not be read: .*"broken\.mp4"/)
    expect(failed.error?.message).not.toContain(server.workDir)
  })

  test('path traversal and foreign files are refused: ../, %2e%2e%2f, absolute paths, backslashes, other jobs, symlinks', async () => {
    const job = await finished(server, (await imageJob(server, ['one.png'])).id)
    const other = await finished(server, (await imageJob(server, ['two.jpg'])).id)
    const files = `/api/jobs/${job.id}/files/`
    const attempts = [
      `${files}../../../../../../etc/passwd`,
      `${files}..%2f..%2f..%2f..%2fetc%2fpasswd`,
      `${files}%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
      `${files}%2E%2E/%2E%2E/etc/passwd`,
      `${files}..\\..\\etc\\passwd`,
      `${files}%2fetc%2fpasswd`,
      `${files}/etc/passwd`,
      `/api/jobs/${job.id}/files//etc/passwd`,
      `/api/jobs/../../etc/passwd`,
      `/../../../etc/passwd`,
      `/api/jobs/${job.id}/files/${encodeURIComponent(join(server.workDir, 'jobs', job.id, 'out', job.outputs[0]))}`,
      `${files}${other.outputs[0]}`,
      `/api/jobs/${job.id}/files/..`,
      `/api/jobs/${'A'.repeat(22)}/files/${job.outputs[0]}`,
      `/api/previews/../jobs/${job.id}/files/${job.outputs[0]}`,
      `/api/jobs/${job.id}/files/input-1.png%00.png`,
      // Names that exist inside the job folder but are not registered files.
      `${files}out`,
      `${files}in`,
    ]
    for (const path of attempts) {
      const response = await rawRequest(server.url, path)
      expect([400, 403, 404]).toContain(response.status)
      expect(response.body.toString('latin1')).not.toMatch(/root:|\x89PNG/)
    }
    expect((await rawRequest(server.url, `${files}${job.outputs[0]}`)).status).toBe(200)

    // An output swapped for a symlink to a file outside is refused.
    const outputPath = join(server.workDir, 'jobs', job.id, 'out', job.outputs[0])
    rmSync(outputPath)
    symlinkSync('/etc/passwd', outputPath)
    const viaLink = await rawRequest(server.url, `${files}${job.outputs[0]}`)
    expect(viaLink.status).toBe(403)
    expect(viaLink.body.toString()).not.toContain('root:')
  })

  test('one job runs at a time, the next waits queued, a full queue says so (429); ids differ', async () => {
    // A video long enough to still be running while the others are queued.
    makeVideo(join(temp(), 'long.mp4'), 240, '320x180')
    const video = readFileSync(join(temp(), 'long.mp4'))
    const running = (await upload(server, video, 'long.mp4')).body
    expect(running).toMatchObject({ kind: 'video', type: 'video/mp4' })
    const first = (await post(server, '/api/jobs', { uploads: [running.id], settings: FAST })).body.job as JobView
    const queuedIds: string[] = []
    for (let i = 0; i < 2; i++) queuedIds.push(((await imageJob(server, ['one.png'])) as JobView).id)
    for (const id of queuedIds) expect((await getJob(server, id)).state).toBe('queued')
    const overflow = (await upload(server, readFileSync(join(temp(), 'one.png')), 'one.png')).body
    const refused = await post(server, '/api/jobs', { uploads: [overflow.id], settings: FAST })
    expect(refused.status).toBe(429)
    expect(refused.body.error).toMatch(/queue is full/)
    expect(new Set([first.id, ...queuedIds]).size).toBe(3)

    // A queued image batch takes a pause request: it will start paused (checked below).
    expect(((await post(server, `/api/jobs/${queuedIds[1]}/pause`, {})).body.job as JobView).pauseRequested).toBe(true)
    expect((await getJob(server, queuedIds[1])).state).toBe('queued')
    await waitFor(async () => ((await getJob(server, first.id)).progress?.encoded as number) > 0, 'video progress')
    expect((await post(server, `/api/jobs/${first.id}/pause`, {})).status).toBe(200)
    await waitFor(async () => (await getJob(server, first.id)).state === 'paused', 'paused state')
    expect((await post(server, `/api/jobs/${first.id}/resume`, {})).status).toBe(200)
    await waitFor(async () => (await getJob(server, first.id)).state === 'running', 'running again')

    // Stopping leaves nothing behind and lets the queue move on.
    const stopped = await post(server, `/api/jobs/${first.id}/stop`, {})
    expect((stopped.body.job as JobView).state).toBe('stopped')
    expect((stopped.body.job as JobView).outputs).toEqual([])
    expect(existsSync(join(server.workDir, 'jobs', first.id, 'out'))).toBe(false)
    expect((await finished(server, queuedIds[0])).state).toBe('done')

    // The batch paused while queued starts paused: no image is written until it is resumed.
    await waitFor(async () => (await getJob(server, queuedIds[1])).state === 'paused', 'the batch to start paused')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await getJob(server, queuedIds[1])).outputs).toEqual([])
    expect((await post(server, `/api/jobs/${queuedIds[1]}/resume`, {})).status).toBe(200)
    expect((await finished(server, queuedIds[1])).state).toBe('done')
  })

  test('stopping mid-frame, again and again, never takes the server down (jobs run in their own process)', async () => {
    const video = readFileSync(join(temp(), 'long.mp4'))
    for (const frames of [1, 7, 20]) {
      const { body } = await upload(server, video, 'long.mp4')
      const job = (await post(server, '/api/jobs', { uploads: [body.id], settings: FAST })).body.job as JobView
      await waitFor(async () => ((await getJob(server, job.id)).progress?.upscaled as number) >= frames, 'upscaling to start')
      expect(((await post(server, `/api/jobs/${job.id}/stop`, {})).body.job as JobView).state).toBe('stopped')
    }
    expect((await fetch(new URL('/api/config', server.url))).status).toBe(200)
  })

  test('deleting a job removes its uploads and outputs; its files are then 404', async () => {
    const job = await finished(server, (await imageJob(server, ['one.png'])).id)
    const folder = join(server.workDir, 'jobs', job.id)
    expect(readdirSync(join(folder, 'in')).length).toBeGreaterThan(0)
    expect((await fetch(new URL(`/api/jobs/${job.id}`, server.url), { method: 'DELETE' })).status).toBe(204)
    expect(existsSync(folder)).toBe(false)
    expect((await fetch(new URL(`/api/jobs/${job.id}/files/${job.outputs[0]}`, server.url))).status).toBe(404)
    expect((await fetch(new URL(`/api/jobs/${job.id}`, server.url))).status).toBe(404)
  })

  test('the event stream starts with a snapshot of every job', async () => {
    const controller = new AbortController()
    const response = await fetch(new URL('/api/events', server.url), { signal: controller.signal })
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = response.body!.getReader()
    let text = ''
    while (!text.includes('event: snapshot')) text += new TextDecoder().decode((await reader.read()).value)
    controller.abort()
    await reader.cancel().catch(() => undefined)
    expect(text).toMatch(/event: snapshot\ndata: \{"jobs":\[/)
  })
})

describe('stopping the server', () => {
  test('close() stops a running job and removes every upload and output', async () => {
    const server = await startServer({ port: 0 })
    makeVideo(join(temp(), 'close.mp4'), 240, '320x180')
    const { body } = await upload(server, readFileSync(join(temp(), 'close.mp4')), 'close.mp4')
    const waiting = (await upload(server, readFileSync(join(temp(), 'close.mp4')), 'spare.mp4')).body
    expect(waiting.kind).toBe('video')
    const job = (await post(server, '/api/jobs', { uploads: [body.id], settings: FAST })).body.job as JobView
    await waitFor(async () => ((await getJob(server, job.id)).progress?.decoded as number) > 0, 'video progress')
    const started = Date.now()
    await server.close()
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(existsSync(server.workDir)).toBe(false)
  })
})

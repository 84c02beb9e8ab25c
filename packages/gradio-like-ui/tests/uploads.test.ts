import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { get, type ClientRequest } from 'node:http'
import { join } from 'node:path'
import { startServer, type RunningServer } from '../src'
import type { UploadView } from '../src/api-types'
import { FAST, makeImage, useTempDir, waitFor } from './helpers'

// Issue 10, item 10: uploads waiting for a job are listed, removable, and expire soon once no page holds them.
const temp = useTempDir()
const GRACE_MS = 400
let server: RunningServer

beforeAll(async () => {
  server = await startServer({ port: 0, maxFiles: 3, uploadGraceMs: GRACE_MS })
  await makeImage(join(temp(), 'small.png'), 48, 32)
})
afterAll(async () => server.close())

async function upload(name: string): Promise<UploadView> {
  const response = await fetch(new URL('/api/uploads', server.url), { method: 'POST', body: readFileSync(join(temp(), 'small.png')), headers: { 'X-File-Name': name } })
  expect(response.status).toBe(201)
  return (await response.json()) as UploadView
}

async function listed(): Promise<string[]> {
  const { uploads } = (await (await fetch(new URL('/api/uploads', server.url))).json()) as { uploads: UploadView[] }
  return uploads.map((item) => item.name)
}

/** A page: an open event stream, with the events it received. */
function openPage(): { request: ClientRequest; events: string[] } {
  const events: string[] = []
  const request = get(new URL('/api/events', server.url), (response) => response.on('data', (chunk: Buffer) => events.push(chunk.toString())))
  request.on('error', () => undefined)
  return { request, events }
}


test('waiting uploads are listed, one can be removed, and all can be cleared; their folders go too', async () => {
  const page = openPage()
  await waitFor(() => page.events.join('').includes('event: snapshot'), 'the snapshot')
  const a = await upload('a.png')
  await upload('b.png')
  expect(await listed()).toEqual(['a.png', 'b.png'])
  expect(page.events.join('')).toMatch(/event: uploads\ndata: \{"uploads":\[\{"id":"[^"]+","name":"a\.png"/)
  expect((await fetch(new URL(`/api/uploads/${a.id}`, server.url), { method: 'DELETE' })).status).toBe(204)
  expect(await listed()).toEqual(['b.png'])
  expect((await fetch(new URL('/api/uploads', server.url), { method: 'DELETE' })).status).toBe(204)
  expect(await listed()).toEqual([])
  expect(readdirSync(join(server.workDir, 'uploads'))).toEqual([])
  page.request.destroy()
})

test("an upload's X-Upload-Key comes back in its answer, in the list and in the uploads event; a malformed one is refused", async () => {
  const page = openPage()
  await waitFor(() => page.events.join('').includes('event: snapshot'), 'the snapshot')
  const send = (key: string) => fetch(new URL('/api/uploads', server.url), { method: 'POST', body: readFileSync(join(temp(), 'small.png')), headers: { 'X-File-Name': 'keyed.png', 'X-Upload-Key': key } })
  const answer = await send('0f3a9c1d2e4b5a67-12')
  expect(answer.status).toBe(201)
  expect(((await answer.json()) as UploadView).uploadKey).toBe('0f3a9c1d2e4b5a67-12')
  const { uploads } = (await (await fetch(new URL('/api/uploads', server.url))).json()) as { uploads: UploadView[] }
  expect(uploads.map((item) => item.uploadKey)).toEqual(['0f3a9c1d2e4b5a67-12'])
  await waitFor(() => page.events.join('').includes('"uploadKey":"0f3a9c1d2e4b5a67-12"'), 'the uploads event with the key')
  const refused = await send('not a key')
  expect(refused.status).toBe(400)
  expect(((await refused.json()) as { error: string }).error).toBe("Expected 1 to 64 letters, digits or '-' for X-Upload-Key but received 'not a key'")
  expect((await fetch(new URL('/api/uploads', server.url), { method: 'DELETE' })).status).toBe(204)
  page.request.destroy()
})

test('with no page open, uploads expire after the grace period and free their slots', async () => {
  for (const name of ['1.png', '2.png', '3.png']) await upload(name)
  const refused = await fetch(new URL('/api/uploads', server.url), { method: 'POST', body: readFileSync(join(temp(), 'small.png')), headers: { 'X-File-Name': '4.png' } })
  expect(refused.status).toBe(413)
  await waitFor(async () => (await listed()).length === 0, 'the uploads to expire', 10 * GRACE_MS)
  expect(readdirSync(join(server.workDir, 'uploads'))).toEqual([])
  await upload('after.png')
})

test('an open page holds them; a reload (a new stream within the grace period) keeps them; closing the page lets them go', async () => {
  await fetch(new URL('/api/uploads', server.url), { method: 'DELETE' })
  const page = openPage()
  await waitFor(() => page.events.join('').includes('event: snapshot'), 'the snapshot')
  const held = await upload('held.png')
  // Three grace periods with the page open: still there.
  await new Promise((resolve) => setTimeout(resolve, 3 * GRACE_MS))
  expect(await listed()).toEqual(['held.png'])

  page.request.destroy()
  const reloaded = openPage()
  await waitFor(() => reloaded.events.join('').includes('event: snapshot'), 'the snapshot after the reload')
  expect(reloaded.events.join('')).toContain(`"id":"${held.id}"`)
  await new Promise((resolve) => setTimeout(resolve, 2 * GRACE_MS))
  expect(await listed()).toEqual(['held.png'])

  reloaded.request.destroy()
  await waitFor(async () => (await listed()).length === 0, 'the uploads to expire once the page is gone', 10 * GRACE_MS)
  expect(existsSync(join(server.workDir, 'uploads', held.id))).toBe(false)
})

test('uploads stay after a job uses them, to be run again with other settings', async () => {
  const page = openPage()
  await waitFor(() => page.events.join('').includes('event: snapshot'), 'the snapshot')
  const used = await upload('used.png')
  const created = await fetch(new URL('/api/jobs', server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ uploads: [used.id], settings: FAST }) })
  expect(created.status).toBe(201)
  expect(await listed()).toContain('used.png')
  const again = await fetch(new URL('/api/jobs', server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ uploads: [used.id], settings: { ...FAST, scale: 3 } }) })
  expect(again.status).toBe(201)
  page.request.destroy()
})

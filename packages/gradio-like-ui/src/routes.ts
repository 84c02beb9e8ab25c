import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { apiPage } from './api-page'
import type { ConfigView } from './api-types'
import type { EventStreams } from './event-streams'
import type { Examples } from './examples'
import { contentDisposition, sendFile } from './files'
import { HttpError, readJson, sendJson, sendNoContent } from './http'
import type { InterruptedJobs } from './jobs/interrupted'
import type { JobManager } from './jobs/job-manager'
import { openApiDocument } from './openapi'
import type { Previews } from './preview'
import type { Route, RouteContext } from './router'
import { parseSettings } from './settings'
import type { StaticFile } from './static-files'
import type { Upload, UploadStore } from './uploads'
import { uniqueNames, zipStream } from './zip'

/** What the routes work with. */
export interface App {
  uploads: UploadStore
  jobs: JobManager
  interrupted: InterruptedJobs
  previews: Previews
  events: EventStreams
  examples: Examples
  statics: Map<string, StaticFile>
  config: () => ConfigView
  workDir: string
  token?: string
  maxFiles: number
}

function sendStatic(file: StaticFile, { request, response }: RouteContext): void {
  response.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache' })
  response.end(request.method === 'HEAD' ? undefined : file.body)
}

function sendHtml(response: ServerResponse, html: string): void {
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html), 'Cache-Control': 'no-store' })
  response.end(html)
}

/** The address scripts use, as this request reached us. */
function baseOf(request: IncomingMessage): string {
  return `http://${request.headers.host ?? '127.0.0.1'}`
}

function uploadsOf(app: App, ids: unknown): Upload[] {
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new HttpError(400, 'uploads must be a list of upload ids')
  if (ids.length > app.maxFiles) throw new HttpError(413, `Too many files: at most ${app.maxFiles} per job`)
  const found = (ids as string[]).map((id) => app.uploads.get(id))
  if (found.some((upload) => upload === undefined)) throw new HttpError(404, 'An uploaded file is gone (removed or expired); add it again')
  return found as Upload[]
}

function pageRoutes(app: App): Route[] {
  const statics: Route[] = [...app.statics].map(([path, file]) => ({ method: 'GET', path, handler: (context) => sendStatic(file, context) }))
  return [
    ...statics,
    { method: 'GET', path: '/api', handler: ({ request, response }) => sendHtml(response, apiPage(baseOf(request), app.token !== undefined)) },
    { method: 'GET', path: '/api/openapi.json', handler: ({ request, response }) => sendJson(response, 200, openApiDocument(baseOf(request), app.token !== undefined)) },
    { method: 'GET', path: '/api/config', handler: ({ response }) => sendJson(response, 200, app.config()) },
    {
      method: 'GET',
      path: '/api/events',
      handler: ({ request, response }) => app.events.open(request, response, () => [{ event: 'snapshot', data: { jobs: app.jobs.list(), uploads: app.uploads.list(), interrupted: app.interrupted.list() } }]),
    },
  ]
}

/** An X-Upload-Key: the sending page's own name for the upload, echoed in its UploadView. */
const UPLOAD_KEY = /^[A-Za-z0-9-]{1,64}$/

function uploadRoutes(app: App): Route[] {
  return [
    { method: 'GET', path: '/api/uploads', handler: ({ response }) => sendJson(response, 200, { uploads: app.uploads.list() }) },
    {
      method: 'POST',
      path: '/api/uploads',
      handler: async ({ request, response }) => {
        const name = request.headers['x-file-name']
        if (typeof name !== 'string') throw new HttpError(400, 'Send the file name in an X-File-Name header')
        const key = request.headers['x-upload-key']
        if (key !== undefined && (typeof key !== 'string' || !UPLOAD_KEY.test(key))) throw new HttpError(400, `Expected 1 to 64 letters, digits or '-' for X-Upload-Key but received '${String(key).slice(0, 80)}'`)
        const upload = await app.uploads.receive(request, name, key)
        sendJson(response, 201, app.uploads.list().find((view) => view.id === upload.id))
      },
    },
    {
      method: 'DELETE',
      path: '/api/uploads/:id',
      handler: async ({ params, response }) => {
        if (!(await app.uploads.remove(params.id))) throw new HttpError(404, 'No such upload')
        sendNoContent(response)
      },
    },
    {
      method: 'DELETE',
      path: '/api/uploads',
      handler: async ({ response }) => {
        await app.uploads.removeAll()
        sendNoContent(response)
      },
    },
    {
      method: 'POST',
      path: '/api/examples/:example',
      handler: async ({ params, response }) => {
        const example = await app.examples.file(params.example)
        if (!example) throw new HttpError(404, 'No such example')
        const upload = await app.uploads.addFile(example.path, example.name, params.example)
        sendJson(response, 201, app.uploads.list().find((view) => view.id === upload.id))
      },
    },
    {
      method: 'POST',
      path: '/api/preview',
      handler: async ({ request, response }) => {
        const body = await readJson(request)
        const settings = parseSettings(body.settings)
        const upload = typeof body.upload === 'string' ? app.uploads.get(body.upload) : undefined
        if (!upload) throw new HttpError(404, 'Add a file first: the uploaded file to preview is gone')
        sendJson(response, 200, await app.previews.create(upload, settings))
      },
    },
    {
      method: 'GET',
      path: '/api/previews/:id/:name',
      handler: ({ request, response, params }) => {
        const file = app.previews.file(params.id, params.name)
        if (!file) throw new HttpError(404, 'No such preview')
        return sendFile(request, response, { path: file, mime: 'image/png', downloadName: `preview-${params.name}` }, app.workDir, false)
      },
    },
  ]
}

async function sendZip(app: App, { request, response, params }: RouteContext): Promise<void> {
  const job = app.jobs.view(params.id)
  const files = app.jobs.outputs(params.id)
  if (files.length === 0) throw new HttpError(409, 'This job has no results to download yet')
  const names = uniqueNames(files.map((file) => file.downloadName))
  response.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Disposition': contentDisposition('attachment', job.zip ?? 'upscaled.zip'), 'Cache-Control': 'no-store' })
  if (request.method === 'HEAD') return void response.end()
  await pipeline(Readable.from(zipStream(files.map((file, index) => ({ name: names[index], path: file.path })))), response).catch(() => response.destroy())
}

function jobRoutes(app: App): Route[] {
  const job = (handler: (id: string, context: RouteContext) => Promise<unknown> | unknown): Route['handler'] => async (context) => sendJson(context.response, 200, { job: await handler(context.params.id, context) })
  return [
    { method: 'GET', path: '/api/jobs', handler: ({ response }) => sendJson(response, 200, { jobs: app.jobs.list() }) },
    {
      method: 'POST',
      path: '/api/jobs',
      handler: async ({ request, response }) => {
        const body = await readJson(request)
        const settings = parseSettings(body.settings)
        sendJson(response, 201, { job: await app.jobs.create(uploadsOf(app, body.uploads), settings) })
      },
    },
    { method: 'DELETE', path: '/api/jobs', handler: async ({ response }) => sendJson(response, 200, { removed: await app.jobs.removeFinished() }) },
    { method: 'GET', path: '/api/jobs/:id', handler: job((id) => app.jobs.view(id)) },
    {
      method: 'DELETE',
      path: '/api/jobs/:id',
      handler: async ({ params, response }) => {
        await app.jobs.remove(params.id)
        sendNoContent(response)
      },
    },
    { method: 'POST', path: '/api/jobs/:id/pause', handler: job((id) => app.jobs.pause(id, true)) },
    { method: 'POST', path: '/api/jobs/:id/resume', handler: job((id) => app.jobs.pause(id, false)) },
    { method: 'POST', path: '/api/jobs/:id/stop', handler: job((id) => app.jobs.stop(id)) },
    { method: 'POST', path: '/api/jobs/:id/retry', handler: job((id) => app.jobs.retry(id)) },
    {
      method: 'POST',
      path: '/api/jobs/:id/frame',
      handler: async ({ request, response, params }) => {
        const body = await readJson(request)
        const frame = await app.jobs.compareFrame(params.id, Number(body.index))
        const base = `/api/jobs/${params.id}/files/`
        sendJson(response, 200, { ...frame, before: base + frame.before, after: base + frame.after })
      },
    },
    {
      method: 'GET',
      path: '/api/jobs/:id/files/:name',
      handler: ({ request, response, params, query }) => {
        const file = app.jobs.file(params.id, params.name)
        if (!file) throw new HttpError(404, 'No such file in this job')
        return sendFile(request, response, file, app.workDir, query.get('download') === '1')
      },
    },
    { method: 'GET', path: '/api/jobs/:id/zip', handler: (context) => sendZip(app, context) },
  ]
}

function interruptedRoutes(app: App): Route[] {
  return [
    { method: 'GET', path: '/api/interrupted', handler: async ({ response }) => sendJson(response, 200, await app.interrupted.refresh()) },
    { method: 'POST', path: '/api/interrupted/:id/resume', handler: async ({ params, response }) => sendJson(response, 201, { job: await app.interrupted.resume(params.id) }) },
    {
      method: 'DELETE',
      path: '/api/interrupted/:id',
      handler: async ({ params, response }) => {
        await app.interrupted.discard(params.id)
        sendNoContent(response)
      },
    },
  ]
}

/** Every route of the web app. */
export function appRoutes(app: App): Route[] {
  return [...pageRoutes(app), ...uploadRoutes(app), ...jobRoutes(app), ...interruptedRoutes(app)]
}

import { spawn } from 'node:child_process'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { AUDIO_CODECS, DEFAULT_MODEL, PIPELINE_MODES, PRESETS, VIDEO_CODECS, listModels } from '@anime-upscaler/core'
import { sendFile } from './files'
import { EventStreams } from './event-streams'
import { JobManager } from './jobs'
import { plainError } from './plain-errors'
import { Previews } from './preview'
import { AUDIO_CHOICES, CONTAINERS, DEFAULT_SETTINGS, DETECTORS, IMAGE_OUTPUTS, SettingsError, parseSettings } from './settings'
import { HttpError, ID_PATTERN, UploadStore, type Upload } from './uploads'

export interface ServerOptions {
  /** Interface to listen on. Default 127.0.0.1. Anything but loopback requires a token. */
  host?: string
  /** Port; 0 picks any free one. Default 7860 (Gradio's), or the next free one above it. */
  port?: number
  /** Access token. Required off loopback: generated when not given. On loopback, enforced when given. */
  token?: string
  /** Largest upload in bytes. Default 2 GiB. */
  maxUploadBytes?: number
  /** Most files per job, and most uploads waiting for a job. Default 50. */
  maxFiles?: number
  /** Jobs that run at once; more wait in the queue. Default 1. */
  maxConcurrentJobs?: number
  /** Jobs that may wait in the queue. Default 20. */
  maxQueuedJobs?: number
  /** Largest image accepted, in pixels (core's default when omitted). */
  maxPixels?: number
  /** Folder in which the server's temporary work folder is made (removed on close). Default: the OS temp folder. */
  workDir?: string
  /** Open the URL in the default browser. Default false. */
  open?: boolean
}

export interface RunningServer {
  /** The address to open; includes `?token=…` when a token is needed. */
  url: string
  host: string
  port: number
  /** The access token in force (generated when needed and not given), or undefined. */
  token?: string
  /** The temporary folder holding uploads and results; removed by close(). */
  workDir: string
  /** Stops every job, closes connections and removes the work folder. */
  close(): Promise<void>
  /** Ends at once, for a second Ctrl-C: kills the job processes (and their ffmpeg) and removes the work folder synchronously. */
  kill(): void
}

const DEFAULT_PORT = 7860
const JSON_LIMIT = 256 * 1024
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/compare.js': { file: 'compare.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
}
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
}

function staticDir(): string {
  // Sources (src/) and the build (dist/) both sit beside static/.
  return resolve(__dirname, '..', 'static')
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' })
  response.end(text)
}

function sendError(request: IncomingMessage, response: ServerResponse, status: number, message: string, detail?: string): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  // The body of a refused upload is not read: close the connection rather than drain it.
  if (request.method === 'POST' && !request.complete) response.setHeader('Connection', 'close')
  if ((request.url ?? '').startsWith('/api/')) {
    sendJson(response, status, { error: message, ...(detail ? { detail } : {}) })
    return
  }
  const text = `${status} ${message}\n`
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) })
  response.end(text)
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const type = request.headers['content-type'] ?? ''
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'Send JSON (Content-Type: application/json)')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > JSON_LIMIT) throw new HttpError(413, 'Request body too large')
    chunks.push(chunk)
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object')
    return value as Record<string, unknown>
  } catch {
    throw new HttpError(400, 'The request body is not a JSON object')
  }
}

/**
 * Splits a raw request path into decoded segments, refusing anything that could name a file other
 * than by its plain name: dot segments, encoded dots and slashes, backslashes, NUL, empty segments.
 */
export function pathSegments(rawUrl: string): string[] {
  const rawPath = rawUrl.split('?')[0]
  if (!rawPath.startsWith('/')) throw new HttpError(400, 'Bad request path')
  if (/%2e|%2f|%5c|%00|\\|\0/i.test(rawPath)) throw new HttpError(400, 'Bad request path')
  const segments = rawPath.split('/').slice(1)
  if (segments.length > 1 && segments.at(-1) === '') segments.pop()
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || (segment === '' && segments.length > 1)) throw new HttpError(400, 'Bad request path')
  }
  try {
    return segments.map((segment) => decodeURIComponent(segment))
  } catch {
    throw new HttpError(400, 'Bad request path')
  }
}

function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]]
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' })
    child.on('error', () => undefined)
    child.unref()
  } catch {
    // No browser to open: the URL is printed anyway.
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolveListen((server.address() as AddressInfo).port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`startServer: ${name} must be a positive integer (received ${String(value)})`)
  return value
}

/** Starts the web app. Resolves once it listens, with its URL and a close() that cleans up. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  const loopback = isLoopback(host)
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length < 8 || /[^\x21-\x7e]/.test(options.token))) {
    throw new TypeError('startServer: token must be at least 8 printable ASCII characters without spaces')
  }
  const token = options.token ?? (loopback ? undefined : randomBytes(24).toString('base64url'))
  const maxUploadBytes = positiveInteger('maxUploadBytes', options.maxUploadBytes, 2 * 1024 ** 3)
  const maxFiles = positiveInteger('maxFiles', options.maxFiles, 50)
  const maxConcurrentJobs = positiveInteger('maxConcurrentJobs', options.maxConcurrentJobs, 1)
  const maxQueuedJobs = positiveInteger('maxQueuedJobs', options.maxQueuedJobs, 20)
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    throw new TypeError(`startServer: port must be 0-65535 (received ${String(options.port)})`)
  }

  const statics = new Map<string, { body: Buffer; type: string }>()
  for (const [route, { file, type }] of Object.entries(STATIC_FILES)) statics.set(route, { body: readFileSync(join(staticDir(), file)), type })

  const parent = options.workDir ?? tmpdir()
  await mkdir(parent, { recursive: true })
  const workDir = await mkdtemp(join(parent, 'anime-upscaler-ui-'))
  const uploads = new UploadStore(join(workDir, 'uploads'), maxUploadBytes, maxFiles)
  const tempDir = join(workDir, 'tmp')
  await mkdir(tempDir)
  const jobs = new JobManager({ dir: join(workDir, 'jobs'), tempDir, maxConcurrentJobs, maxQueuedJobs, maxFiles, maxPixels: options.maxPixels })
  const previews = new Previews(join(workDir, 'previews'), 384, 4, options.maxPixels)
  const events = new EventStreams()
  jobs.subscribe((event) => {
    if (event.type === 'removed') events.broadcast({ event: 'removed', data: { id: event.id }, key: event.id })
    else events.broadcast({ event: 'job', data: event.job, key: event.job.id, coalesce: !event.urgent })
  })
  let port = 0
  let closing: Promise<void> | undefined

  const cookieName = () => `anime_upscaler_${port}`
  const tokenDigest = token ? digest(token) : undefined
  const matches = (candidate: string | undefined) => candidate !== undefined && tokenDigest !== undefined && timingSafeEqual(digest(candidate), tokenDigest)
  const cookieToken = (request: IncomingMessage) => {
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=')
      if (name === cookieName()) return value.join('=')
    }
    return undefined
  }
  const bearer = (request: IncomingMessage) => /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]

  /** On loopback, only loopback Host names: a page on another site cannot reach us by DNS rebinding. */
  const hostAllowed = (request: IncomingMessage) => {
    if (!loopback) return true
    const header = (request.headers.host ?? '').toLowerCase()
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`].includes(header)
  }
  /** State-changing requests must come from our own pages (or from no browser page at all). */
  const originAllowed = (request: IncomingMessage) => {
    if (request.method === 'GET' || request.method === 'HEAD') return true
    const origin = request.headers.origin
    if (origin === undefined) return true
    return origin === `http://${request.headers.host}`
  }

  const config = () => ({
    models: listModels().map(({ id, description, scale }) => ({ id, description, scale })),
    defaultModel: DEFAULT_MODEL,
    codecs: VIDEO_CODECS,
    presets: PRESETS,
    modes: PIPELINE_MODES,
    detectors: DETECTORS,
    containers: CONTAINERS,
    audio: AUDIO_CHOICES.filter((choice) => (AUDIO_CODECS as readonly string[]).includes(choice)),
    imageFormats: IMAGE_OUTPUTS,
    defaults: DEFAULT_SETTINGS,
    cores: availableParallelism(),
    limits: { maxUploadBytes, maxFiles, maxConcurrentJobs, maxQueuedJobs },
    features: { pauseImages: false },
  })

  const takeUploads = (ids: unknown): Upload[] => {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new HttpError(400, 'uploads must be a list of upload ids')
    if (ids.length > maxFiles) throw new HttpError(413, `Too many files: at most ${maxFiles} per job`)
    const found = (ids as string[]).map((id) => uploads.get(id))
    if (found.some((upload) => upload === undefined)) throw new HttpError(404, 'An uploaded file is gone (removed, expired or used by another job); add it again')
    return (ids as string[]).map((id) => uploads.take(id)!)
  }

  const route = async (request: IncomingMessage, response: ServerResponse, segments: string[], query: URLSearchParams): Promise<void> => {
    const method = request.method ?? 'GET'
    const [first, second, third, fourth, fifth] = segments
    const path = `/${segments.join('/')}`
    const isGet = method === 'GET' || method === 'HEAD'

    if (isGet && statics.has(path)) {
      const file = statics.get(path)!
      response.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache' })
      response.end(method === 'HEAD' ? undefined : file.body)
      return
    }
    if (first !== 'api') throw new HttpError(404, 'Not found')
    const jobId = () => {
      if (!ID_PATTERN.test(third ?? '')) throw new HttpError(404, 'No such job')
      return third!
    }

    if (second === 'config' && segments.length === 2 && isGet) return sendJson(response, 200, config())
    if (second === 'events' && segments.length === 2 && method === 'GET') return events.open(request, response, () => [{ event: 'snapshot', data: { jobs: jobs.list() } }])

    if (second === 'uploads') {
      if (segments.length === 2 && method === 'POST') {
        const name = request.headers['x-file-name']
        if (typeof name !== 'string') throw new HttpError(400, 'Send the file name in an X-File-Name header')
        await uploads.expire()
        const upload = await uploads.receive(request, name)
        return sendJson(response, 201, { id: upload.id, name: upload.name, size: upload.size, kind: upload.type.kind, type: upload.type.mime, label: upload.type.label })
      }
      if (segments.length === 3 && method === 'DELETE') {
        if (!(await uploads.remove(third!))) throw new HttpError(404, 'No such upload')
        response.writeHead(204).end()
        return
      }
    }

    if (second === 'preview' && segments.length === 2 && method === 'POST') {
      const body = await readJson(request)
      const settings = parseSettings(body.settings)
      const upload = typeof body.upload === 'string' ? uploads.get(body.upload) : undefined
      if (!upload) throw new HttpError(404, 'Add a file first: the uploaded file to preview is gone')
      const result = await previews.create(upload, settings)
      return sendJson(response, 200, { ...result, before: `/api/previews/${result.id}/before.png`, after: `/api/previews/${result.id}/after.png` })
    }
    if (second === 'previews' && segments.length === 4 && isGet) {
      const file = ID_PATTERN.test(third!) ? previews.file(third!, fourth!) : undefined
      if (!file) throw new HttpError(404, 'No such preview')
      return sendFile(request, response, { path: file, mime: 'image/png', downloadName: `preview-${fourth}` }, workDir, false)
    }

    if (second === 'jobs') {
      if (segments.length === 2 && isGet) return sendJson(response, 200, { jobs: jobs.list() })
      if (segments.length === 2 && method === 'POST') {
        const body = await readJson(request)
        const settings = parseSettings(body.settings)
        const taken = takeUploads(body.uploads)
        try {
          return sendJson(response, 201, { job: await jobs.create(taken, settings) })
        } catch (error) {
          // Refused (mixed kinds, queue full…): the uploads stay available for another try.
          for (const upload of taken) await uploads.restore(upload)
          throw error
        }
      }
      const id = jobId()
      if (segments.length === 3 && isGet) {
        const job = jobs.get(id)
        if (!job) throw new HttpError(404, 'No such job')
        return sendJson(response, 200, { job: job.view() })
      }
      if (segments.length === 3 && method === 'DELETE') {
        await jobs.remove(id)
        response.writeHead(204).end()
        return
      }
      if (segments.length === 4 && method === 'POST') {
        if (fourth === 'pause') return sendJson(response, 200, { job: jobs.pause(id, true) })
        if (fourth === 'resume') return sendJson(response, 200, { job: jobs.pause(id, false) })
        if (fourth === 'stop') return sendJson(response, 200, { job: await jobs.stop(id) })
        if (fourth === 'frame') {
          const body = await readJson(request)
          const frame = await jobs.compareFrame(id, Number(body.index))
          const base = `/api/jobs/${id}/files/`
          return sendJson(response, 200, { ...frame, before: base + frame.before, after: base + frame.after })
        }
      }
      if (segments.length === 5 && fourth === 'files' && isGet) {
        const file = jobs.file(id, fifth!)
        if (!file) throw new HttpError(404, 'No such file in this job')
        return sendFile(request, response, file, workDir, query.get('download') === '1')
      }
    }
    throw new HttpError(404, 'Not found')
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value)
    try {
      if (closing) throw new HttpError(503, 'The server is shutting down')
      if (!hostAllowed(request)) throw new HttpError(403, 'Host not allowed: open the address the server printed')
      const segments = pathSegments(request.url ?? '/')
      const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '')
      if (token) {
        const fromQuery = query.get('token') ?? undefined
        if (matches(fromQuery) && (request.method === 'GET' || request.method === 'HEAD') && segments.join('/') === '') {
          // Trade the token in the address for a cookie, and drop it from the address bar.
          response.writeHead(303, { Location: '/', 'Set-Cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`, 'Cache-Control': 'no-store' })
          response.end()
          return
        }
        if (!matches(cookieToken(request)) && !matches(bearer(request)) && !matches(fromQuery)) {
          response.setHeader('WWW-Authenticate', 'Bearer realm="anime-upscaler"')
          throw new HttpError(401, 'Access token required: open the full address printed when the server started (it ends with ?token=…)')
        }
      }
      if (!originAllowed(request)) throw new HttpError(403, 'Cross-site request refused')
      await route(request, response, segments, query)
    } catch (error) {
      if (error instanceof HttpError) return sendError(request, response, error.status, error.message)
      if (error instanceof SettingsError) return sendError(request, response, 400, error.message)
      const plain = plainError(error)
      sendError(request, response, 500, plain.message, plain.detail)
    }
  }

  const server = createServer((request, response) => void handle(request, response))
  server.headersTimeout = 60_000
  server.requestTimeout = 0 // uploads of large videos may take long
  const requested = options.port ?? DEFAULT_PORT
  const candidates = options.port === undefined ? [...Array.from({ length: 20 }, (_, i) => DEFAULT_PORT + i), 0] : [requested]
  try {
    for (const candidate of candidates) {
      try {
        port = await listen(server, host, candidate)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || candidate === candidates.at(-1)) throw error
      }
    }
  } catch (error) {
    await rm(workDir, { recursive: true, force: true })
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new Error(`Port ${requested} on ${host} is in use: choose another port (0 picks a free one)`, { cause: error })
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Error(`Cannot listen on ${host}: no such local address`, { cause: error })
    throw error
  }

  const expiry = setInterval(() => void uploads.expire(), 10 * 60 * 1000)
  expiry.unref()
  const wildcard = host === '0.0.0.0' || host === '::' || host === ''
  const shownHost = wildcard ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  const url = `http://${shownHost}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`
  if (options.open) openBrowser(url)

  const close = () => {
    closing ??= (async () => {
      clearInterval(expiry)
      events.close()
      const stopped = new Promise<void>((resolveClose) => server.close(() => resolveClose()))
      await jobs.close()
      await previews.clear()
      await uploads.clear()
      server.closeAllConnections()
      await stopped
      await rm(workDir, { recursive: true, force: true })
    })()
    return closing
  }
  const kill = () => {
    jobs.killAll()
    server.closeAllConnections()
    rmSync(workDir, { recursive: true, force: true })
  }
  return { url, host, port, token, workDir, close, kill }
}

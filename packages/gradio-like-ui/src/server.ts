import { rmSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAccess } from './auth'
import { configView } from './config'
import { EventStreams } from './event-streams'
import { Examples } from './examples'
import { HttpError, pathSegments, sendError } from './http'
import { InterruptedJobs } from './jobs/interrupted'
import { JobManager } from './jobs/job-manager'
import { KeptJobs, keptRoot } from './jobs/kept-jobs'
import { addressOf, listen, openBrowser } from './listen'
import { plainError } from './plain-errors'
import { Previews } from './preview'
import { createRouter } from './router'
import { appRoutes, type App } from './routes'
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './server-options'
import { SettingsError } from './settings'
import { SECURITY_HEADERS, loadStaticFiles } from './static-files'
import { UploadStore } from './uploads'
import { makeWorkFolder } from './work-folder'

export { isLoopback, ServerOptionError, type ServerOptionErrorCode, type ServerOptions } from './server-options'

export interface RunningServer {
  /** The address to open; includes `?token=…` when a token is needed. */
  url: string
  host: string
  port: number
  /** The access token in force (generated when needed and not given), or undefined. */
  token?: string
  /** The temporary folder holding uploads and results; removed by close(). */
  workDir: string
  /** Where unfinished video jobs are kept (their source and finished segments) until resumed or discarded. */
  keptJobsDir: string
  /** Stops every job (unfinished videos are kept to be resumed), closes the event streams and connections, and removes the work folder. */
  close(): Promise<void>
  /** Ends at once, for a second Ctrl-C: kills the job processes (and their ffmpeg) and removes the work folder synchronously. */
  kill(): void
}

/** The parts of a running server, made in its work folder. */
async function assemble(options: ResolvedServerOptions, workDir: string): Promise<App> {
  const tempDir = join(workDir, 'tmp')
  await mkdir(tempDir)
  const examples = new Examples(join(workDir, 'examples'))
  const kept = new KeptJobs(keptRoot(options.workDir), options.segmentSeconds)
  await kept.sweep()
  const jobs = new JobManager({ dir: join(workDir, 'jobs'), tempDir, maxConcurrentJobs: options.maxConcurrentJobs, maxQueuedJobs: options.maxQueuedJobs, maxFiles: options.maxFiles, maxPixels: options.maxPixels, kept })
  const app: App = {
    uploads: new UploadStore(join(workDir, 'uploads'), options.maxUploadBytes, options.maxFiles, options.uploadGraceMs),
    jobs,
    interrupted: new InterruptedJobs(kept, jobs),
    previews: new Previews(join(workDir, 'previews'), tempDir, options.maxPixels),
    events: new EventStreams(),
    examples,
    statics: loadStaticFiles(),
    config: () => configView(options, examples.list()),
    workDir,
    token: options.token,
    maxFiles: options.maxFiles,
  }
  // Every page hears of every job and upload; uploads are held while a page is open.
  app.jobs.subscribe((event) => {
    if (event.type === 'removed') app.events.broadcast({ event: 'removed', data: { id: event.id }, key: event.id })
    else app.events.broadcast({ event: 'job', data: event.job, key: event.job.id, coalesce: !event.urgent })
  })
  app.uploads.onChange((uploads) => app.events.broadcast({ event: 'uploads', data: { uploads } }))
  app.events.onCountChange((open) => app.uploads.setPagesOpen(open))
  await app.interrupted.refresh()
  app.interrupted.onChange((list) => app.events.broadcast({ event: 'interrupted', data: list }))
  return app
}

function errorBody(error: unknown): { status: number; body: { error: string; detail?: string; setting?: string } } {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.message } }
  if (error instanceof SettingsError) return { status: 400, body: { error: error.message, ...(error.setting ? { setting: error.setting } : {}) } }
  const plain = plainError(error)
  return { status: 500, body: { error: plain.message, ...(plain.detail ? { detail: plain.detail } : {}) } }
}

/** Answers requests: security headers, shutdown, access, then the routes; errors as JSON or text. */
function requestHandler(app: App, options: ResolvedServerOptions, port: () => number, closing: () => boolean) {
  const admit = createAccess({ host: options.host, loopback: options.loopback, token: options.token, port })
  const route = createRouter(appRoutes(app))
  return async (request: IncomingMessage, response: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value)
    try {
      if (closing()) throw new HttpError(503, 'The server is shutting down')
      const segments = pathSegments(request.url ?? '/')
      const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '')
      if (admit(request, response, segments, query)) return
      await route({ request, response, segments, query })
    } catch (error) {
      const { status, body } = errorBody(error)
      sendError(request, response, status, body)
    }
  }
}

/** Stops in order: no new requests, event streams closed, jobs and previews ended, files removed. */
async function shutDown(app: App, server: Server): Promise<void> {
  app.events.close()
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
  await app.jobs.close()
  await app.previews.clear()
  await app.uploads.clear()
  server.closeAllConnections()
  await stopped
  await rm(app.workDir, { recursive: true, force: true })
}

/**
 * Starts the web app. Resolves once it listens, with its URL and a close() that cleans up. Bad
 * options are refused with a ServerOptionError (`code`, `option`, `value`, `hint`).
 */
export async function startServer(serverOptions: ServerOptions = {}): Promise<RunningServer> {
  const options = resolveServerOptions(serverOptions)
  const workDir = await makeWorkFolder(options.workDir ?? tmpdir())
  let app: App
  let port = 0
  let closing: Promise<void> | undefined
  const server = createServer()
  try {
    app = await assemble(options, workDir)
    server.on('request', requestHandler(app, options, () => port, () => closing !== undefined))
    server.headersTimeout = 60_000
    server.requestTimeout = 0 // uploads of large videos may take long
    port = await listen(server, options.host, options.port)
  } catch (error) {
    await rm(workDir, { recursive: true, force: true })
    throw error
  }
  const url = addressOf(options.host, port, options.token)
  if (options.open) openBrowser(url)
  return {
    url,
    host: options.host,
    port,
    token: options.token,
    workDir,
    keptJobsDir: app.interrupted.list().folder,
    close: () => (closing ??= shutDown(app, server)),
    kill: () => {
      closing ??= Promise.resolve()
      app.jobs.killAll()
      app.previews.kill()
      server.closeAllConnections()
      rmSync(workDir, { recursive: true, force: true })
    },
  }
}

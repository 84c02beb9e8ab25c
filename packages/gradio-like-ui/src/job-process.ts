import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ImageJob, UpscaleImagesOptions, UpscaleVideoOptions } from '@anime-upscaler/core'

/** What a job process is asked to run: core's options minus what cannot cross a process boundary. */
export type RunRequest =
  | { kind: 'image'; jobs: ImageJob[]; options: Omit<UpscaleImagesOptions, 'signal' | 'onWarning'> }
  | { kind: 'video'; input: string; output: string; options: Omit<UpscaleVideoOptions, 'signal' | 'paused' | 'onWarning'> }

/** core's events as they arrive from the job process (model infos reduced to their id). */
export type ProcessEvent = { type: string; model?: string } & Record<string, unknown>

export interface ProcessError {
  code?: string
  stage?: string
  message: string
  detail?: string
}

export interface JobProcessHandlers {
  event(event: ProcessEvent): void
  warning(message: string): void
  /** Called once: `error` undefined when core completed the run. */
  end(error: ProcessError | undefined): void
}

export interface JobProcess {
  pause(paused: boolean): void
  /** Asks core to stop (AbortSignal); the process is killed if it has not ended after `graceMs`. */
  stop(graceMs?: number): void
  /** Kills the process and its ffmpeg children at once (SIGKILL to its process group). */
  kill(): void
}

/**
 * The job process: plain JavaScript given to `node -e`, so it runs the same from the sources and
 * from the build. It loads core from the path it is given and relays events over IPC.
 */
const RUNNER = String.raw`
const corePath = process.argv[1]
const core = require(corePath)
const { BehaviorSubject } = require('node:module').createRequire(corePath)('rxjs')
const abort = new AbortController()
const paused = new BehaviorSubject(false)
let finished = false
const send = (message, then) => {
  if (process.connected) process.send(message, then)
  else if (then) then()
}
const finish = (message) => {
  if (finished) return
  finished = true
  send(message, () => process.exit(0))
}
const slim = (event) => {
  if (event.type === 'start') return { ...event, model: event.model.id }
  if (event.type === 'done' && Array.isArray(event.results)) return { type: 'done', seconds: event.seconds }
  return event
}
// The server went away: stop core (ffmpeg ends, temporary files go), then leave.
process.on('disconnect', () => {
  abort.abort()
  setTimeout(() => process.exit(0), 3000).unref()
})
process.on('message', (message) => {
  if (message.type === 'pause') return paused.next(message.value)
  if (message.type === 'stop') return abort.abort()
  if (message.type !== 'run') return
  const request = message.request
  const common = { signal: abort.signal, onWarning: (text) => send({ type: 'warning', message: text }) }
  const events = request.kind === 'video'
    ? core.upscaleVideo(request.input, request.output, { ...request.options, ...common, paused })
    : core.upscaleImages(request.jobs, { ...request.options, ...common, paused })
  events.subscribe({
    next: (event) => send({ type: 'event', event: slim(event) }),
    error: (error) => finish({ type: 'error', error: { code: error && error.code, stage: error && error.stage, message: String((error && error.message) || error) } }),
    complete: () => finish({ type: 'complete' }),
  })
})
`

let corePath: string | undefined

/** core's CommonJS build. Found from its package.json (a bare `resolve` would follow jest's mapping to the sources). */
function resolveCore(): string {
  const packageJson = createRequire(__filename).resolve('@anime-upscaler/core/package.json')
  const { main } = JSON.parse(readFileSync(packageJson, 'utf8')) as { main: string }
  return join(dirname(packageJson), main)
}

/** Runs one job in its own Node process: a crash there (native code) cannot take the server down. */
export function startJobProcess(request: RunRequest, handlers: JobProcessHandlers, tempDir: string): JobProcess {
  corePath ??= resolveCore()
  // Its own process group: a terminal's Ctrl-C reaches the server only, which stops the job in
  // order; and a kill reaches ffmpeg too. Temporary files (ffmpeg's, onnxruntime's) go to a folder
  // inside the server's work folder, which is removed on shutdown whatever the process left.
  const child: ChildProcess = spawn(process.execPath, ['-e', RUNNER, corePath], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    detached: true,
    env: { ...process.env, TMPDIR: tempDir, TMP: tempDir, TEMP: tempDir },
  })
  let stderr = ''
  let ended = false
  let killTimer: NodeJS.Timeout | undefined
  let result: { error: ProcessError | undefined } | undefined

  const end = (error: ProcessError | undefined) => {
    if (ended) return
    ended = true
    if (killTimer) clearTimeout(killTimer)
    handlers.end(error)
  }
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000)
  })
  child.on('message', (message: { type: string; event?: ProcessEvent; message?: string; error?: ProcessError }) => {
    if (message.type === 'event') handlers.event(message.event!)
    else if (message.type === 'warning') handlers.warning(message.message!)
    else if (message.type === 'error') result = { error: message.error }
    else if (message.type === 'complete') result = { error: undefined }
  })
  child.on('error', (error) => end({ code: 'E_PROCESS', message: `Could not start the upscaling process: ${error.message}` }))
  child.on('exit', (code, signal) => {
    if (result) return end(result.error)
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`
    end({ code: 'E_PROCESS', message: `The upscaling process ${how} before finishing`, detail: stderr.trim() || undefined })
  })
  child.send({ type: 'run', request })

  const kill = () => {
    if (ended || child.pid === undefined) return
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      child.kill('SIGKILL') // the group is gone already
    }
  }
  const deliver = (message: { type: string; value?: boolean }) => {
    if (!ended && child.connected) child.send(message, () => undefined)
  }
  return {
    pause: (paused) => deliver({ type: 'pause', value: paused }),
    stop: (graceMs = 5000) => {
      deliver({ type: 'stop' })
      killTimer ??= setTimeout(kill, graceMs)
    },
    kill,
  }
}

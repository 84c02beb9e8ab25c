import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { modelProcessEnv } from '@anime-upscaler/common'
import type { ChildMessage, ParentMessage, ProcessError, RunRequest, RunnerEvent } from './job-protocol'

export interface JobProcessHandlers {
  event(event: RunnerEvent): void
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

/** The built entry: the sources (src/, under jest) and the build (dist/) both find it in dist/. */
const RUNNER = resolve(__dirname, '..', 'dist', 'job-runner.cjs')

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // The group is gone already.
  }
}

/**
 * Runs one request in its own Node process: a crash there (native code) cannot take the server
 * down. Its own process group: a terminal's Ctrl-C reaches the server only, which stops the job in
 * order, and a kill reaches ffmpeg too. Temporary files (ffmpeg's, onnxruntime's) go to `tempDir`,
 * inside the server's work folder, which is removed on shutdown whatever the process left.
 */
export function startJobProcess(request: RunRequest, handlers: JobProcessHandlers, tempDir: string): JobProcess {
  if (!existsSync(RUNNER)) {
    queueMicrotask(() => handlers.end({ code: 'E_PROCESS', message: `The job runner ${RUNNER} is missing: build the package first (pnpm build)` }))
    return { pause: () => undefined, stop: () => undefined, kill: () => undefined }
  }
  const child = spawn(process.execPath, [RUNNER], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    detached: true,
    env: { ...modelProcessEnv(), TMPDIR: tempDir, TMP: tempDir, TEMP: tempDir },
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
  const kill = () => {
    if (ended) return
    killGroup(child.pid)
    child.kill('SIGKILL')
  }
  const deliver = (message: ParentMessage) => {
    if (!ended && child.connected) child.send(message, () => undefined)
  }
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000)
  })
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'event') handlers.event(message.event)
    else if (message.type === 'warning') handlers.warning(message.message)
    else {
      result = { error: message.type === 'error' ? message.error : undefined }
      // Everything is cleaned up; a model call may still run in it (onnxruntime cannot interrupt
      // one), which a stop need not wait for.
      kill()
    }
  })
  child.on('error', (error) => end({ code: 'E_PROCESS', message: `Could not start the upscaling process: ${error.message}` }))
  child.on('exit', (code, signal) => {
    // Whatever the runner left in its group (an ffmpeg still closing its file) goes with it, so
    // nothing writes into the job's folder once the job has ended.
    killGroup(child.pid)
    if (result) return end(result.error)
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`
    end({ code: 'E_PROCESS', message: `The upscaling process ${how} before finishing`, detail: stderr.trim() || undefined })
  })
  deliver({ type: 'run', request })
  return {
    pause: (paused) => deliver({ type: 'pause', value: paused }),
    stop: (graceMs = 5000) => {
      deliver({ type: 'stop' })
      killTimer ??= setTimeout(kill, graceMs)
    },
    kill,
  }
}

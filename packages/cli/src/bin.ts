#!/usr/bin/env node
// The command's entry: it runs the command in a process of its own (work.js) and only relays stops
// and the exit code. onnxruntime cannot interrupt a model call, and a process cannot exit while
// one runs in a worker thread (it aborts, exit 134), so a stop would otherwise wait for the call in
// progress: seconds for a big frame on a loaded machine. Once the work process has cleaned up
// (ffmpeg ended, no partial file, no temporary file), this process ends it and exits at once.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { modelProcessEnv } from '@anime-upscaler/common'
import type { StopRequest, WorkDone } from './work-protocol'

// The handlers come first: a signal from now on is relayed (the handlers run after this module,
// once `work` exists), never the default action that would orphan the work process.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (work.connected) work.send({ type: 'stop' } satisfies StopRequest)
  })
}
// The work process is not in the terminal's group: it hears of a resize from here (progress line width).
process.on('SIGWINCH', () => work.kill('SIGWINCH'))

// Its own process group: a terminal's Ctrl-C reaches this process only, and is relayed once.
const work = spawn(process.execPath, [...process.execArgv, join(__dirname, 'work.js'), ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  detached: true,
  env: modelProcessEnv(),
})
let code: number | undefined

/** Ends the work process and whatever it started in its group (ffmpeg left by a crash). */
function endWork(): void {
  try {
    process.kill(-work.pid!, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

work.on('message', (message: WorkDone) => {
  if (message.type !== 'done') return
  code = message.code
  endWork()
})
work.on('exit', (exitCode, signal) => {
  endWork()
  if (code !== undefined) process.exit(code)
  // The work process died without a result (a native crash, the OOM killer): its stderr said what it could.
  process.stderr.write(`anime-upscaler: the process running the command ${signal ? `was killed by ${signal}` : `exited with code ${exitCode}`}\n`)
  process.exit(exitCode || 1)
})
work.on('error', (error) => {
  process.stderr.write(`anime-upscaler: could not start the command's process: ${error.message}\n`)
  process.exit(1)
})

#!/usr/bin/env node
import { activeModelCalls } from '@anime-upscaler/core'
import { run } from './cli'
import { EXIT } from './exit-codes'

/** How long a forced exit waits for the model calls in progress (each is kept short by the call budget). */
const FORCE_WAIT_MS = 3000

/**
 * Exits, but not inside a model call: onnxruntime aborts the whole process (exit 134) when a worker
 * is torn down in one. Calls are short (see stage-upscale's callBudgetMs), so this waits little.
 */
function exitSafely(code: number): void {
  const deadline = Date.now() + FORCE_WAIT_MS
  const attempt = () => {
    if (activeModelCalls() === 0 || Date.now() > deadline) process.exit(code)
    setTimeout(attempt, 20)
  }
  attempt()
}

const controller = new AbortController()
let stopRequests = 0
const requestStop = () => {
  stopRequests++
  // The second request does not wait for a clean stop (ffmpeg's finalisation, cleanup).
  if (stopRequests > 1) return exitSafely(EXIT.interrupted)
  process.stderr.write('\nStopping… (press Ctrl-C again to force)\n')
  controller.abort()
}
process.on('SIGINT', requestStop)
process.on('SIGTERM', requestStop)

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal, requestStop }).then((code) => {
  // Worker threads must not keep a finished command alive; by now every pool is closed.
  exitSafely(code)
})

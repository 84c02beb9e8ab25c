#!/usr/bin/env node
// Signals are handled before anything heavy loads (core, sharp, onnxruntime take a while to
// import): a Ctrl-C in the first second is a clean stop like any other, never a kill by signal.
import { EXIT } from './exit-codes'

/** How long a forced exit waits for the model calls in progress (each is kept short by the call budget). */
const FORCE_WAIT_MS = 3000

const controller = new AbortController()
let stopRequests = 0
/** Filled in once the CLI is loaded: model calls in progress, which a process must not exit inside. */
let activeModelCalls = () => 0

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

const requestStop = () => {
  stopRequests++
  // The second request does not wait for a clean stop (ffmpeg's finalisation, cleanup).
  if (stopRequests > 1) return exitSafely(EXIT.interrupted)
  process.stderr.write('\nStopping… (press Ctrl-C again to force)\n')
  controller.abort()
}
process.on('SIGINT', requestStop)
process.on('SIGTERM', requestStop)

/** The CLI's own entry, loaded only now: a specifier in a variable keeps the bundler from hoisting its imports above the handlers. */
const CLI_ENTRY = './index.js'

async function main(): Promise<void> {
  const cli = (await import(CLI_ENTRY)) as typeof import('./index')
  activeModelCalls = cli.activeModelCalls
  const { run } = cli
  // A stop before the CLI had loaded: nothing was started.
  if (controller.signal.aborted) return exitSafely(EXIT.interrupted)
  const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal, requestStop })
  // Worker threads must not keep a finished command alive; by now every pool is closed.
  exitSafely(code)
}

void main()

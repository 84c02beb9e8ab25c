// The process that runs the command, started by bin.js (see there why). Signals are handled before
// anything heavy loads (core, sharp, onnxruntime take a while to import): a stop in the first
// second is a clean stop like any other.
import { useSpawnHelper } from '@anime-upscaler/common'
import { EXIT } from './exit-codes'
import type { StopRequest, WorkDone } from './work-protocol'

/** A stop sent to a whole process group or cgroup (systemd) arrives here twice: directly and relayed by bin.js. */
const SAME_REQUEST_MS = 1000

const controller = new AbortController()
let stopRequests = 0
let lastRequest: { signal: boolean; at: number } | undefined
/** Filled in once the command is loaded: model calls in progress, which a process must not exit inside. */
let activeModelCalls = () => 0
let loaded = false

/**
 * Hands the exit code to bin.js, which ends this process at once: a model call still running in a
 * worker thread (onnxruntime cannot interrupt one) keeps it from exiting on its own. What was
 * written to stdout and stderr is flushed first.
 */
function finish(code: number): void {
  process.stdout.write('', () =>
    process.stderr.write('', () => {
      if (process.connected) process.send!({ type: 'done', code } satisfies WorkDone)
      else exitWhenIdle(code)
    }),
  )
}

/** Without bin.js (it was killed), exits once no model call runs: exiting inside one aborts the process (exit 134). */
function exitWhenIdle(code: number): void {
  if (activeModelCalls() === 0) process.exit(code)
  setTimeout(() => exitWhenIdle(code), 20)
}

/** A stop request: a signal sent here, or one relayed by bin.js or given by a key (`q`, Ctrl-C in raw mode). */
function requestStop(signal: boolean): void {
  const now = Date.now()
  if (lastRequest && lastRequest.signal !== signal && now - lastRequest.at < SAME_REQUEST_MS) return
  lastRequest = { signal, at: now }
  stopRequests++
  // The second request does not wait for a clean stop (ffmpeg's finalisation, cleanup).
  // Before the command has loaded nothing was started: nothing to wait for either.
  if (stopRequests > 1 || !loaded) return finish(EXIT.interrupted)
  process.stderr.write('\nStopping… (press Ctrl-C again to force)\n')
  controller.abort()
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => requestStop(true))
process.on('message', (message: StopRequest) => {
  if (message.type === 'stop') requestStop(false)
})
// bin.js is gone (killed): nobody waits for the result any more, so stop cleanly. It may have
// gone before this process ran at all.
process.on('disconnect', () => stopRequests === 0 && requestStop(false))
if (!process.connected) requestStop(false)

/** The command's own entry, loaded only now: a specifier in a variable keeps the bundler from hoisting its imports above the handlers. */
const CLI_ENTRY = './index.js'

async function main(): Promise<void> {
  // Forked now, while this process is small: every ffmpeg and ffprobe is started by it (see there why).
  useSpawnHelper()
  const cli = (await import(CLI_ENTRY)) as typeof import('./index')
  activeModelCalls = cli.activeModelCalls
  loaded = true
  const stop = () => requestStop(false)
  // A stop came before (finish was called): the command does not start.
  if (stopRequests > 0) return
  finish(await cli.run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal, requestStop: stop }))
}

void main()

#!/usr/bin/env node
import { run } from './cli'

const controller = new AbortController()
let stopRequests = 0
const requestStop = () => {
  stopRequests++
  // The second request does not wait for a clean stop.
  if (stopRequests > 1) process.exit(130)
  process.stderr.write('\nStopping… (press Ctrl-C again to force)\n')
  controller.abort()
}
process.on('SIGINT', requestStop)
process.on('SIGTERM', requestStop)

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal, requestStop }).then((code) => {
  // Worker threads must not keep a finished command alive.
  process.exit(code)
})

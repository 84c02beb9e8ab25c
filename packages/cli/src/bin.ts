#!/usr/bin/env node
import { run } from './cli'

const controller = new AbortController()
let interrupts = 0
const interrupt = () => {
  interrupts++
  // The second Ctrl-C does not wait for a clean stop.
  if (interrupts > 1) process.exit(130)
  process.stderr.write('\nStopping… (Ctrl-C again to force)\n')
  controller.abort()
}
process.on('SIGINT', interrupt)
process.on('SIGTERM', interrupt)

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then((code) => {
  process.exitCode = code
  // Worker threads and stdin listeners must not keep a finished command alive.
  setImmediate(() => process.exit(code))
})

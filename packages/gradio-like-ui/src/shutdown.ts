import type { RunningServer } from './server'

/** The exit code of a stop by Ctrl-C or SIGTERM, as in the README's exit-code table. */
export const EXIT_STOPPED = 130
/** The exit code when the shutdown itself failed (the work folder could not be removed…). */
export const EXIT_FAILED = 1

/**
 * Closes the server on the first SIGINT or SIGTERM (jobs end, event streams close, the work folder
 * goes) and resolves with the exit code once that is done. A second signal does not wait: the job
 * processes are killed and the work folder removed at once.
 */
export function closeOnSignals(server: RunningServer, log: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false
    const finish = (code: number) => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve(code)
    }
    const onSignal = () => {
      if (stopping) {
        log('Stopping now.')
        server.kill()
        finish(EXIT_STOPPED)
        return
      }
      stopping = true
      log('Stopping… (press Ctrl-C again to stop at once)')
      server.close().then(
        () => finish(EXIT_STOPPED),
        (error: unknown) => {
          log(`Could not stop cleanly: ${error instanceof Error ? error.message : String(error)}`)
          server.kill()
          finish(EXIT_FAILED)
        },
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

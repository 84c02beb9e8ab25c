import { spawn } from 'node:child_process'

export interface RunOptions {
  signal?: AbortSignal
  /** Collect stdout and resolve with it (otherwise it is ignored). */
  stdout?: boolean
}

/**
 * Runs a command to its end. Rejects with its last stderr lines when it fails; on abort the
 * process gets SIGTERM (SIGKILL 2 s later) and the promise rejects once it has exited.
 */
export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const { signal } = options
    if (signal?.aborted) {
      reject(new Error('stopped'))
      return
    }
    const child = spawn(command, args, { stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-4000)))
    let killTimer: NodeJS.Timeout | undefined
    const onAbort = () => {
      child.kill('SIGTERM')
      killTimer = setTimeout(() => child.kill('SIGKILL'), 2000)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort)
      reject(new Error(`could not start ${command}: ${error.message}`))
    })
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort)
      if (killTimer) clearTimeout(killTimer)
      if (signal?.aborted) reject(new Error('stopped'))
      else if (code === 0) resolve(out)
      else {
        const tail = err.trim().split('\n').slice(-8).join('\n')
        reject(new Error(`${command} ${args.join(' ')} failed (${killedBy ?? `exit ${code}`})${tail ? `:\n${tail}` : ''}`))
      }
    })
  })
}

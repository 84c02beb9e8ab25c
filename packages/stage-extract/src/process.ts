import { spawn, type ChildProcess } from 'node:child_process'
import { ExtractError } from './errors'

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs a command to completion and collects its output. `signal` kills it (SIGKILL) and rejects. */
export function runProcess(command: string, args: string[], options: { signal?: AbortSignal } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const { signal } = options
    if (signal?.aborted) {
      reject(abortError(signal))
      return
    }
    let child: ChildProcess
    try {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true })
    } catch (error) {
      reject(spawnError(command, error))
      return
    }
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk))
    child.stdout!.on('error', () => undefined)
    child.stderr!.on('error', () => undefined)
    const onAbort = () => {
      child.kill('SIGKILL')
      reject(abortError(signal!))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort)
      reject(spawnError(command, error))
    })
    child.once('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort)
      resolvePromise({ code, signal: killedBy, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
  })
}

export function spawnError(command: string, error: unknown): ExtractError {
  const message = error instanceof Error ? error.message : String(error)
  return new ExtractError('E_SPAWN', `Cannot start ${command}: ${message}`, { cause: error })
}

export function abortError(signal: AbortSignal): ExtractError {
  return new ExtractError('E_ABORTED', 'Stopped by the AbortSignal', { cause: signal.reason })
}

/**
 * Stops a child: closes our ends of its pipes (a write to a closed pipe ends ffmpeg even when it is
 * blocked on a full one), sends SIGTERM, and SIGKILL if it is still there after `graceMs`.
 */
export function stopProcess(child: ChildProcess, graceMs: number): void {
  child.stdout?.destroy()
  child.stderr?.destroy()
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }, graceMs)
  child.once('exit', () => clearTimeout(timer))
}

/** Last non-empty lines of a text, for error messages. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(-count)
}

import { readFileSync } from 'node:fs'
import { AnimeUpscalerError } from './errors'
import { launch, type Launched, type SpawnedChild } from './spawner/launch'
import type { StdioSetting } from './spawner/protocol'

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A process that could not be started, or a run that was stopped by an AbortSignal. */
export class ProcessError extends AnimeUpscalerError<'E_SPAWN' | 'E_ABORTED'> {
  override name = 'ProcessError'
}

/** How long a stopped process may take to exit on SIGTERM before it is killed: a stop must be honoured within 2 s. */
export const STOP_GRACE_MS = 1000

/** Splits a stream of text chunks into lines (`\n`, `\r\n` or `\r`); empty lines are dropped. */
export class LineSplitter {
  private rest = ''

  push(chunk: string, onLine: (line: string) => void): void {
    const parts = (this.rest + chunk).split(/\r?\n|\r/)
    this.rest = parts.pop() ?? ''
    for (const part of parts) if (part.trim().length > 0) onLine(part)
  }

  flush(onLine: (line: string) => void): void {
    if (this.rest.trim().length > 0) onLine(this.rest)
    this.rest = ''
  }
}

function stdioOf(options: ManagedProcessOptions): [StdioSetting, StdioSetting, StdioSetting] {
  return [options.stdin ?? 'pipe', options.stdout ?? 'ignore', 'pipe']
}

export interface ManagedProcessOptions {
  stdin?: 'pipe' | 'ignore'
  stdout?: 'pipe' | 'ignore'
  /** Receives every stderr line, in order, including the last one. */
  onStderrLine?: (line: string) => void
  /** stderr lines kept for error messages (default 30). */
  tailLines?: number
}

/**
 * One child process (ffmpeg, ffprobe): its stderr read as lines with the last ones kept, its exit
 * as a promise that never rejects, writes to stdin that wait for the pipe, and a stop that really
 * ends it. Made by `ManagedProcess.start`, once the process runs (its pipes at hand) or could not
 * start: then `exited` resolves with no code and `spawnError` says why.
 */
export class ManagedProcess {
  readonly child: SpawnedChild
  readonly exited: Promise<ExitStatus>
  exitStatus?: ExitStatus
  readonly spawnError?: Error
  private readonly tail: string[] = []
  private readonly lines = new LineSplitter()
  private readonly exitListeners = new Set<() => void>()

  /** Starts `command` (through the spawn helper when `useSpawnHelper` started one). */
  static async start(command: string, args: readonly string[], options: ManagedProcessOptions = {}): Promise<ManagedProcess> {
    return new ManagedProcess(command, args, options, await launch(command, args, stdioOf(options)))
  }

  private constructor(
    readonly command: string,
    readonly args: readonly string[],
    private readonly options: ManagedProcessOptions,
    { child, error }: Launched,
  ) {
    this.child = child
    this.spawnError = error
    this.exited = new Promise<ExitStatus>((resolve) => {
      const done = (status: ExitStatus) => {
        if (this.exitStatus) return
        this.lines.flush((line) => this.onLine(line))
        this.exitStatus = status
        for (const listener of [...this.exitListeners]) listener()
        resolve(status)
      }
      if (error) done({ code: null, signal: null })
      else child.once('close', (code: number | null, signal: NodeJS.Signals | null) => done({ code, signal }))
    })
    if (error) return
    // EPIPE and friends: the process went away; its exit status and stderr say why.
    child.stdin?.on('error', () => undefined)
    child.stdout?.on('error', () => undefined)
    child.stderr!.on('error', () => undefined)
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (text: string) => this.lines.push(text, (line) => this.onLine(line)))
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** The last stderr lines. */
  stderrTail(): string[] {
    return [...this.tail]
  }

  /** The last stderr lines, as one text. */
  stderrText(): string {
    return this.tail.join('\n')
  }

  private onLine(line: string): void {
    this.tail.push(line)
    if (this.tail.length > (this.options.tailLines ?? 30)) this.tail.shift()
    this.options.onStderrLine?.(line)
  }

  /**
   * Writes `head` then `body` (not copied) to stdin. Resolves once the process has taken the data
   * and the pipe has room again ('drain'); rejects if it exits or the pipe breaks first.
   */
  write(head: Uint8Array, body: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const stdin = this.child.stdin
      if (!stdin || this.exitStatus || stdin.destroyed || stdin.writableEnded) {
        reject(new Error(`${this.command} no longer accepts input`))
        return
      }
      let settled = false
      let accepted = false
      let drained = true
      const finish = (error?: Error | null) => {
        if (settled) return
        settled = true
        this.exitListeners.delete(onExit)
        stdin.off('drain', onDrain)
        stdin.off('close', onClose)
        if (error) reject(error)
        else resolve()
      }
      const check = () => {
        if (accepted && drained) finish()
      }
      const onDrain = () => {
        drained = true
        check()
      }
      const onExit = () => finish(new Error(`${this.command} exited`))
      const onClose = () => finish(new Error(`${this.command} closed its input`))
      this.exitListeners.add(onExit)
      stdin.once('close', onClose)
      if (head.length > 0) stdin.write(head)
      const ok = stdin.write(body, (error) => {
        if (error) finish(error)
        else {
          accepted = true
          check()
        }
      })
      if (!ok) {
        drained = false
        stdin.on('drain', onDrain)
      }
    })
  }

  /** Closes stdin (ffmpeg then flushes and writes its trailer) and waits for the exit. */
  end(): Promise<ExitStatus> {
    const stdin = this.child.stdin
    if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.end()
    return this.exited
  }

  /**
   * Stops the process: closes our ends of its pipes (a write to a closed pipe ends ffmpeg even
   * when it is blocked on a full one), SIGTERM, and SIGKILL if it is still there after `graceMs`.
   * Resolves once it has exited.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus
    this.child.stdin?.destroy()
    this.child.stdout?.destroy()
    this.child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL')
    const timer = graceMs > 0 ? setTimeout(() => this.child.kill('SIGKILL'), graceMs) : undefined
    try {
      return await this.exited
    } finally {
      if (timer) clearTimeout(timer)
    }
  }
}

export interface RunResult extends ExitStatus {
  stdout: string
  stderr: string
}

/**
 * Runs a command to completion and collects its output. `signal` kills it (SIGKILL) and rejects
 * with E_ABORTED; a command that cannot be started rejects with E_SPAWN.
 */
export async function runProcess(command: string, args: string[], options: { signal?: AbortSignal } = {}): Promise<RunResult> {
  const { signal } = options
  if (signal?.aborted) throw abortError(signal)
  const { child, error } = await launch(command, args, ['ignore', 'pipe', 'pipe'])
  if (error) throw new ProcessError('E_SPAWN', `Cannot start ${command}: ${error.message}`, { cause: error })
  return new Promise((resolvePromise, reject) => {
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
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    child.once('close', (code: number | null, killedBy: NodeJS.Signals | null) => {
      signal?.removeEventListener('abort', onAbort)
      resolvePromise({ code, signal: killedBy, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
  })
}

export function abortError(signal: AbortSignal): ProcessError {
  return new ProcessError('E_ABORTED', 'Stopped by the AbortSignal', { cause: signal.reason })
}

/** Last non-empty lines of a text, for error messages. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(-count)
}

/** Whether process `pid` exists at all: a zombie too (a child stays one until Node collects its exit status). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Whether a process still runs (one we may not signal counts as running). A zombie has ended: it
 * waits for its parent to collect it, which never happens for an orphan under an init that does
 * not reap (a container's), and would hold its lock files forever.
 */
export function isRunning(pid: number): boolean {
  return exists(pid) && !isZombie(pid)
}

/** Linux: the state in /proc/<pid>/stat ("pid (comm) state …", comm may hold spaces and parentheses). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

/**
 * Resolves once child process `pid` has exited and Node has collected it (or after `timeoutMs`),
 * for a caller that stopped a child through an API that cannot be awaited (an Observable's
 * teardown) and must not report the end before it: then no trace of it is left, not even a zombie.
 */
export async function waitForExit(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (exists(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}

import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import type { HelperReply, HelperRequest, StdioSetting } from './protocol'

/** A started process as its users see it, whether this process started it or the spawn helper did. */
export interface SpawnedChild extends EventEmitter {
  readonly pid?: number
  readonly stdin: Writable | null
  readonly stdout: Readable | null
  readonly stderr: Readable | null
  kill(signal?: NodeJS.Signals): boolean
}

/** A child, or why it could not start (then it has no pid and emits nothing more). */
export interface Launched {
  child: SpawnedChild
  error?: Error
}

/**
 * Starts `command` with `stdio` (stdin, stdout, stderr): through the spawn helper when
 * `useSpawnHelper` started one, else from this process.
 */
export function launch(command: string, args: readonly string[], stdio: [StdioSetting, StdioSetting, StdioSetting]): Promise<Launched> {
  return helper && !helper.gone ? helper.launch(command, args, stdio) : launchHere(command, args, stdio)
}

function launchHere(command: string, args: readonly string[], stdio: [StdioSetting, StdioSetting, StdioSetting]): Promise<Launched> {
  const child = spawn(command, args as string[], { stdio, windowsHide: true })
  if (child.pid !== undefined) {
    // Later errors are failed kills: the exit is what counts.
    child.on('error', () => undefined)
    return Promise.resolve({ child })
  }
  return new Promise((resolve) => child.once('error', (error) => resolve({ child, error })))
}

let helper: SpawnHelper | undefined

/**
 * From now on this process starts ffmpeg and ffprobe through a small helper process, started here.
 *
 * Node starts every child process with fork() on Linux (libuv). A fork marks every page the parent
 * has written copy-on-write, and the parent's next write to each one faults: after a run has grown
 * to hundreds of MB (model sessions, frames), each ffmpeg it starts costs it tens of thousands of
 * faults, spread over every thread (docs/speed.md, "every ffmpeg Node starts is a fork"). The
 * helper is forked while this process is still small and forks only itself afterwards.
 *
 * Call it early, before the work grows. The helper ends with this process; whatever it started
 * then ends too (SIGKILL). If the helper dies, the processes it started are killed and the next
 * ones start from here. Idempotent. Linux only: elsewhere libuv does not fork (posix_spawn on
 * macOS since libuv/libuv#3064, CreateProcess on Windows), and processes keep starting from here.
 */
export function useSpawnHelper(): void {
  if (process.platform !== 'linux' || (helper && !helper.gone)) return
  helper = new SpawnHelper(helperScript())
}

/** Ends the spawn helper (and what it still runs); later processes start from here again. */
export async function stopSpawnHelper(): Promise<void> {
  const current = helper
  helper = undefined
  await current?.stop()
}

function helperScript(): string {
  // The ESM and CJS builds sit beside it; from the sources (src/spawner, in tests) it is the built one.
  const candidates = [join(__dirname, 'spawn-helper.cjs'), join(__dirname, '..', '..', 'dist', 'spawn-helper.cjs')]
  const found = candidates.find((file) => existsSync(file))
  if (!found) throw new Error(`@anime-upscaler/common's spawn helper is missing (looked for ${candidates.join(', ')}); build the package first`)
  return found
}

interface Pending {
  child: RemoteChild
  /** Pipes still to come. */
  missing: number
  resolve(launched: Launched): void
}

/** The helper process, and the children it runs for this one. */
class SpawnHelper {
  gone = false
  private readonly process: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private readonly running = new Map<number, RemoteChild>()
  private nextId = 1

  constructor(script: string) {
    this.process = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], windowsHide: true })
    this.process.on('message', (reply: HelperReply, handle?: Socket) => this.onReply(reply, handle))
    this.process.once('exit', () => this.onGone())
    this.process.once('error', () => this.onGone())
    this.updateRef()
  }

  launch(command: string, args: readonly string[], stdio: [StdioSetting, StdioSetting, StdioSetting]): Promise<Launched> {
    const id = this.nextId++
    const child = new RemoteChild((signal) => this.send({ type: 'kill', id, signal }))
    const launched = new Promise<Launched>((resolve) => this.pending.set(id, { child, missing: stdio.filter((s) => s === 'pipe').length, resolve }))
    this.updateRef()
    this.send({ type: 'spawn', id, command, args: [...args], stdio, cwd: process.cwd(), env: process.env })
    return launched
  }

  private send(request: HelperRequest): void {
    if (!this.gone) this.process.send(request, undefined, {}, () => undefined)
  }

  private onReply(reply: HelperReply, handle?: Socket): void {
    const pending = this.pending.get(reply.id)
    switch (reply.type) {
      case 'spawned':
        if (!pending) break
        pending.child.pid = reply.pid
        if (pending.missing === 0) this.started(reply.id, pending)
        break
      case 'stdio':
        if (!pending || !handle) break
        pending.child.attach(reply.fd, handle)
        if (--pending.missing === 0) this.started(reply.id, pending)
        break
      case 'failed':
        if (!pending) break
        this.pending.delete(reply.id)
        pending.resolve({ child: pending.child, error: Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}) })
        break
      case 'exit': {
        // Exited before all its pipes came: they were lost on the way (it should not happen).
        if (pending) {
          this.pending.delete(reply.id)
          pending.resolve({ child: pending.child, error: new Error(`the spawn helper could not hand over the pipes of ${reply.id}`) })
        }
        const child = this.running.get(reply.id)
        this.running.delete(reply.id)
        child?.exited(reply.code, reply.signal)
        break
      }
    }
    this.updateRef()
  }

  private started(id: number, pending: Pending): void {
    this.pending.delete(id)
    this.running.set(id, pending.child)
    pending.resolve({ child: pending.child })
  }

  /** The channel keeps this process alive only while it waits for a child of the helper. */
  private updateRef(): void {
    if (this.gone) return
    const busy = this.pending.size + this.running.size > 0
    if (busy) this.process.channel?.ref()
    else this.process.channel?.unref()
    if (busy) this.process.ref()
    else this.process.unref()
  }

  /** The helper died (or was stopped): its children are killed and reported; later spawns happen here. */
  private onGone(): void {
    if (this.gone) return
    this.gone = true
    for (const { child, resolve } of this.pending.values()) resolve({ child, error: new Error('the spawn helper process ended') })
    this.pending.clear()
    for (const child of this.running.values()) {
      if (child.pid !== undefined) killQuietly(child.pid)
      child.exited(null, 'SIGKILL')
    }
    this.running.clear()
  }

  async stop(): Promise<void> {
    if (this.gone) return
    const exited = new Promise((resolve) => this.process.once('exit', resolve))
    // Idle, the helper does not keep this process alive: waiting for its exit must.
    this.process.ref()
    this.process.disconnect()
    await exited
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

/** A process the helper runs: its pipes are this process's own, its signals go through the helper. */
class RemoteChild extends EventEmitter implements SpawnedChild {
  pid?: number
  stdin: Socket | null = null
  stdout: Socket | null = null
  stderr: Socket | null = null
  private status?: { code: number | null; signal: NodeJS.Signals | null }
  private openPipes = 0
  private closed = false

  constructor(private readonly signalThrough: (signal: NodeJS.Signals) => void) {
    super()
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.status) return false
    this.signalThrough(signal)
    return true
  }

  attach(fd: 0 | 1 | 2, pipe: Socket): void {
    this.openPipes++
    pipe.once('close', () => {
      this.openPipes--
      this.closeIfDone()
    })
    if (fd === 0) {
      // Nothing comes back on stdin's pipe, but its end must be read for the socket to close.
      pipe.resume()
      this.stdin = pipe
    } else if (fd === 1) this.stdout = pipe
    else this.stderr = pipe
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.status) return
    this.status = { code, signal }
    this.emit('exit', code, signal)
    this.closeIfDone()
  }

  /** As a ChildProcess: 'close' once it has exited and its pipes have closed (all output read). */
  private closeIfDone(): void {
    if (this.closed || !this.status || this.openPipes > 0) return
    this.closed = true
    this.emit('close', this.status.code, this.status.signal)
  }
}

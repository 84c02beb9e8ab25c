import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { SaveError, messageOf } from './errors'
import { parseStreamList, type SourceStream } from './containers'

/**
 * The ffmpeg to run: `explicit`, else $FFMPEG_PATH, else the binary of the npm package
 * @ffmpeg-installer/ffmpeg (N-47683 from 2018), else `ffmpeg` on PATH.
 */
export function resolveFfmpegPath(explicit?: string): string {
  if (explicit) return explicit
  const fromEnv = process.env.FFMPEG_PATH
  if (fromEnv) return fromEnv
  try {
    const installed = (createRequire(__filename)('@ffmpeg-installer/ffmpeg') as { path?: string }).path
    if (installed && existsSync(installed)) return installed
  } catch {
    // not installed for this platform: fall back to PATH
  }
  return 'ffmpeg'
}

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

const TAIL_LINES = 30

/** One ffmpeg run: stdin for frames, stderr kept as its last lines, exit as a promise. */
export class FfmpegProcess {
  readonly child: ChildProcess
  readonly exited: Promise<ExitStatus>
  exitStatus?: ExitStatus
  spawnError?: Error
  private readonly tail: string[] = []
  private partialLine = ''
  private readonly exitListeners = new Set<() => void>()

  constructor(
    readonly ffmpegPath: string,
    readonly args: readonly string[],
    stdout: 'ignore' | 'pipe' = 'ignore',
  ) {
    this.child = spawn(ffmpegPath, args as string[], { stdio: ['pipe', stdout, 'pipe'], windowsHide: true })
    // EPIPE and friends: ffmpeg went away; its exit status and stderr say why, so swallow them here.
    this.child.stdin?.on('error', () => undefined)
    this.child.stderr?.setEncoding('utf8')
    this.child.stderr?.on('data', (text: string) => this.collect(text))
    this.exited = new Promise<ExitStatus>((resolve) => {
      const done = (status: ExitStatus) => {
        if (this.exitStatus) return
        if (this.partialLine.trim()) this.pushLine(this.partialLine)
        this.partialLine = ''
        this.exitStatus = status
        for (const listener of [...this.exitListeners]) listener()
        resolve(status)
      }
      this.child.once('error', (error) => {
        this.spawnError = error
        if (this.child.pid === undefined) done({ code: null, signal: null })
      })
      this.child.once('close', (code, signal) => done({ code, signal }))
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** ffmpeg's last stderr lines. */
  stderrTail(): string {
    return this.tail.join('\n')
  }

  private collect(text: string): void {
    const lines = (this.partialLine + text).split(/\r?\n|\r/)
    this.partialLine = lines.pop() ?? ''
    for (const line of lines) if (line.trim()) this.pushLine(line)
  }

  private pushLine(line: string): void {
    this.tail.push(line)
    if (this.tail.length > TAIL_LINES) this.tail.shift()
  }

  /**
   * Writes a frame (a small header and the pixel data, which is not copied). Resolves once ffmpeg
   * has accepted the data from the pipe and the stream has room again ('drain'); rejects if ffmpeg
   * exits or the pipe breaks first.
   */
  write(head: Buffer, body: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const stdin = this.child.stdin
      if (!stdin || this.exitStatus || stdin.destroyed || stdin.writableEnded) {
        reject(new Error('ffmpeg no longer accepts input'))
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
      const onExit = () => finish(new Error('ffmpeg exited'))
      const onClose = () => finish(new Error('ffmpeg closed its input'))
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

  /** Closes stdin (ffmpeg then flushes and writes the trailer) and waits for the exit. */
  end(): Promise<ExitStatus> {
    const stdin = this.child.stdin
    if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.end()
    return this.exited
  }

  /** Stops ffmpeg: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
  async kill(graceMs: number): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus
    this.child.stdin?.destroy()
    this.child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL')
    const timer = graceMs > 0 ? setTimeout(() => this.child.kill('SIGKILL'), graceMs) : undefined
    try {
      return await this.exited
    } finally {
      if (timer) clearTimeout(timer)
    }
  }
}

/** ffmpeg failed to start (missing binary, not executable): a SaveError saying what to do. */
export function notFoundError(ffmpegPath: string, cause: unknown): SaveError {
  const reason = messageOf(cause)
  return new SaveError(
    'E_FFMPEG_NOT_FOUND',
    `Cannot start ffmpeg '${ffmpegPath}' (${reason}): set the ffmpegPath option or FFMPEG_PATH, or install @ffmpeg-installer/ffmpeg`,
    { cause },
  )
}

export interface SourceInfo {
  streams: SourceStream[]
  chapters: number
}

/** Lists the source's streams with `ffmpeg -i` (ffprobe is not a dependency of this stage). */
export async function probeSource(ffmpegPath: string, source: string): Promise<SourceInfo> {
  const proc = new FfmpegProcess(ffmpegPath, ['-hide_banner', '-nostdin', '-i', source])
  proc.child.stdin?.end()
  let text = ''
  proc.child.stderr?.on('data', (chunk: string) => {
    if (text.length < 1 << 20) text += chunk
  })
  await proc.exited
  if (proc.spawnError && proc.pid === undefined) throw notFoundError(ffmpegPath, proc.spawnError)
  const { streams, chapters, hasInput } = parseStreamList(text)
  if (!hasInput) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() && !/must be specified/.test(l))
    const reason = lines.slice(-3).join(' ').replace(source, '').replace(/^:\s*/, '').trim()
    throw new SaveError('E_SOURCE', `Cannot read the source '${source}' as media: ${reason || 'ffmpeg found no input'}`, {
      stderr: lines.slice(-TAIL_LINES).join('\n'),
    })
  }
  return { streams, chapters }
}

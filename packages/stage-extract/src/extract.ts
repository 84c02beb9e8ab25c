import { ManagedProcess, STOP_GRACE_MS, message, optionSetting } from '@anime-upscaler/common'
import { Observable, type Subscriber, type Subscription } from 'rxjs'
import { resolveFfmpeg } from './binaries'
import { ExtractError, describeValue } from './errors'
import { resolveInput } from './input'
import { parseLogLine } from './log'
import { planExtraction, validateExtractOptions, type ExtractOptions, type ExtractPlan } from './plan'
import { abortError, spawnError } from './process'
import { probe } from './probe'
import type { DecodedFrame, MediaInfo, Rational } from './types'

/** Lines of ffmpeg's stderr kept for error reports. */
const STDERR_TAIL = 30
/** Complete frames allowed to wait for their timestamp before the log is declared unreadable. */
const MAX_FRAMES_WITHOUT_PTS = 32

/**
 * Decodes the video of `input` with ffmpeg into upright RGB frames, in presentation order, each
 * with its index and presentation timestamp. Probes the input first (unless `options.info` is
 * given). Frames are converted with the source's own matrix and range; sources above 8 bits give
 * Uint16Array frames. With `options.demand`, ffmpeg only runs as far as the granted frames (it
 * blocks on the full pipe). Unsubscribing stops ffmpeg (SIGTERM, then SIGKILL after
 * `killGraceMs`). Errors are `ExtractError`s: `E_FFMPEG` (with ffmpeg's last stderr lines),
 * `E_SHORT_READ`, `E_TRUNCATED`, `E_NO_FRAMES`, `E_ABORTED`, and those of `probe`.
 */
export function extractFrames(input: string, options: ExtractOptions = {}): Observable<DecodedFrame> {
  validateExtractOptions(options)
  return new Observable<DecodedFrame>((subscriber) => {
    const run = new ExtractionRun(input, options, subscriber)
    run.start()
    return () => run.stop()
  })
}

class ExtractionRun {
  private stopped = false
  private credit: number
  private demandSubscription?: Subscription
  private readonly probeAbort = new AbortController()
  private process?: ManagedProcess
  private plan?: ExtractPlan
  private info?: MediaInfo

  /** Complete frames not yet emitted, oldest first. */
  private readonly completed: Uint8Array[] = []
  /** The frame being filled, and how many of its bytes have arrived. */
  private current?: Uint8Array
  private filled = 0
  /** Frames fully read from ffmpeg so far, and frames emitted. */
  private assembled = 0
  private emitted = 0

  /** Presentation timestamps (seconds, NaN for NOPTS) from showinfo, of the frames not yet emitted; and how many were read. */
  private readonly timestamps: number[] = []
  private timestampCount = 0
  private timeBase?: Rational
  private lastPts = Number.NaN

  private readonly stderrTail: string[] = []
  private errorLines = 0
  private exit?: { code: number | null; signal: NodeJS.Signals | null }
  private closed = false

  private readonly onAbort = () => this.fail(abortError(this.options.signal!))

  constructor(
    private readonly input: string,
    private readonly options: ExtractOptions,
    private readonly subscriber: Subscriber<DecodedFrame>,
  ) {
    this.credit = options.demand ? 0 : Number.POSITIVE_INFINITY
  }

  start(): void {
    const { signal, demand } = this.options
    if (signal?.aborted) {
      this.fail(abortError(signal))
      return
    }
    signal?.addEventListener('abort', this.onAbort, { once: true })
    if (demand) {
      this.demandSubscription = demand.subscribe({
        next: (count) => this.grant(count),
        error: (error: unknown) => this.fail(error),
      })
    }
    if (this.stopped) return
    let ffmpeg: string
    try {
      ffmpeg = resolveFfmpeg(this.options.ffmpegPath)
    } catch (error) {
      this.fail(error)
      return
    }
    const known = this.options.info
    const ready = known
      ? Promise.resolve(known)
      : probe(this.input, {
          ffprobePath: this.options.ffprobePath,
          frameRate: this.options.frameRate,
          streamIndex: this.options.streamIndex,
          signal: this.probeAbort.signal,
        })
    ready.then(
      (info) => {
        if (!this.stopped) this.launch(ffmpeg, info)
      },
      (error: unknown) => this.fail(error),
    )
  }

  /** Teardown: unsubscribe, error or completion. Idempotent. */
  stop(): void {
    this.stopped = true
    this.demandSubscription?.unsubscribe()
    this.options.signal?.removeEventListener('abort', this.onAbort)
    this.probeAbort.abort()
    if (this.process) void this.process.stop(this.options.killGraceMs ?? STOP_GRACE_MS)
    this.completed.length = 0
    this.current = undefined
  }

  private fail(error: unknown): void {
    if (this.stopped) return
    this.stop()
    this.subscriber.error(error)
  }

  private complete(): void {
    if (this.stopped) return
    this.stop()
    this.subscriber.complete()
  }

  private grant(count: number): void {
    if (this.stopped) return
    if (typeof count !== 'number' || Number.isNaN(count) || count < 0 || (!Number.isInteger(count) && count !== Number.POSITIVE_INFINITY)) {
      this.fail(new ExtractError('E_INVALID_ARGUMENT', `Expected non-negative integer or Infinity for a demand emission but received ${describeValue(count)}`))
      return
    }
    this.credit += count
    this.drain()
  }

  private launch(ffmpeg: string, info: MediaInfo): void {
    let plan: ExtractPlan
    try {
      const given = resolveInput(this.input).display
      const described = resolveInput(info.input).display
      if (given !== described) {
        throw new ExtractError('E_INVALID_ARGUMENT', `options.info describes '${described}', not the input '${given}'`)
      }
      plan = planExtraction(info, this.options)
    } catch (error) {
      this.fail(error)
      return
    }
    this.info = info
    this.plan = plan
    void this.startDecoder(ffmpeg, plan)
  }

  private async startDecoder(ffmpeg: string, plan: ExtractPlan): Promise<void> {
    const proc = await ManagedProcess.start(ffmpeg, plan.args, { stdin: 'ignore', stdout: 'pipe', onStderrLine: (line) => this.onLogLine(line) })
    this.process = proc
    if (this.stopped) {
      void proc.stop(this.options.killGraceMs ?? STOP_GRACE_MS)
      return
    }
    if (proc.spawnError) {
      this.fail(spawnError(ffmpeg, proc.spawnError))
      return
    }
    const child = proc.child
    child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk))
    child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => this.onExit(code, signal))
    void proc.exited.then(() => this.onClose())
    try {
      this.options.onStart?.({ pid: proc.pid!, command: ffmpeg, args: plan.args })
    } catch (error) {
      this.fail(error)
      return
    }
    this.flow()
  }

  private onLogLine(line: string): void {
    if (this.stopped) return
    const parsed = parseLogLine(line)
    switch (parsed.kind) {
      case 'timebase':
        this.timeBase = parsed.timeBase
        break
      case 'frame': {
        const tb = this.timeBase ?? this.info!.video.timeBase
        this.timestamps.push(parsed.pts === undefined ? Number.NaN : (parsed.pts * tb.num) / tb.den)
        this.timestampCount++
        this.drain()
        break
      }
      case 'message':
        if (parsed.level === 'error' || parsed.level === 'fatal' || parsed.level === 'panic') this.errorLines++
        this.stderrTail.push(parsed.text)
        if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift()
        break
      default:
        break
    }
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return
    const frameBytes = this.plan!.bytesPerFrame
    let offset = 0
    while (offset < chunk.length) {
      if (!this.current) {
        this.current = new Uint8Array(frameBytes)
        this.filled = 0
      }
      const take = Math.min(frameBytes - this.filled, chunk.length - offset)
      this.current.set(chunk.subarray(offset, offset + take), this.filled)
      this.filled += take
      offset += take
      if (this.filled === frameBytes) {
        this.completed.push(this.current)
        this.current = undefined
        this.filled = 0
        this.assembled++
      }
    }
    if (this.assembled - this.timestampCount > MAX_FRAMES_WITHOUT_PTS) {
      this.fail(this.timestampError())
      return
    }
    this.drain()
  }

  private timestampError(): ExtractError {
    return new ExtractError(
      'E_TIMESTAMPS',
      `ffmpeg's log has no timestamp for frame ${this.timestampCount} of '${this.input}': its showinfo output was not recognised (is this ffmpeg 4.1 or newer?)`,
      { stderr: [...this.stderrTail] },
    )
  }

  /** Emits the frames that have credit and a timestamp, then decides whether to keep reading ffmpeg. */
  private drain(): void {
    while (!this.stopped && this.credit > 0 && this.completed.length > 0) {
      const index = this.emitted
      if (this.timestamps.length === 0) {
        if (!this.closed) break // its showinfo line is on the way
        this.fail(this.timestampError())
        return
      }
      let pts = this.timestamps.shift()!
      if (Number.isNaN(pts)) {
        const rate = this.info!.video.frameRate
        pts = Number.isNaN(this.lastPts) ? this.info!.video.startTime : this.lastPts + rate.den / rate.num
      }
      this.lastPts = pts
      const bytes = this.completed.shift()!
      const data = this.plan!.bytesPerSample === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2) : bytes
      this.credit--
      this.emitted++
      this.subscriber.next({ index, pts, image: { data, width: this.plan!.width, height: this.plan!.height, channels: 3 } })
    }
    if (this.stopped) return
    this.flow()
    if (this.closed && this.completed.length === 0) this.finish()
  }

  /** Reads ffmpeg's stdout only while some granted frame is still to come. */
  private flow(): void {
    const stdout = this.process?.child.stdout
    if (!stdout || this.closed || this.stopped) return
    if (this.credit > this.completed.length) stdout.resume()
    else stdout.pause()
  }

  private failed(): boolean {
    return !!this.exit && (this.exit.signal !== null || this.exit.code !== 0)
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal }
    if (this.stopped || !this.failed()) return
    // ffmpeg failed: report at once (queued frames are dropped), once its stderr is read to the end.
    const stderr = this.process!.child.stderr!
    if (stderr.readableEnded || stderr.destroyed) this.reportFailure()
    else stderr.once('close', () => setImmediate(() => this.reportFailure()))
  }

  private reportFailure(): void {
    if (this.stopped) return
    const { code, signal } = this.exit!
    const tail = [...this.stderrTail]
    const errors = tail.filter((line) => /error|invalid|failed|cannot|could not|no such|unable|not supported/i.test(line))
    const shown = (errors.length > 0 ? errors : tail).slice(-3).join(' | ')
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
    const partial = this.filled > 0 ? `, ${this.filled} bytes into frame ${this.assembled}` : ''
    this.fail(
      new ExtractError('E_FFMPEG', `ffmpeg ${how} after ${this.assembled} frames${partial} of '${this.input}'${shown ? `: ${shown}` : ''}`, {
        stderr: tail,
      }),
    )
  }

  private onClose(): void {
    if (this.stopped) return
    this.closed = true
    if (this.failed()) {
      this.reportFailure()
      return
    }
    this.drain()
  }

  /** ffmpeg ended cleanly and every frame has been emitted: check the byte count and the frame count. */
  private finish(): void {
    if (this.stopped) return
    const plan = this.plan!
    const video = this.info!.video
    const tail = [...this.stderrTail]
    if (this.filled > 0) {
      this.fail(
        new ExtractError(
          'E_SHORT_READ',
          `ffmpeg's output of '${this.input}' ended ${this.filled} bytes into frame ${this.assembled} (a frame is ${plan.bytesPerFrame} bytes: ${plan.width}x${plan.height} ${plan.pixelFormat})`,
          { stderr: tail },
        ),
      )
      return
    }
    if (this.assembled === 0) {
      this.fail(new ExtractError('E_NO_FRAMES', `ffmpeg decoded no frame from '${this.input}'`, { stderr: tail }))
      return
    }
    // A partial decode (maxFrames, seekTo) is not expected to reach the end.
    if (!this.options.allowTruncated && this.options.maxFrames === undefined && this.options.seekTo === undefined && this.errorLines > 0) {
      const rate = video.frameRate.num / video.frameRate.den
      const expected = video.frameCountExact ? video.frameCount : Math.max(video.frameCount, Math.round(this.info!.duration * rate))
      const tolerance = video.frameCountExact ? 0 : Math.max(2, Math.ceil(expected * 0.02))
      if (expected - this.assembled > tolerance) {
        const lastError = tail.filter((line) => /error|invalid|partial|corrupt/i.test(line)).at(-1)
        this.fail(
          new ExtractError(
            'E_TRUNCATED',
            `Decoded ${this.assembled} of ${video.frameCountExact ? '' : 'about '}${expected} frames of '${this.input}': the file looks truncated or damaged${lastError ? ` (ffmpeg: ${lastError})` : ''}`,
            { stderr: tail, option: 'allowTruncated', value: false, hint: message`use ${optionSetting('allowTruncated', true)} to accept the frames that decode` },
          ),
        )
        return
      }
    }
    this.complete()
  }
}

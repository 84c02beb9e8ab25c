import { OutputError, moveIntoPlace as moveFile, temporarySibling } from '@anime-upscaler/common'
import { promises as fsp } from 'node:fs'
import { endianness } from 'node:os'
import * as path from 'node:path'
import { imageArgs, needsRemux, remuxArgs, resolveColor, videoArgs } from './args'
import type { StreamPlan } from './containers'
import { SaveError, describeValue, ioError, messageOf } from './errors'
import { copyError, notFoundError, startFfmpeg, type ExitStatus, type FfmpegProcess } from './ffmpeg'
import { ImageSplitter } from './image-splitter'
import type { StreamTiming } from './frame-order'
import { frameHeader, streamHeader, type RawPixelFormat } from './matroska'
import { evenSides, type ResolvedOptions } from './options'
import type { SavePlan } from './plan'
import type { SaveEvent, SaveImage, Yuv420SaveImage } from './types'

export interface FrameLayout {
  width: number
  height: number
  pixelFormat: RawPixelFormat
  bytes: number
  /** Y'CbCr frames: the matrix and range they were converted with. */
  color?: { matrix: string; range: string }
}

/** Checks an image and tells its layout on the pipe. */
export function layoutOf(image: SaveImage, index: number): FrameLayout {
  const where = `frame ${index}`
  if (image === null || typeof image !== 'object') {
    throw new SaveError('E_INVALID_FRAME', `Expected an image object for ${where} but received ${describeValue(image)}`)
  }
  const { data, width, height } = image
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new SaveError('E_INVALID_FRAME', `Expected positive integer for image ${name} of ${where} but received ${describeValue(value)}`)
    }
  }
  if ('format' in image) return yuvLayoutOf(image, where)
  const { channels } = image
  if (channels !== 3) throw new SaveError('E_INVALID_FRAME', `Expected 3 for image channels of ${where} but received ${describeValue(channels)}`)
  let pixelFormat: RawPixelFormat
  if (data instanceof Uint8Array) pixelFormat = 'rgb24'
  else if (data instanceof Uint16Array) pixelFormat = 'rgb48le'
  else throw new SaveError('E_INVALID_FRAME', `Expected Uint8Array or Uint16Array for image data of ${where} but received ${describeValue(data)}`)
  const values = width * height * 3
  if (data.length !== values) {
    throw new SaveError('E_INVALID_FRAME', `Expected ${values} values (${width}x${height}x3) in image data of ${where} but received ${data.length}`)
  }
  return { width, height, pixelFormat, bytes: data.byteLength }
}

function yuvLayoutOf(image: Yuv420SaveImage, where: string): FrameLayout {
  const { format, data, width, height, matrix, range } = image
  if (format !== 'yuv420p' && format !== 'yuv420p10le') {
    throw new SaveError('E_INVALID_FRAME', `Expected 'yuv420p' or 'yuv420p10le' for image format of ${where} (or an RGB image without format) but received ${describeValue(format)}`)
  }
  if (width % 2 || height % 2) throw new SaveError('E_INVALID_FRAME', `Expected even width and height for the ${format} image of ${where} but received ${width}x${height}`)
  const type = format === 'yuv420p' ? Uint8Array : Uint16Array
  if (!(data instanceof type)) throw new SaveError('E_INVALID_FRAME', `Expected ${type.name} for ${format} image data of ${where} but received ${describeValue(data)}`)
  if (data.length !== (width * height * 3) / 2) {
    throw new SaveError('E_INVALID_FRAME', `Expected ${(width * height * 3) / 2} samples (${width}x${height} ${format}) in image data of ${where} but received ${data.length}`)
  }
  if (typeof matrix !== 'string' || (range !== 'tv' && range !== 'pc')) {
    throw new SaveError('E_INVALID_FRAME', `Expected the matrix (e.g. 'bt709') and range ('tv' or 'pc') of the ${format} image of ${where} but received ${describeValue(matrix)} and ${describeValue(range)}`)
  }
  return { width, height, pixelFormat: format, bytes: data.byteLength, color: { matrix, range } }
}

const littleEndian = endianness() === 'LE'

/** The pixel bytes as a Buffer over the same memory (16-bit samples little-endian, as rgb48le wants). */
function pixelBytes(image: SaveImage): Buffer {
  const { data } = image
  if (data instanceof Uint16Array && !littleEndian) {
    const copy = Buffer.alloc(data.byteLength)
    for (let i = 0; i < data.length; i++) copy.writeUInt16LE(data[i], i * 2)
    return copy
  }
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}


/** Moves a finished temporary file into place atomically (see @anime-upscaler/common), failing with this stage's error. */
export async function moveIntoPlace(temporary: string, destination: string, overwrite: boolean): Promise<void> {
  try {
    await moveFile(temporary, destination, overwrite)
  } catch (error) {
    if (error instanceof OutputError) throw new SaveError(error.code === 'E_OUTPUT_EXISTS' ? 'E_OUTPUT_EXISTS' : 'E_IO', error.parts, error.details())
    throw error
  }
}

/** Common part of both modes: one ffmpeg fed with a Matroska stream of raw frames on stdin. */
abstract class PipeSink {
  protected proc?: FfmpegProcess
  /** Set by the first frame: ffmpeg starting (or started). */
  private starting?: Promise<void>
  protected layout?: FrameLayout
  protected framesWritten = 0
  protected closed = false
  protected failure?: SaveError
  private finishing?: Promise<number>
  private aborting?: Promise<void>
  /** Called once if the sink fails on its own (ffmpeg exits early, an image cannot be written). */
  onFailure: (error: SaveError) => void = () => undefined
  private preparing?: Promise<void>

  constructor(
    protected readonly options: ResolvedOptions,
    protected readonly planned: Promise<SavePlan>,
    protected readonly ffmpegPath: string,
    protected readonly emit: (event: SaveEvent) => void,
  ) {}

  /** The plan is ready: the destination checked and the source's streams planned (see SavePlan); runs once. */
  get preflight(): Promise<void> {
    if (!this.preparing) {
      this.preparing = this.prepare()
      this.preparing.catch(() => undefined) // observed through write() and by the operator
    }
    return this.preparing
  }

  protected abstract prepare(): Promise<void>
  protected abstract buildArgs(layout: FrameLayout, timing: StreamTiming): string[]
  protected abstract get temporary(): string
  protected abstract describe(): string
  protected abstract completed(partial: boolean): Promise<void>
  protected abstract cleanup(): Promise<void>
  protected onStarted(_proc: FfmpegProcess): void {}

  /** True when a stop may still finalise a playable output. */
  canFinalize(): boolean {
    return !!this.proc && !this.proc.exitStatus && !this.failure && this.framesWritten > 0
  }

  protected fail(error: SaveError): SaveError {
    if (!this.failure) {
      this.failure = error
      this.onFailure(error)
    }
    return this.failure
  }

  protected exitError(status: ExitStatus): SaveError {
    const proc = this.proc!
    if (proc.spawnError && proc.pid === undefined) return notFoundError(proc.command, proc.spawnError)
    const tail = proc.stderrText()
    if (/No space left on device/i.test(tail)) {
      return new SaveError('E_NO_SPACE', `The output disk is full (ffmpeg: No space left on device) while ${this.describe()}: free some space or choose another folder`, {
        stderr: tail,
      })
    }
    const how = status.signal ? `was killed by ${status.signal}` : status.code === 0 ? 'stopped early' : `exited with code ${status.code}`
    return new SaveError('E_FFMPEG', `ffmpeg ${how} while ${this.describe()}:\n${tail || '(ffmpeg printed nothing)'}`, { stderr: tail })
  }

  private async start(layout: FrameLayout, timing: StreamTiming): Promise<void> {
    const args = this.buildArgs(layout, timing)
    const proc = await startFfmpeg(this.ffmpegPath, args, this.options.mode === 'images' ? 'pipe' : 'ignore')
    this.proc = proc
    void proc.exited.then((status) => {
      if (this.closed) return
      this.fail(this.exitError(status))
    })
    if (proc.pid !== undefined) {
      this.onStarted(proc)
      this.emit({ type: 'started', pid: proc.pid, command: [this.ffmpegPath, ...args], temporary: this.temporary })
    }
  }

  /** Sends one frame at `timecodeUs`; resolves once ffmpeg has accepted it. */
  async write(index: number, image: SaveImage, timecodeUs: number, timing: StreamTiming): Promise<void> {
    const layout = layoutOf(image, index)
    if (this.layout) {
      const l = this.layout
      if (layout.width !== l.width || layout.height !== l.height || layout.pixelFormat !== l.pixelFormat) {
        throw new SaveError(
          'E_INVALID_FRAME',
          `Frame ${index} is ${layout.width}x${layout.height} ${layout.pixelFormat} but the stream started as ${l.width}x${l.height} ${l.pixelFormat}: every frame must have the same size and type`,
        )
      }
    } else {
      this.checkFirstFrame(layout, index)
    }
    await this.preflight
    if (this.failure) throw this.failure
    if (this.closed) throw new SaveError('E_ABORTED', 'The stage was stopped')
    let head = frameHeader(timecodeUs, layout.bytes)
    if (!this.starting) {
      this.layout = layout
      this.starting = this.start(layout, timing)
      head = Buffer.concat([streamHeader({ ...layout, ...(timing.frameDurationNs ? { defaultDurationNs: timing.frameDurationNs } : {}) }), head])
    }
    await this.starting
    if (this.closed) throw new SaveError('E_ABORTED', 'The stage was stopped')
    const proc = this.proc!
    try {
      await proc.write(head, pixelBytes(image))
    } catch (error) {
      if (this.failure) throw this.failure
      if (this.closed) throw new SaveError('E_ABORTED', 'The stage was stopped', { cause: error })
      const status = await proc.exited
      throw this.fail(this.exitError(status))
    }
    this.framesWritten++
  }

  protected checkFirstFrame(_layout: FrameLayout, _index: number): void {}

  /** Ends the input, waits for ffmpeg and puts the output in place; returns the frame count. */
  finish(partial: boolean): Promise<number> {
    this.finishing ??= (async () => {
      await this.preflight
      await this.starting
      const proc = this.proc
      if (!proc) throw new SaveError('E_NO_FRAMES', 'No frames were written')
      this.closed = true // from here on, ffmpeg's exit is expected
      const status = await proc.end()
      if (this.failure) throw this.failure
      if (status.code !== 0) throw this.fail(this.exitError(status))
      await this.completed(partial)
      return this.framesWritten
    })()
    return this.finishing
  }

  /** Stops ffmpeg (SIGTERM, SIGKILL after the grace period) and removes temporary files. */
  abort(): Promise<void> {
    this.aborting ??= (async () => {
      this.closed = true
      await this.preflight.catch(() => undefined)
      await this.starting
      if (this.proc) await this.proc.stop(this.options.killTimeoutMs)
      await this.cleanup()
    })()
    return this.aborting
  }
}

/**
 * Mode (a): one encoded file, written to a temporary name next to the output and renamed at the
 * end. Variable-rate MP4/MOV takes two passes (see needsRemux): Matroska first, then a stream copy.
 */
export class VideoSink extends PipeSink {
  private readonly temp: string
  /** Where the encoder writes: the temporary output, or a Matroska first pass when remuxing (decided at the first frame). */
  private encodedTemp: string
  private remux = false
  private remuxProc?: Promise<FfmpegProcess>
  private streams?: StreamPlan
  private videoLanguage?: string

  constructor(options: ResolvedOptions, planned: Promise<SavePlan>, ffmpegPath: string, emit: (event: SaveEvent) => void) {
    super(options, planned, ffmpegPath, emit)
    const { ext } = path.parse(options.output)
    this.temp = temporarySibling(options.output, ext)
    this.encodedTemp = this.temp
  }

  protected get temporary(): string {
    return this.encodedTemp
  }

  protected describe(): string {
    return `encoding ${this.options.output}`
  }

  protected async prepare(): Promise<void> {
    const plan = await this.planned
    this.streams = plan.streams
    this.videoLanguage = plan.videoLanguage
  }

  protected override checkFirstFrame(layout: FrameLayout, index: number): void {
    const { pixFmt, color, size } = this.options.video!
    const { width, height } = size ?? layout
    if (layout.color) {
      // Y'CbCr frames reach the encoder with their matrix: it must be what the output is tagged as.
      const output = resolveColor(color, width, height)
      if (layout.color.matrix !== output.colorspace || layout.color.range !== output.range) {
        throw new SaveError(
          'E_INVALID_FRAME',
          `Frame ${index} is ${layout.pixelFormat} with matrix ${layout.color.matrix} and range ${layout.color.range}, but this ${width}x${height} output is tagged ${output.colorspace} ${output.range}: convert with that matrix and range, or send RGB`,
        )
      }
    }
    // A size given in the options was checked up front.
    if (size) return
    const { evenWidth: needsEvenWidth, evenHeight: needsEvenHeight } = evenSides(pixFmt)
    if ((needsEvenWidth && layout.width % 2) || (needsEvenHeight && layout.height % 2)) {
      const w = needsEvenWidth ? layout.width - (layout.width % 2) : layout.width
      const h = needsEvenHeight ? layout.height - (layout.height % 2) : layout.height
      throw new SaveError(
        'E_INVALID_FRAME',
        `Frame ${index} is ${layout.width}x${layout.height} but ${pixFmt} needs an even ${needsEvenHeight ? 'width and height' : 'width'}: crop or pad to ${w}x${h}, or use pixFmt 'yuv444p'`,
      )
    }
  }

  protected buildArgs(layout: FrameLayout, timing: StreamTiming): string[] {
    this.remux = needsRemux(this.options.video!, timing)
    if (this.remux) this.encodedTemp = temporarySibling(this.options.output, '.mkv')
    return videoArgs({
      timing,
      video: this.options.video!,
      width: layout.width,
      height: layout.height,
      pixelFormat: layout.pixelFormat,
      temporary: this.encodedTemp,
      ...(this.streams ? { streams: this.streams } : {}),
      ...(this.videoLanguage ? { videoLanguage: this.videoLanguage } : {}),
    }).args
  }

  protected async completed(): Promise<void> {
    try {
      if (this.remux) await this.runRemux()
      await moveIntoPlace(this.temp, this.options.output, this.options.overwrite)
    } catch (error) {
      await this.cleanup()
      if (error instanceof SaveError) throw error
      throw ioError(error, `moving the finished file to ${this.options.output}`)
    }
  }

  private async runRemux(): Promise<void> {
    const args = remuxArgs(this.options.video!, this.encodedTemp, this.temp, this.streams, this.videoLanguage)
    this.remuxProc = startFfmpeg(this.ffmpegPath, args)
    const proc = await this.remuxProc
    const status = await proc.end()
    if (status.code !== 0) throw copyError(proc, status, this.options.output)
    await fsp.rm(this.encodedTemp, { force: true })
  }

  protected async cleanup(): Promise<void> {
    if (this.remuxProc) await (await this.remuxProc).stop(this.options.killTimeoutMs)
    await Promise.all([this.temp, this.encodedTemp].map((f) => fsp.rm(f, { force: true }).catch(() => undefined)))
  }
}

/** Mode (b): one png/webp per frame, named by index, each written to a temporary name then renamed. */
export class ImageSink extends PipeSink {
  private readonly indices: number[] = []
  private readonly inFlight = new Set<string>()
  private saving: Promise<void> = Promise.resolve()
  private queued = 0
  private imagesSeen = 0

  protected get temporary(): string {
    return this.options.output
  }

  protected describe(): string {
    return `writing ${this.options.images!.format} frames to ${this.options.output}`
  }

  fileName(index: number): string {
    const { prefix, digits, format } = this.options.images!
    return `${prefix}${String(index).padStart(digits, '0')}.${format}`
  }

  protected async prepare(): Promise<void> {
    await this.planned
  }

  protected override checkFirstFrame(layout: FrameLayout, index: number): void {
    if (layout.color) {
      throw new SaveError('E_INVALID_FRAME', `Frame ${index} is ${layout.pixelFormat}, but ${this.options.images!.format} frames are written from RGB: send RGB images in image mode`)
    }
  }

  protected buildArgs(layout: FrameLayout): string[] {
    return imageArgs(this.options.images!, layout.pixelFormat as 'rgb24' | 'rgb48le')
  }

  protected override onStarted(proc: FfmpegProcess): void {
    const stdout = proc.child.stdout!
    const splitter = new ImageSplitter(this.options.images!.format, (file) => this.save(file))
    stdout.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk)
      } catch (error) {
        this.fail(new SaveError('E_FFMPEG', `Cannot split ffmpeg's image output: ${messageOf(error)}`, { cause: error }))
        void proc.stop(0)
      }
      if (this.queued > 2) stdout.pause()
    })
  }

  override async write(index: number, image: SaveImage, timecodeUs: number, timing: StreamTiming): Promise<void> {
    this.indices.push(index)
    try {
      await super.write(index, image, timecodeUs, timing)
    } catch (error) {
      this.indices.pop()
      throw error
    }
  }

  private save(file: Buffer): void {
    const index = this.indices[this.imagesSeen++]
    if (index === undefined) {
      this.fail(new SaveError('E_FFMPEG', 'ffmpeg produced more images than frames were sent'))
      return
    }
    this.queued++
    const name = this.fileName(index)
    const destination = path.join(this.options.output, name)
    const temp = temporarySibling(destination, '')
    this.saving = this.saving.then(async () => {
      if (this.failure) return
      this.inFlight.add(temp)
      try {
        await fsp.writeFile(temp, file)
        await moveIntoPlace(temp, destination, this.options.overwrite)
        this.emit({ type: 'saved', index, file: destination })
      } catch (error) {
        await fsp.rm(temp, { force: true }).catch(() => undefined)
        this.fail(error instanceof SaveError ? error : ioError(error, `writing ${destination}`))
        void this.proc?.stop(0)
      } finally {
        this.inFlight.delete(temp)
        this.queued--
        if (this.queued <= 2) this.proc?.child.stdout?.resume()
      }
    })
  }

  protected async completed(): Promise<void> {
    await this.saving
    if (this.failure) throw this.failure
    if (this.imagesSeen !== this.framesWritten) {
      throw this.fail(new SaveError('E_FFMPEG', `ffmpeg produced ${this.imagesSeen} images for ${this.framesWritten} frames:\n${this.proc?.stderrText() ?? ''}`))
    }
  }

  protected async cleanup(): Promise<void> {
    await this.saving.catch(() => undefined)
    await Promise.all([...this.inFlight].map((f) => fsp.rm(f, { force: true }).catch(() => undefined)))
  }
}

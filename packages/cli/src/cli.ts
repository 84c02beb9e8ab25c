import { Command, CommanderError, Option } from 'commander'
import { Subject, lastValueFrom, tap } from 'rxjs'
import {
  AUDIO_CODECS,
  CoreError,
  DEFAULT_MODEL,
  IMAGE_FORMATS,
  FRAME_FORMATS,
  PIPELINE_MODES,
  PIX_FMTS,
  PRESETS,
  PROVIDERS,
  SUBTITLE_CODECS,
  UpscaleError,
  VIDEO_CODECS,
  isVideoJob,
  listModels,
  probe,
  resolveImageJobs,
  upscaleImages,
  upscaleVideo,
  type ImageEvent,
  type ImageFormat,
  type FrameFormat,
  type PipelineMode,
  type PixFmt,
  type Preset,
  type Provider,
  type VideoCodec,
  type VideoEvent,
} from '@anime-upscaler/core'
import { startServer } from '@anime-upscaler/gradio-like-ui'
import { EXIT, type ExitCode } from './exit-codes'
import { listenForKeys } from './keys'
import { fraction, nonNegativeInteger, nonNegativeNumber, oneOf, positiveInteger, positiveNumber } from './options'
import { ProgressDisplay } from './progress'
import { VideoProgressDisplay } from './video-progress'

export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WriteStream
  /** Keys p (pause) and q (stop) are read from it when it is a terminal. */
  stdin?: NodeJS.ReadStream
  /** Aborted on Ctrl-C / SIGTERM / q. */
  signal?: AbortSignal
  /** Asks for a stop as Ctrl-C does (a second request forces the exit). */
  requestStop?: () => void
}

interface UpscaleFlags {
  output: string
  model: string
  scale?: number
  width?: number
  height?: number
  tile?: number
  tileOverlap?: number
  workers?: number
  threads?: number
  provider: Provider
  format?: ImageFormat
  quality?: number
  maxPixels?: number
  overwrite?: boolean
  json?: boolean
  codec?: VideoCodec
  crf?: number
  preset?: Preset
  pixFmt?: PixFmt
  audioCodec?: (typeof AUDIO_CODECS)[number]
  subtitleCodec?: (typeof SUBTITLE_CODECS)[number]
  mode: PipelineMode
  frameFormat: FrameFormat
  autoThreshold?: number
  capacity?: number
  keepPartial?: boolean
  plan?: string
  dedup: 'off' | 'default' | 'hash' | 'exact'
  detector?: string
  dedupHi?: number
  dedupLo?: number
  dedupFrac?: number
  dedupMaxRun?: number
}

function poolOptions(flags: UpscaleFlags) {
  return {
    model: flags.model,
    provider: flags.provider,
    workers: flags.workers,
    threads: flags.threads,
    tile: flags.tile,
    tileOverlap: flags.tileOverlap,
    target: { scale: flags.scale, width: flags.width, height: flags.height },
  }
}

/** Errors a user fixes by changing the command or its inputs: exit 2, not 1. */
const USAGE_CODES = new Set(['E_INVALID_ARGUMENT', 'E_INPUT_NOT_FOUND', 'E_INPUT_INVALID', 'E_NO_IMAGES', 'E_OUTPUT_EXISTS', 'E_MODEL_NOT_FOUND', 'E_MODEL_INVALID', 'E_MODEL_UNSUPPORTED'])

function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CoreError && error.code === 'E_ABORTED') return EXIT.interrupted
  const code = error instanceof CoreError || error instanceof UpscaleError ? error.code : undefined
  const causeCode = error instanceof Error && (error.cause instanceof UpscaleError || error.cause instanceof CoreError) ? error.cause.code : undefined
  return USAGE_CODES.has(code ?? '') || USAGE_CODES.has(causeCode ?? '') ? EXIT.usage : EXIT.failed
}

async function upscaleCommand(inputs: string[], flags: UpscaleFlags, io: CliIo): Promise<ExitCode> {
  const jobs = await resolveImageJobs(inputs, flags.output, flags.format)
  const display = new ProgressDisplay(io.stderr)
  const paused = new Subject<boolean>()
  const restoreTerminal = io.stdin ? listenForKeys(io.stdin, paused, () => io.requestStop?.()) : () => undefined
  try {
    const events = upscaleImages(jobs, {
      ...poolOptions(flags),
      overwrite: flags.overwrite,
      quality: flags.quality,
      maxPixels: flags.maxPixels,
      paused,
      signal: io.signal,
      onWarning: (message) => display.line(message),
    })
    const last = await lastValueFrom(
      events.pipe(
        tap((event: ImageEvent) => {
          if (flags.json) io.stdout.write(`${JSON.stringify(event.type === 'start' ? { ...event, model: event.model.id } : event)}\n`)
          display.handle(event)
        }),
      ),
    )
    return last.type === 'done' && last.failures.length === 0 ? EXIT.ok : EXIT.failed
  } finally {
    restoreTerminal()
  }
}

async function videoCommand(input: string, flags: UpscaleFlags, io: CliIo): Promise<ExitCode> {
  const display = new VideoProgressDisplay(io.stderr)
  const paused = new Subject<boolean>()
  const restoreTerminal = io.stdin ? listenForKeys(io.stdin, paused, () => io.requestStop?.()) : () => undefined
  try {
    const events = upscaleVideo(input, flags.output, {
      ...poolOptions(flags),
      mode: flags.mode,
      frameFormat: flags.frameFormat,
      autoThreshold: flags.autoThreshold,
      capacity: flags.capacity,
      encoder: { codec: flags.codec, crf: flags.crf, preset: flags.preset, pixFmt: flags.pixFmt, audioCodec: flags.audioCodec, subtitleCodec: flags.subtitleCodec },
      dedup: { detector: flags.detector ?? flags.dedup, hi: flags.dedupHi, lo: flags.dedupLo, frac: flags.dedupFrac, maxRun: flags.dedupMaxRun },
      overwrite: flags.overwrite,
      keepPartial: flags.keepPartial,
      planFile: flags.plan,
      paused,
      signal: io.signal,
      onWarning: (message) => display.line(message),
    })
    const last = await lastValueFrom(
      events.pipe(
        tap((event: VideoEvent) => {
          if (flags.json) io.stdout.write(`${JSON.stringify(event.type === 'start' ? { ...event, model: event.model.id } : event)}\n`)
          display.handle(event)
        }),
      ),
    )
    // With --keep-partial a stop or a failure still ends in a (partial) file: the exit code tells which.
    if (last.type === 'done' && last.partial) return io.signal?.aborted ? EXIT.interrupted : EXIT.failed
    return EXIT.ok
  } finally {
    restoreTerminal()
  }
}

async function probeCommand(file: string, flags: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const info = await probe(file)
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(info, null, 2)}\n`)
    return EXIT.ok
  }
  const { video } = info
  const rate = (r: { num: number; den: number } | undefined) => (r ? `${r.num}/${r.den} (${(r.num / r.den).toFixed(3)})` : '?')
  const lines = [
    `${file}: ${info.format.longName ?? info.format.name}, ${info.duration.toFixed(3)} s`,
    `video #${video.index}: ${video.codec} ${video.width}x${video.height}${video.rotation ? `, rotated ${video.rotation}° → ${video.displayWidth}x${video.displayHeight}` : ''}, ${video.pixelFormat} (${video.bitDepth}-bit)`,
    `  frames: ${video.frameCountExact ? '' : '~'}${video.frameCount}; rate ${rate(video.frameRate)}, r_frame_rate ${rate(video.rFrameRate)}, avg_frame_rate ${rate(video.avgFrameRate)}${video.variableFrameRate ? ', variable frame rate' : ''}`,
    `  colour: matrix ${video.color.matrix ?? 'unspecified'}, range ${video.color.range ?? 'unspecified'}, primaries ${video.color.primaries ?? 'unspecified'}, transfer ${video.color.transfer ?? 'unspecified'}; SAR ${video.sampleAspectRatio.num}:${video.sampleAspectRatio.den}`,
    ...info.streams
      .filter((s) => s.index !== video.index)
      .map((s) => `${s.type} #${s.index}: ${s.codec}${s.language ? ` [${s.language}]` : ''}${s.title ? ` "${s.title}"` : ''}${s.filename ? ` ${s.filename}` : ''}`),
    ...(info.chapters.length ? [`chapters: ${info.chapters.length}`] : []),
  ]
  io.stdout.write(`${lines.join('\n')}\n`)
  return EXIT.ok
}

interface UiFlags {
  host: string
  port?: number
  workDir?: string
  token?: string
  open?: boolean
  maxUploadMb?: number
  maxFiles?: number
  maxJobs?: number
}

async function uiCommand(flags: UiFlags, io: CliIo): Promise<ExitCode> {
  const server = await startServer({
    host: flags.host,
    port: flags.port,
    workDir: flags.workDir,
    token: flags.token,
    open: flags.open,
    maxUploadBytes: flags.maxUploadMb === undefined ? undefined : flags.maxUploadMb * 1024 * 1024,
    maxFiles: flags.maxFiles,
    maxConcurrentJobs: flags.maxJobs,
  })
  io.stderr.write(`anime-upscaler UI running at ${server.url}\n`)
  if (server.token) io.stderr.write(`Access token: ${server.token} (every request needs it; the URL above carries it)\n`)
  io.stderr.write('Press Ctrl-C to stop; uploads and results are removed when it stops.\n')
  // Runs until Ctrl-C / SIGTERM; then every job stops and the work folder goes.
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) resolve()
    io.signal?.addEventListener('abort', () => resolve(), { once: true })
  })
  await server.close()
  return EXIT.ok
}

function modelsCommand(flags: { json?: boolean }, io: CliIo): ExitCode {
  const models = listModels()
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(models)}\n`)
    return EXIT.ok
  }
  for (const m of models) {
    const marker = m.id === DEFAULT_MODEL ? ' (default)' : ''
    io.stdout.write(`${m.id}${marker}\n  ${m.description}\n  scale ${m.scale}x, ${m.flopsPerOutputPixel} FLOP per output pixel\n  source: ${m.source}\n`)
  }
  io.stdout.write('Any ONNX image super-resolution model (NCHW RGB in 0..1, float32 or float16) also works: --model path/to/model.onnx\n')
  return EXIT.ok
}

function buildProgram(io: CliIo, setResult: (run: Promise<ExitCode> | ExitCode) => void): Command {
  const program = new Command('anime-upscaler')
    .description('Upscale anime images and videos with neural networks (Anime4K built in, any ONNX super-resolution model).')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)')

  program
    .command('upscale')
    .description('Upscale a video, or images: files, folders (recursive, layout kept) and globs')
    .argument('<inputs...>', 'one video file, or image files, folders or quoted globs')
    .requiredOption('-o, --output <path>', 'output file (one input) or folder')
    .option('-m, --model <id|file.onnx>', 'built-in model id or path to an .onnx model', DEFAULT_MODEL)
    .option('-s, --scale <factor>', 'output scale, e.g. 2, 4 or 1.5 (default: the model\'s own)', positiveNumber('--scale'))
    .option('--width <pixels>', 'output width (height follows the aspect ratio unless --height is given)', positiveInteger('--width'))
    .option('--height <pixels>', 'output height', positiveInteger('--height'))
    .option('--tile <pixels>', 'tile size in input pixels (default: from a 1 GiB memory budget)', positiveInteger('--tile'))
    .option('--tile-overlap <pixels>', 'context pixels around each tile (default: the model\'s receptive field)', nonNegativeInteger('--tile-overlap'))
    .option('--workers <n>', 'parallel model sessions (default: from the CPU count)', positiveInteger('--workers'))
    .option('--threads <n>', 'onnxruntime threads per worker', positiveInteger('--threads'))
    .addOption(new Option('--provider <name>', 'execution provider; falls back to cpu with a warning').choices(PROVIDERS).default('cpu'))
    .addOption(new Option('-f, --format <format>', 'output format (default: from the output extension, else the input\'s)').argParser(oneOf('--format', IMAGE_FORMATS)))
    .option('-q, --quality <1-100>', 'jpg/webp/avif quality', positiveInteger('--quality'))
    .option('--max-pixels <n>', 'refuse inputs larger than this many pixels', positiveInteger('--max-pixels'))
    .option('--overwrite', 'replace existing outputs')
    .option('--json', 'print one JSON event per line on stdout')
    .addOption(new Option('--codec <codec>', 'video: encoder (default libx264, libvpx-vp9 for .webm)').choices(VIDEO_CODECS))
    .option('--crf <n>', 'video: constant quality (x264/x265 0-51, default 18/20; vp9 0-63)', nonNegativeInteger('--crf'))
    .addOption(new Option('--preset <preset>', 'video: encoder speed (default medium)').choices(PRESETS))
    .addOption(new Option('--pix-fmt <format>', 'video: encoded pixel format (default yuv420p)').choices(PIX_FMTS))
    .addOption(new Option('--audio-codec <codec>', 'video: copy (default), none, or an encoder').choices(AUDIO_CODECS))
    .addOption(new Option('--subtitle-codec <codec>', 'video: copy (default), none, or a text format').choices(SUBTITLE_CODECS))
    .addOption(new Option('--mode <mode>', 'video: concurrent stages, sequential (one frame at a time), or auto').choices(PIPELINE_MODES).default('concurrent'))
    .addOption(
      new Option('--frame-format <format>', "video: auto (the model outputs YUV 4:2:0 for 8-bit yuv420p outputs reached in one model pass: faster) or rgb (ffmpeg converts)")
        .choices(FRAME_FORMATS)
        .default('auto'),
    )
    .option('--auto-threshold <frames>', 'video: below this many frames auto runs sequentially (default 100)', positiveInteger('--auto-threshold'))
    .option('--capacity <frames>', 'video: most frames between decoder and encoder (default 16, less for big frames)', positiveInteger('--capacity'))
    .option('--keep-partial', 'video: on stop or error keep a playable file of what was encoded')
    .option('--plan <file>', 'video: write the JSON processing plan (per-frame decisions and timings) to this file')
    .addOption(new Option('--dedup <detector>', 'video: skip frames that repeat the last kept one').choices(['default', 'hash', 'exact', 'off']).default('default'))
    .option('--detector <module>', 'video: a custom duplicate detector module (see @anime-upscaler/stage-detect)')
    .option('--dedup-hi <n>', 'video, default detector: largest 8x8 block difference of a duplicate (default 768)', nonNegativeNumber('--dedup-hi'))
    .option('--dedup-lo <n>', 'video, default detector: block difference that counts against --dedup-frac (default 192)', nonNegativeNumber('--dedup-lo'))
    .option('--dedup-frac <0-1>', 'video, default detector: share of blocks allowed above --dedup-lo (default 0.33)', fraction('--dedup-frac'))
    .option('--dedup-max-run <n>', 'video: most duplicates in a row', positiveInteger('--dedup-max-run'))
    .action((inputs: string[], flags: UpscaleFlags) => {
      if (flags.scale !== undefined && (flags.width !== undefined || flags.height !== undefined)) {
        throw new CoreError('E_INVALID_ARGUMENT', 'input', 'Give either --scale or --width/--height, not both')
      }
      if (flags.quality !== undefined && flags.quality > 100) {
        throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected integer 1-100 for --quality but received ${flags.quality}`)
      }
      const video = inputs.length === 1 && isVideoJob(inputs[0], flags.output)
      setResult(video ? videoCommand(inputs[0], flags, io) : upscaleCommand(inputs, flags, io))
    })

  program
    .command('probe')
    .description('Show what the video decoder sees in a media file: streams, frame rate, frames, colour')
    .argument('<file>', 'video file, animated GIF or image sequence pattern (frame_%04d.png)')
    .option('--json', 'print the full probe result as JSON')
    .action((file: string, flags: { json?: boolean }) => setResult(probeCommand(file, flags, io)))

  program
    .command('ui')
    .description('Start the local web app (Gradio-like) and print its URL')
    .option('--host <address>', 'interface to listen on; anything but loopback requires an access token', '127.0.0.1')
    .option('--port <n>', 'port (default 7860 or the next free one; 0 for any)', nonNegativeInteger('--port'))
    .option('--work-dir <folder>', 'where the temporary folder for uploads and results is made (default: the OS temp folder)')
    .option('--token <token>', 'access token (generated and printed when binding beyond loopback)')
    .option('--open', 'open the URL in the default browser')
    .option('--max-upload-mb <n>', 'largest upload in MiB (default 2048)', positiveInteger('--max-upload-mb'))
    .option('--max-files <n>', 'most files per job (default 50)', positiveInteger('--max-files'))
    .option('--max-jobs <n>', 'jobs that run at once (default 1)', positiveInteger('--max-jobs'))
    .action((flags: UiFlags) => setResult(uiCommand(flags, io)))

  program
    .command('models')
    .description('List the built-in models with their scale, cost and source')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => setResult(modelsCommand(flags, io)))

  return program
}

/** Runs the CLI and returns its exit code; every error is reported here and nowhere else. */
export async function run(argv: string[], io: CliIo): Promise<ExitCode> {
  let result: Promise<ExitCode> | ExitCode = EXIT.ok
  const program = buildProgram(io, (r) => {
    result = r
  })
  try {
    await program.parseAsync(argv, { from: 'user' })
    return await result
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or help/version, which exit 0).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    const code = exitCodeFor(error)
    // A stop the user asked for is not an error: say what happened to the output.
    if (code === EXIT.interrupted) io.stderr.write('Stopped: nothing was left at the destination (use --keep-partial to keep what was encoded).\n')
    else io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
    return code
  }
}

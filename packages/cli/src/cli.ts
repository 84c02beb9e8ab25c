import { Command, CommanderError, Option } from 'commander'
import { lastValueFrom, tap } from 'rxjs'
import {
  CoreError,
  DEFAULT_MODEL,
  IMAGE_FORMATS,
  PROVIDERS,
  UpscaleError,
  listModels,
  resolveImageJobs,
  upscaleImages,
  type ImageEvent,
  type ImageFormat,
  type Provider,
} from '@anime-upscaler/core'
import { EXIT, type ExitCode } from './exit-codes'
import { nonNegativeInteger, oneOf, positiveInteger, positiveNumber } from './options'
import { ProgressDisplay } from './progress'

export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WriteStream
  /** Aborted on Ctrl-C / SIGTERM. */
  signal?: AbortSignal
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
}

/** Errors a user fixes by changing the command or its inputs: exit 2, not 1. */
const USAGE_CODES = new Set(['E_INVALID_ARGUMENT', 'E_INPUT_NOT_FOUND', 'E_NO_IMAGES', 'E_OUTPUT_EXISTS', 'E_MODEL_NOT_FOUND', 'E_MODEL_INVALID', 'E_MODEL_UNSUPPORTED'])

function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CoreError && error.code === 'E_ABORTED') return EXIT.interrupted
  const code = error instanceof CoreError || error instanceof UpscaleError ? error.code : undefined
  const causeCode = error instanceof Error && (error.cause instanceof UpscaleError || error.cause instanceof CoreError) ? error.cause.code : undefined
  return USAGE_CODES.has(code ?? '') || USAGE_CODES.has(causeCode ?? '') ? EXIT.usage : EXIT.failed
}

async function upscaleCommand(inputs: string[], flags: UpscaleFlags, io: CliIo): Promise<ExitCode> {
  const jobs = await resolveImageJobs(inputs, flags.output, flags.format)
  const display = new ProgressDisplay(io.stderr)
  const events = upscaleImages(jobs, {
    model: flags.model,
    provider: flags.provider,
    workers: flags.workers,
    threads: flags.threads,
    tile: flags.tile,
    tileOverlap: flags.tileOverlap,
    target: { scale: flags.scale, width: flags.width, height: flags.height },
    overwrite: flags.overwrite,
    quality: flags.quality,
    maxPixels: flags.maxPixels,
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
    .description('Upscale anime images with neural networks (Anime4K built in, any ONNX super-resolution model).')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)')

  program
    .command('upscale')
    .description('Upscale images: files, folders (recursive, layout kept) and globs')
    .argument('<inputs...>', 'image files, folders or quoted globs')
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
    .action((inputs: string[], flags: UpscaleFlags) => {
      if (flags.scale !== undefined && (flags.width !== undefined || flags.height !== undefined)) {
        throw new CoreError('E_INVALID_ARGUMENT', 'input', 'Give either --scale or --width/--height, not both')
      }
      if (flags.quality !== undefined && flags.quality > 100) {
        throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected integer 1-100 for --quality but received ${flags.quality}`)
      }
      setResult(upscaleCommand(inputs, flags, io))
    })

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
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
    return exitCodeFor(error)
  }
}

import { Option, type Command } from 'commander'
import {
  AUDIO_CODECS,
  CoreError,
  DEFAULTS,
  FRAME_FORMATS,
  IMAGE_FORMATS,
  PIPELINE_MODES,
  PIX_FMTS,
  PRESETS,
  PROVIDERS,
  REUSE_MODES,
  SUBTITLE_CODECS,
  VIDEO_CODECS,
  resolveMediaJobs,
  type FrameFormat,
  type ImageFormat,
  type PipelineMode,
  type PixFmt,
  type Preset,
  type Provider,
  type ReuseMode,
  type VideoCodec,
} from '@anime-upscaler/core'
import type { CommandContext } from '../context'
import type { ExitCode } from '../exit-codes'
import { fraction, nonNegativeInteger, nonNegativeNumber, oneOf, positiveInteger, positiveNumber } from '../options'
import { modelsDirOption } from './models'
import { upscaleBatchCommand } from './upscale-batch'
import { addSegmentOptions, checkSegmentFlags, type SegmentFlags } from './segment-flags'
import { addDistributedOptions } from './distributed'
import { upscaleImagesCommand } from './upscale-images'
import { upscaleVideoCommand } from './upscale-video'

export interface UpscaleFlags extends SegmentFlags {
  output: string
  model: string
  modelsDir?: string
  tta?: boolean
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
  maxOutputPixels?: number
  overwrite?: boolean
  json?: boolean
  codec?: VideoCodec
  crf?: number
  preset?: Preset
  pixFmt?: PixFmt
  audioCodec?: (typeof AUDIO_CODECS)[number]
  subtitleCodec?: (typeof SUBTITLE_CODECS)[number]
  attachments?: 'copy' | 'none'
  mode: PipelineMode
  frameFormat: FrameFormat
  autoThreshold?: number
  capacity?: number
  keepPartial?: boolean
  allowTruncated?: boolean
  plan?: string
  dedup: 'off' | 'default' | 'hash' | 'exact'
  detector?: string
  dedupHi?: number
  dedupLo?: number
  dedupFrac?: number
  dedupMaxRun?: number
  redis?: string
  reuse?: ReuseMode
  reuseRefs?: number
  reuseTile?: number
  reuseThreshold?: number
}

/** The options of core's worker pool and target, from the flags. */
export function poolOptions(flags: UpscaleFlags) {
  return {
    model: flags.model,
    modelsDir: flags.modelsDir,
    tta: flags.tta,
    provider: flags.provider,
    workers: flags.workers,
    threads: flags.threads,
    tile: flags.tile,
    tileOverlap: flags.tileOverlap,
    target: { scale: flags.scale, width: flags.width, height: flags.height },
  }
}

function addModelOptions(command: Command): Command {
  return command
    .option('-m, --model <name|file.onnx>', 'built-in model id, imported model name (see: models) or path to an .onnx model', DEFAULTS.model)
    .addOption(modelsDirOption())
    .option('--tta', 'best quality: average the 8 flips and rotations of every pass (8x the time)')
    .option('-s, --scale <factor>', "output scale, e.g. 2, 4 or 1.5 (default: the model's own)", positiveNumber('--scale'))
    .option('--width <pixels>', 'output width (height follows the aspect ratio unless --height is given)', positiveInteger('--width'))
    .option('--height <pixels>', 'output height', positiveInteger('--height'))
    .option('--tile <pixels>', 'tile size in input pixels (default: from a 1 GiB memory budget and short model calls)', positiveInteger('--tile'))
    .option('--tile-overlap <pixels>', "context pixels around each tile (default: the model's receptive field)", nonNegativeInteger('--tile-overlap'))
    .option('--workers <n>', `parallel model sessions (default ${DEFAULTS.layout.workers} here, from the CPU count)`, positiveInteger('--workers'))
    .option('--threads <n>', `onnxruntime threads per worker (workers x threads at most ${DEFAULTS.maxThreadsPerCore} per core)`, positiveInteger('--threads'))
    .addOption(new Option('--provider <name>', 'execution provider; falls back to cpu with a warning').choices(PROVIDERS).default('cpu'))
    .option('--max-output-pixels <n>', `refuse outputs larger than this many pixels (default ${DEFAULTS.maxOutputPixels}, from this machine's memory)`, positiveInteger('--max-output-pixels'))
    .option('--overwrite', 'replace existing outputs')
    .option('--json', 'print one JSON event per line on stdout')
}

function addImageOptions(command: Command): Command {
  return command
    .addOption(new Option('-f, --format <format>', "image output format (default: from the output extension, else the input's)").argParser(oneOf('--format', IMAGE_FORMATS)))
    .option('-q, --quality <1-100>', 'jpg/webp/avif quality', positiveInteger('--quality'))
    .option('--max-pixels <n>', `refuse input images larger than this many pixels (default ${DEFAULTS.maxInputPixels})`, positiveInteger('--max-pixels'))
}

function addEncoderOptions(command: Command): Command {
  const { crf } = DEFAULTS.encoder
  return command
    .addOption(new Option('--codec <codec>', `video: encoder (default ${DEFAULTS.encoder.codec}, libvpx-vp9 for .webm)`).choices(VIDEO_CODECS))
    .option('--crf <n>', `video: constant quality (x264/x265 0-51, default ${crf.libx264}/${crf.libx265}; vp9 0-63, default ${crf['libvpx-vp9']})`, nonNegativeInteger('--crf'))
    .addOption(new Option('--preset <preset>', `video: encoder speed (default ${DEFAULTS.encoder.preset})`).choices(PRESETS))
    .addOption(new Option('--pix-fmt <format>', `video: encoded pixel format (default: ${DEFAULTS.encoder.pixFmt}, ${DEFAULTS.encoder.highBitDepthPixFmt} for sources above 8 bits)`).choices(PIX_FMTS))
    .addOption(new Option('--audio-codec <codec>', 'video: copy (default), none, or an encoder').choices(AUDIO_CODECS))
    .addOption(new Option('--subtitle-codec <codec>', 'video: copy (default), none, or a text format').choices(SUBTITLE_CODECS))
    .addOption(new Option('--attachments <what>', 'video: copy (default) or none: the source\'s attachments (fonts of ASS subtitles)').choices(['copy', 'none']))
}

function addPipelineOptions(command: Command): Command {
  const { dedup } = DEFAULTS
  return command
    .addOption(new Option('--mode <mode>', 'video: concurrent stages, sequential (one frame at a time), or auto').choices(PIPELINE_MODES).default(DEFAULTS.mode))
    .addOption(
      new Option('--frame-format <format>', 'video: auto (the model outputs YUV 4:2:0 for 8-bit yuv420p outputs reached in one model pass: faster) or rgb (ffmpeg converts)')
        .choices(FRAME_FORMATS)
        .default(DEFAULTS.frameFormat),
    )
    .option('--auto-threshold <frames>', `video: below this many frames auto runs sequentially (default ${DEFAULTS.autoThreshold})`, positiveInteger('--auto-threshold'))
    .option('--capacity <frames>', `video: most frames between decoder and encoder (default ${DEFAULTS.capacity}, less for big frames)`, positiveInteger('--capacity'))
    .option('--keep-partial', 'video: on stop or error keep a playable file of what was encoded')
    .option('--allow-truncated', 'video: upscale the frames that decode from a damaged or truncated file instead of failing')
    .option('--plan <file>', 'video: write the JSON processing plan (per-frame decisions and timings) to this file')
    .addOption(new Option('--dedup <detector>', 'video: skip frames that repeat the last kept one').choices(['default', 'hash', 'exact', 'off']).default(dedup.detector))
    .option('--detector <module>', 'video: a custom duplicate detector module (see @anime-upscaler/stage-detect)')
    .option('--dedup-hi <n>', `video, default detector: largest 8x8 block difference of a duplicate (default ${dedup.hi})`, nonNegativeNumber('--dedup-hi'))
    .option('--dedup-lo <n>', `video, default detector: block difference that counts against --dedup-frac (default ${dedup.lo})`, nonNegativeNumber('--dedup-lo'))
    .option('--dedup-frac <0-1>', `video, default detector: share of blocks allowed above --dedup-lo (default ${dedup.frac})`, fraction('--dedup-frac'))
    .option('--dedup-max-run <n>', 'video: most duplicates in a row', positiveInteger('--dedup-max-run'))
}

function addReuseOptions(command: Command): Command {
  const { reuse } = DEFAULTS
  return command
    .addOption(
      new Option('--reuse <mode>', `video: off (duplicates repeat the last kept frame), frames (any of the last --reuse-refs kept frames), or tiles (also upscale only the tiles that changed) (default ${reuse.mode})`).choices(
        REUSE_MODES,
      ),
    )
    .option('--reuse-refs <n>', `video: kept frames a frame is compared with and whose results are held (default ${reuse.references}, fewer when memory is short)`, positiveInteger('--reuse-refs'))
    .option('--reuse-tile <pixels>', `video, --reuse tiles: tile side in source pixels, a multiple of 8 (default ${reuse.tileSize})`, positiveInteger('--reuse-tile'))
    .option('--reuse-threshold <n>', `video, --reuse tiles: 8x8 block difference above which a tile is upscaled again (default ${reuse.threshold})`, nonNegativeNumber('--reuse-threshold'))
}

/** Flag combinations that cannot work, refused before anything is read. */
function checkFlags(flags: UpscaleFlags): void {
  if (flags.scale !== undefined && (flags.width !== undefined || flags.height !== undefined)) {
    throw new CoreError('E_INVALID_ARGUMENT', 'input', 'Give either --scale or --width/--height, not both', { option: 'target' })
  }
  if (flags.quality !== undefined && flags.quality > 100) {
    throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected integer from 1 to 100 for --quality but received ${flags.quality}`, { option: 'quality', value: flags.quality })
  }
}

export function registerUpscale(program: Command, { io, setResult }: CommandContext): void {
  const command = program
    .command('upscale')
    .description('Upscale videos and images: files, folders (recursive, layout kept) and globs')
    .argument('<inputs...>', 'video and image files, folders or quoted globs')
    .requiredOption('-o, --output <path>', 'output file (one input) or folder')
  for (const add of [addModelOptions, addImageOptions, addEncoderOptions, addPipelineOptions, addReuseOptions, addSegmentOptions, addDistributedOptions]) add(command)
  command.action((inputs: string[], flags: UpscaleFlags) => {
    checkFlags(flags)
    checkSegmentFlags(flags)
    setResult(upscaleCommand(inputs, flags, io))
  })
}

/** Images alone, one video, or a batch with videos: each has its own display. */
async function upscaleCommand(inputs: string[], flags: UpscaleFlags, io: CommandContext['io']): Promise<ExitCode> {
  const jobs = await resolveMediaJobs(inputs, flags.output, { format: flags.format })
  const images = jobs.flatMap((job) => (job.kind === 'image' ? [job] : []))
  if (images.length === jobs.length) return upscaleImagesCommand(images, flags, io)
  if (jobs.length === 1) return upscaleVideoCommand(jobs[0].input, jobs[0].output, flags, io)
  return upscaleBatchCommand(jobs, flags, io)
}

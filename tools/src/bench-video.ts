/**
 * Video pipeline speed: the original app's design (every frame to PNG on disk, PNG → PNG upscale,
 * encode from PNGs) against core's `upscaleVideo` in `sequential` and `concurrent` mode, on the
 * same clips with the same model and encoder settings. Each configuration runs in a fresh child
 * process (`--run`), which measures itself and its ffmpeg children from /proc (see
 * bench/proc-sampler.ts) and prints one JSON line; this process prints the tables.
 *
 *   pnpm bench:video [--model anime4k-l] [--clips hero,short,hero1080,short5] [--only png,sequential,concurrent,rgb,dedup,frames,tiles,memory]
 *                    [--repeat N] [--preset medium] [--fixtures DIR] [--json FILE (raw results)]
 *
 * --repeat N runs the configurations of each clip N times in turn (1, 2, 3, 1, 2, 3, …), so that
 * the machine's changing speed affects them alike, and reports each one's median-wall run.
 *
 * (1)-(3) upscale every frame, so that only the design differs; (3b) `rgb` is (3) with RGB frames
 * to the encoder (ffmpeg converts) instead of the model's Y'CbCr 4:2:0; (4) `dedup` is (3) with
 * core's duplicate-frame detection on (its default), to measure what skipping duplicates saves;
 * (5) `frames` lets a duplicate repeat any of 8 kept frames, (6) `tiles` also upscales only the
 * changed tiles (core's default reuse). (1)-(4) run with `reuse: 'off'`. (4)-(6) print the model
 * work: source pixels that went through the model over all source pixels.
 *
 * Results and method: docs/speed.md, "Video pipeline".
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import {
  PRESETS,
  probe,
  resolveFfmpeg,
  resolveFfprobe,
  resolveImageJobs,
  upscaleImages,
  upscaleVideo,
  type ImageEvent,
  type MediaInfo,
  type Preset,
  type UpscaleVideoOptions,
  type VideoEvent,
} from '@anime-upscaler/core'
import { TreeSampler, classifyFfmpeg, type SamplerReport } from './bench/proc-sampler'
import { runProcess } from './bench/run-process'
import { fixturePaths } from './bench/fixtures'
import { CLIPS, CONFIGS, DERIVED_CLIPS, LABEL, f1, formatReport, type Config, type RunResult } from './bench/video-report'

const ONLY = [...CONFIGS, 'memory'] as const

/** One encoder setting for all designs: libx264 crf 18, yuv420p, preset medium (core's default) unless --preset. */
const ENCODER: { codec: 'libx264'; preset: Preset; crf: number; pixFmt: 'yuv420p' } = { codec: 'libx264', preset: 'medium', crf: 18, pixFmt: 'yuv420p' }
/** Every output is Matroska: it holds the sources' Opus and AAC streams as they are. */
const OUTPUT_EXT = '.mkv'

// ---------------------------------------------------------------------------------------------------------
// Child: one configuration, measured

/** The matrix our own decoder (stage-extract) converts with, so the PNG design does the same conversion. */
function sourceMatrix(info: MediaInfo): { matrix: string; range: string } {
  const byTag: Record<string, string> = { bt709: 'bt709', smpte170m: 'bt601', bt470bg: 'bt601', bt2020nc: 'bt2020', smpte240m: 'smpte240m' }
  const { width, height, color } = info.video
  const matrix = (color.matrix ? byTag[color.matrix] : undefined) ?? (width >= 1280 || height > 576 ? 'bt709' : 'bt601')
  return { matrix, range: color.range ?? 'tv' }
}

/** Output colour as stage-save tags it with colorspace 'auto': BT.709 above 1024x576, else SMPTE 170M. */
function outputColor(width: number, height: number): string[] {
  const hd = width > 1024 || height > 576
  const [matrix, space, primaries, transfer] = hd ? ['bt709', 'bt709', 'bt709', 'bt709'] : ['smpte170m', 'smpte170m', 'smpte170m', 'smpte170m']
  return [
    '-vf',
    `scale=out_color_matrix=${matrix}:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_int,format=${ENCODER.pixFmt}`,
    '-color_primaries',
    primaries,
    '-color_trc',
    transfer,
    '-colorspace',
    space,
    '-color_range',
    'tv',
  ]
}

function imageBatch(jobs: Awaited<ReturnType<typeof resolveImageJobs>>, model: string, signal: AbortSignal): Promise<{ start?: ImageEvent; done: Extract<ImageEvent, { type: 'done' }> }> {
  return new Promise((resolve, reject) => {
    let start: ImageEvent | undefined
    upscaleImages(jobs, { model, overwrite: true, signal }).subscribe({
      next: (event) => {
        if (event.type === 'start') start = event
        if (event.type === 'done') resolve({ start, done: event })
      },
      error: reject,
    })
  })
}

/** (1) The original app's design: all frames to PNG, PNG → PNG with core's image path, encode from PNGs. */
async function runPngDesign(clip: string, work: string, model: string, signal: AbortSignal) {
  const ffmpeg = resolveFfmpeg()
  const info = await probe(clip, { signal })
  const frames = path.join(work, 'frames')
  const upscaled = path.join(work, 'upscaled')
  await mkdir(frames, { recursive: true })
  const output = path.join(work, `png${OUTPUT_EXT}`)
  const { matrix, range } = sourceMatrix(info)

  const t0 = performance.now()
  await runProcess(
    ffmpeg,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', clip, '-map', `0:${info.video.index}`, '-an', '-sn', '-dn',
      '-vf', `scale=in_color_matrix=${matrix}:in_range=${range}:flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24`,
      '-vsync', 'passthrough', '-start_number', '0', '-f', 'image2', path.join(frames, '%06d.png')],
    { signal },
  )
  const t1 = performance.now()
  const jobs = await resolveImageJobs([frames], upscaled, 'png')
  const { start, done } = await imageBatch(jobs, model, signal)
  if (done.failures.length > 0) throw new Error(`${done.failures.length} frames failed to upscale, first: ${done.failures[0].message}`)
  const t2 = performance.now()
  const { num, den } = info.video.frameRate
  const first = done.results[0]
  await runProcess(
    ffmpeg,
    ['-hide_banner', '-nostdin', '-loglevel', 'error',
      '-f', 'image2', '-framerate', `${num}/${den}`, '-start_number', '0', '-i', path.join(upscaled, '%06d.png'), '-i', clip,
      '-map', '0:v:0', '-map', '1:a?', '-c:a', 'copy',
      ...outputColor(first.width, first.height),
      '-c:v', ENCODER.codec, '-preset', ENCODER.preset, '-crf', String(ENCODER.crf), '-pix_fmt', ENCODER.pixFmt,
      '-r', `${num}/${den}`, '-max_interleave_delta', '0', '-y', output],
    { signal },
  )
  const t3 = performance.now()
  const layout = start?.type === 'start' ? `${start.workers} x ${start.threads}` : '?'
  return {
    output,
    sourceFrames: jobs.length,
    upscaledFrames: done.results.length,
    layout,
    phases: { extract: (t1 - t0) / 1000, upscale: (t2 - t1) / 1000, encode: (t3 - t2) / 1000 },
  }
}

/** What (2)-(6) ask of core besides the model and the encoder. */
function coreOptions(config: Exclude<Config, 'png'>): UpscaleVideoOptions {
  const skipsDuplicates = config === 'dedup' || config === 'frames' || config === 'tiles'
  return {
    mode: config === 'sequential' ? 'sequential' : 'concurrent',
    // (3b): frames leave the model as RGB and ffmpeg converts them, as before the model output Y'CbCr.
    frameFormat: config === 'rgb' ? 'rgb' : 'auto',
    dedup: skipsDuplicates ? {} : { detector: 'off' },
    reuse: config === 'frames' || config === 'tiles' ? config : 'off',
  }
}

/** (2)-(6): core's in-memory pipeline. */
function runCore(clip: string, work: string, model: string, config: Exclude<Config, 'png'>, signal: AbortSignal) {
  const output = path.join(work, `${config}${OUTPUT_EXT}`)
  return new Promise<{ output: string; sourceFrames: number; layout: string; upscaledFrames: number; modelWork: number }>((resolve, reject) => {
    let layout = '?'
    let decoded = 0
    upscaleVideo(clip, output, { ...coreOptions(config), model, encoder: { ...ENCODER }, overwrite: true, signal }).subscribe({
      next: (event: VideoEvent) => {
        if (event.type === 'start') layout = `${event.workers} x ${event.threads}, capacity ${event.capacity}, ${event.frameFormat} to the encoder, reuse ${event.reuse.mode}`
        if (event.type === 'progress') decoded = event.decoded
        if (event.type === 'done') resolve({ output: event.output, sourceFrames: decoded, layout, upscaledFrames: event.unique, modelWork: event.modelWork })
      },
      error: reject,
    })
  })
}

/** Video packet count, size and stream list of a finished output (ffprobe, after the measurement). */
async function inspectOutput(file: string): Promise<{ frames: number; size: string; streams: string[] }> {
  const text = await runProcess(
    resolveFfprobe(),
    ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_packets', '-of', 'json', file],
    { stdout: true },
  )
  const streams = (JSON.parse(text) as { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; nb_read_packets?: string }> }).streams
  const video = streams.find((s) => s.codec_type === 'video')
  return {
    frames: Number(video?.nb_read_packets ?? 0),
    size: video ? `${video.width}x${video.height}` : '-',
    streams: streams.map((s) => `${s.codec_type}:${s.codec_name}`),
  }
}

async function runChild(config: Config, clip: string, model: string, workDir: string | undefined): Promise<void> {
  const stop = new AbortController()
  const onSignal = () => {
    stop.abort()
    process.exitCode = 130
    // Core ends its ffmpeg processes on abort; give it a moment, then go regardless.
    setTimeout(() => process.exit(130), 5000).unref()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const ownWork = workDir === undefined
  const work = workDir ?? (await mkdtemp(path.join(tmpdir(), 'bench-video-')))
  const sampler = new TreeSampler(classifyFfmpeg)
  let report: SamplerReport | undefined
  try {
    await mkdir(work, { recursive: true })
    sampler.start()
    const run: { output: string; sourceFrames: number; upscaledFrames: number; layout: string; phases?: RunResult['phases']; modelWork?: number } =
      config === 'png' ? await runPngDesign(clip, work, model, stop.signal) : await runCore(clip, work, model, config, stop.signal)
    report = sampler.stop()
    const inspected = await inspectOutput(run.output)
    const result: RunResult = {
      config,
      clip,
      model,
      frames: inspected.frames,
      sourceFrames: run.sourceFrames,
      upscaledFrames: run.upscaledFrames,
      ...(run.modelWork === undefined ? {} : { modelWork: run.modelWork }),
      outputStreams: inspected.streams,
      outputSize: inspected.size,
      layout: run.layout,
      ...(run.phases ? { phases: run.phases } : {}),
      report,
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    if (!report) sampler.stop()
    if (ownWork) await rm(work, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parent: runs every configuration in a fresh process and prints the tables

let activeChild: ChildProcess | undefined
/** Set once Ctrl-C / SIGTERM arrived: the signal handler cleans up and exits 130. */
let stopping = false

function spawnRun(config: Config, clip: string, model: string, work: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const args = [process.argv[1], '--run', config, '--clip', clip, '--model', model, '--preset', ENCODER.preset, '--work', work]
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    activeChild = child
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      activeChild = undefined
      if (code !== 0) {
        reject(new Error(`${config} run on ${path.basename(clip)} failed (${signal ?? `exit ${code}`})`))
        return
      }
      const line = out.trim().split('\n').pop() ?? ''
      try {
        resolve(JSON.parse(line) as RunResult)
      } catch {
        reject(new Error(`${config} run on ${path.basename(clip)} printed no result: ${out.slice(-300)}`))
      }
    })
  })
}

/**
 * The memory check's inputs: short_360p.mp4 5 and 25 times over (360 and 1800 frames), with the
 * concat demuxer and stream copy. Even the shorter one runs well past the pipeline's warm-up: the
 * 72-frame clip alone ends about when 64 frames of capacity have first filled.
 */
const MEMORY_REPEATS = [5, 25] as const

async function repeatClip(file: string, times: number, work: string): Promise<string> {
  const list = path.join(work, `concat-${times}.txt`)
  const output = path.join(work, `${times}x_${path.basename(file)}`)
  const quoted = file.replace(/'/g, `'\\''`)
  await writeFile(list, `ffconcat version 1.0\n${Array.from({ length: times }, () => `file '${quoted}'\n`).join('')}`)
  await runProcess(resolveFfmpeg(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', '-y', output])
  return output
}

interface Options {
  model: string
  clips: string[]
  configs: Config[]
  memory: boolean
  repeat: number
  fixtures?: string
  json?: string
}

const ARGS = {
  run: { type: 'string' },
  clip: { type: 'string' },
  work: { type: 'string' },
  model: { type: 'string', default: 'anime4k-l' },
  clips: { type: 'string', default: 'hero,short' },
  only: { type: 'string', default: ONLY.join(',') },
  fixtures: { type: 'string' },
  json: { type: 'string' },
  repeat: { type: 'string', default: '1' },
  preset: { type: 'string', default: ENCODER.preset },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof ARGS }>>['values']

/** The comma-separated items of a flag, each checked against what it allows. */
function listOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').filter(Boolean)
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`Expected ${flag} from ${allowed.join(',')} but received '${item}'`)
  return items as T[]
}

/** The parent's options, checked. */
function parentOptions(values: Values): Options {
  const repeat = Number(values.repeat)
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`Expected positive integer for --repeat but received '${values.repeat}'`)
  const clips = listOf('--clips', values.clips!, [...Object.keys(CLIPS), ...Object.keys(DERIVED_CLIPS)])
  const only = listOf('--only', values.only!, ONLY)
  return { model: values.model!, clips, configs: CONFIGS.filter((c) => only.includes(c)), memory: only.includes('memory'), repeat, fixtures: values.fixtures, json: values.json }
}

/** A temporary folder for the runs, removed at the end and on Ctrl-C / SIGTERM (after the running child). */
async function withWorkRoot<T>(body: (root: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(path.join(tmpdir(), 'bench-video-'))
  let cleaned = false
  const cleanup = async () => {
    if (cleaned) return
    cleaned = true
    await rm(root, { recursive: true, force: true })
  }
  const onSignal = (signal: NodeJS.Signals) => {
    stopping = true
    process.stderr.write(`\n${signal}: stopping the run and removing ${root}\n`)
    const child = activeChild
    const finish = () => void cleanup().finally(() => process.exit(130))
    if (child && child.exitCode === null && child.signalCode === null) {
      child.once('close', finish)
      child.kill('SIGTERM')
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      }, 8000).unref()
    } else finish()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await body(root)
  } finally {
    await cleanup()
  }
}

/** One configuration on one clip in a fresh child, its work folder removed after. */
async function measure(config: Config, clip: string, file: string, model: string, work: string, round: string): Promise<RunResult> {
  process.stderr.write(`[${clip}]${round} ${LABEL[config]} ...`)
  const result = await spawnRun(config, file, model, work)
  await rm(work, { recursive: true, force: true })
  process.stderr.write(` ${f1(result.report.wallSeconds)} s\n`)
  return result
}

interface ClipResults {
  /** Each configuration's median-wall run. */
  median: Partial<Record<Config, RunResult>>
  /** Wall seconds of every run, in run order. */
  walls: Partial<Record<Config, number[]>>
}

/** Every configuration on one clip, `repeat` rounds taking turns. */
async function runClip(clip: string, file: string, options: Options, root: string): Promise<ClipResults> {
  const runs: Partial<Record<Config, RunResult[]>> = {}
  for (let round = 1; round <= options.repeat; round++) {
    for (const config of options.configs) {
      const label = options.repeat > 1 ? ` round ${round}/${options.repeat}` : ''
      ;(runs[config] ??= []).push(await measure(config, clip, file, options.model, path.join(root, `${clip}-${config}-${round}`), label))
    }
  }
  const median: ClipResults['median'] = {}
  const walls: ClipResults['walls'] = {}
  for (const config of options.configs) {
    const sorted = [...runs[config]!].sort((a, b) => a.report.wallSeconds - b.report.wallSeconds)
    median[config] = sorted[(sorted.length - 1) >> 1]
    walls[config] = runs[config]!.map((run) => run.report.wallSeconds)
  }
  return { median, walls }
}

/** The memory check: concurrent mode on short_360p.mp4 repeated (see MEMORY_REPEATS). */
async function runMemory(short: string, model: string, root: string): Promise<RunResult[]> {
  const results: RunResult[] = []
  for (const times of MEMORY_REPEATS) {
    const clip = await repeatClip(short, times, root)
    results.push(await measure('concurrent', 'memory', clip, model, path.join(root, `memory-${times}`), ''))
  }
  return results
}

/** A derived clip (DERIVED_CLIPS) made from its fixture in the work folder. */
async function deriveClip(clip: string, fixture: string, work: string): Promise<string> {
  const derived = DERIVED_CLIPS[clip]
  if ('times' in derived) return repeatClip(fixture, derived.times, work)
  const { width, height, seconds } = derived
  const output = path.join(work, `${clip}.mkv`)
  const video = ['-vf', `scale=${width}:${height}:flags=lanczos`, '-c:v', 'libx264', '-crf', '16', '-preset', 'veryfast', '-pix_fmt', 'yuv420p']
  await runProcess(resolveFfmpeg(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', fixture, '-t', String(seconds), '-map', '0', ...video, '-c:a', 'copy', '-y', output])
  return output
}

/** The parent: every configuration on every clip, then the tables. */
async function runAll(options: Options): Promise<void> {
  const fixtures = options.clips.map((clip) => DERIVED_CLIPS[clip]?.from ?? clip)
  const files = fixturePaths(options.fixtures, [...new Set([...fixtures, ...(options.memory ? ['short'] : [])])])
  resolveFfmpeg()
  const cores = availableParallelism()
  const loadBefore = loadavg()
  await withWorkRoot(async (root) => {
    for (const clip of options.clips) if (DERIVED_CLIPS[clip]) files[clip] = await deriveClip(clip, files[DERIVED_CLIPS[clip].from], root)
    const results: Record<string, Partial<Record<Config, RunResult>>> = {}
    const walls: Record<string, Partial<Record<Config, number[]>>> = {}
    for (const clip of options.clips) ({ median: results[clip], walls: walls[clip] } = await runClip(clip, files[clip], options, root))
    const memoryRuns = options.memory ? await runMemory(files.short, options.model, root) : []
    const loadAfter = loadavg()
    const { model, repeat, clips, configs } = options
    const text = formatReport({ model, repeat, walls, encoder: `${ENCODER.codec} ${ENCODER.preset} crf ${ENCODER.crf} ${ENCODER.pixFmt}`, cores, loadBefore, loadAfter, clips, configs, results, memoryRuns })
    if (options.json) await writeFile(options.json, `${JSON.stringify({ model, cores, loadBefore, loadAfter, results, memoryRuns }, null, 2)}\n`)
    console.log(text)
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: ARGS })
  if (!PRESETS.includes(values.preset as Preset)) throw new Error(`Expected --preset ${PRESETS.join('|')} but received '${values.preset}'`)
  ENCODER.preset = values.preset as Preset
  if (values.run === undefined) return runAll(parentOptions(values))
  if (!CONFIGS.includes(values.run as Config)) throw new Error(`Expected --run ${CONFIGS.join('|')} but received '${values.run}'`)
  if (!values.clip) throw new Error('--run needs --clip FILE')
  await runChild(values.run as Config, path.resolve(values.clip), values.model!, values.work)
}

main().catch((error: unknown) => {
  if (stopping) return
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
  // Let worker threads and native work finish closing (an immediate exit can abort in onnxruntime/sharp);
  // exit anyway if something still holds the event loop after 5 s.
  process.exitCode = process.exitCode || 1
  setTimeout(() => process.exit(), 5000).unref()
})

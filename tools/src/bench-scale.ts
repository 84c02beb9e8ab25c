/**
 * Long videos on more hands. Local part: a segmented run (`upscaleVideo` with `segments`) against
 * an unsegmented one on the same clip, model and encoder, and the choice of intermediate: the final
 * codec in closed-GOP segments joined by a stream copy (what core does) against lossless segments
 * (FFV1) that a final encode pass turns into the output.
 *
 *   pnpm bench:scale [--clip FILE] [--model anime4k-s] [--seconds 5] [--preset medium] [--repeat N]
 *                    [--only whole,segmented,one-lane,lossless] [--spawn helper|here]
 *
 * The configurations run in turn (1, 2, 3, 1, 2, 3 … with --repeat), in this process, each with its
 * model load, so that the machine's changing speed affects them alike; each one's median-wall run
 * is reported. The runs get the environment the CLI gives its work process (huge pages for malloc,
 * common's `modelProcessEnv`): the script starts itself again with it unless GLIBC_TUNABLES is set.
 * As the CLI, it starts ffmpeg through common's spawn helper (`--spawn here`: from this process).
 * Results and method: docs/speed.md, "Long videos".
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { lastValueFrom, toArray } from 'rxjs'
import { modelProcessEnv, useSpawnHelper } from '@anime-upscaler/common'
import { PRESETS, resolveFfmpeg, resolveFfprobe, upscaleVideo, type Preset, type UpscaleVideoOptions, type VideoEvent } from '@anime-upscaler/core'
import { TreeSampler, classifyFfmpeg, type SamplerReport } from './bench/proc-sampler'
import { findRepoRoot } from './repo-root'

const CONFIGS = ['whole', 'segmented', 'one-lane', 'lossless'] as const
type Config = (typeof CONFIGS)[number]

const LABEL: Record<Config, string> = {
  whole: 'unsegmented',
  segmented: 'segmented, final codec (relay, 2 in flight)',
  'one-lane': 'segmented, final codec, 1 at a time',
  lossless: 'segmented, FFV1 + final encode pass',
}

interface Settings {
  clip: string
  model: string
  seconds: number
  preset: Preset
  /** Who starts ffmpeg: common's spawn helper (as the CLI) or this process. */
  spawn: 'helper' | 'here'
}

interface Result {
  config: Config
  wallS: number
  /** CPU seconds of the whole run, ffmpeg included: the work, whatever else runs on the machine. */
  cpuS: number
  /** Of cpuS: this process (model workers, detection, the pipeline), the ffmpeg decoders and encoders, the rest (probes, the join). */
  split: { node: number; decode: number; encode: number; other: number }
  /** This process's minor page faults (most of them after each spawn: see TreeSampler) and its kernel CPU seconds. */
  nodeFaults: number
  nodeSystemS: number
  /** CPU seconds the hypervisor gave to other guests during the run, and other processes here used (the machine's load). */
  machine: { steal: number; others: number }
  /** Of wallS, the final encode pass of the lossless design. */
  finalPassS?: number
  segments: number
  bytes: number
  /** Bytes of the lossless intermediate (the joined FFV1 file). */
  intermediateBytes?: number
  keyframes: number
  frames: number
}

/** A run's CPU seconds as "Node / decode / encode / other". */
function splitText({ split }: Result): string {
  return [split.node, split.decode, split.encode, split.other].map((s) => s.toFixed(1)).join(' / ')
}

/** A run's Node page faults and kernel CPU, as "216k, 4.2 s". */
function faultsText(r: Result): string {
  return `${Math.round(r.nodeFaults / 1000)}k, ${r.nodeSystemS.toFixed(1)} s`
}

function keyframes(file: string): number {
  const text = execFileSync(resolveFfprobe(), ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=flags', '-of', 'csv=p=0', file], { encoding: 'utf8' })
  return text.split('\n').filter((flags) => flags.includes('K')).length
}

/** The lossless design's second half: the FFV1 output encoded as the final codec, the other streams copied. */
function finalPass(lossless: string, output: string, preset: Preset): number {
  const started = performance.now()
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-i', lossless, '-map', '0', '-c', 'copy', '-c:v', 'libx264', '-preset', preset, '-crf', '18', '-pix_fmt', 'yuv420p', '-y', output])
  return (performance.now() - started) / 1000
}

async function runOne(config: Config, settings: Settings, dir: string, signal: AbortSignal): Promise<Result> {
  const output = path.join(dir, `${config}.mkv`)
  rmSync(output, { force: true })
  const encoder = { codec: 'libx264' as const, preset: settings.preset, crf: 18, pixFmt: 'yuv420p' as const }
  const base: UpscaleVideoOptions = { model: settings.model, encoder, overwrite: true, signal }
  const segments = { seconds: settings.seconds, ...(config === 'one-lane' ? { concurrency: 1 } : {}) }
  const options: UpscaleVideoOptions =
    config === 'whole' ? base : config === 'lossless' ? { ...base, encoder: { codec: 'ffv1' }, segments, resume: false } : { ...base, segments, resume: false }
  const started = performance.now()
  const sampler = new TreeSampler(classifyFfmpeg)
  sampler.start()
  let cpu: SamplerReport | undefined
  const target = config === 'lossless' ? path.join(dir, 'lossless-ffv1.mkv') : output
  let events: VideoEvent[]
  let finalPassS: number | undefined
  try {
    events = await lastValueFrom(upscaleVideo(settings.clip, target, options).pipe(toArray()))
    finalPassS = config === 'lossless' ? finalPass(target, output, settings.preset) : undefined
  } finally {
    cpu = sampler.stop()
  }
  const wallS = (performance.now() - started) / 1000
  const start = events.find((event) => event.type === 'start')
  const done = events.at(-1)
  if (start?.type !== 'start' || done?.type !== 'done') throw new Error(`${config}: the run did not finish`)
  const { decode, encode } = cpu.stageCpuSeconds
  const children = cpu.childProcessesCpuSeconds
  return {
    config,
    wallS,
    cpuS: cpu.selfCpuSeconds + children,
    split: { node: cpu.selfCpuSeconds, decode, encode, other: children - decode - encode },
    nodeFaults: cpu.selfMinorFaults,
    nodeSystemS: cpu.selfSystemSeconds,
    machine: { steal: cpu.machine.stealSeconds, others: cpu.machine.otherSeconds },
    ...(finalPassS !== undefined ? { finalPassS, intermediateBytes: statSync(target).size } : {}),
    segments: start.segments?.count ?? 1,
    bytes: statSync(output).size,
    keyframes: keyframes(output),
    frames: done.frames,
  }
}

function median(results: Result[]): Result {
  const sorted = [...results].sort((a, b) => a.wallS - b.wallS)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

function report(results: Result[], settings: Settings, repeat: number, load: number[]): string {
  const byConfig = CONFIGS.map((config) => results.filter((r) => r.config === config)).filter((runs) => runs.length > 0).map(median)
  const whole = byConfig.find((r) => r.config === 'whole')
  const rows = byConfig.map((r) => {
    const ratio = whole ? `${(r.wallS / whole.wallS).toFixed(3)}x` : ''
    const pass = r.finalPassS !== undefined ? ` (final pass ${r.finalPassS.toFixed(1)} s)` : ''
    const intermediate = r.intermediateBytes !== undefined ? `${(r.intermediateBytes / 1e6).toFixed(1)} MB` : ''
    const cpu = whole ? `${r.cpuS.toFixed(1)} s (${(r.cpuS / whole.cpuS).toFixed(3)}x)` : `${r.cpuS.toFixed(1)} s`
    return `| ${LABEL[r.config]} | ${r.segments} | ${r.frames} | ${r.wallS.toFixed(1)} s${pass} | ${ratio} | ${cpu} | ${splitText(r)} | ${faultsText(r)} | ${(r.bytes / 1e6).toFixed(2)} MB | ${r.keyframes} | ${intermediate} |`
  })
  return [
    `clip ${path.basename(settings.clip)}, model ${settings.model}, libx264 crf 18 preset ${settings.preset}, segments of ~${settings.seconds} s`,
    `${availableParallelism()} cores, GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? '(unset)'}, ffmpeg started ${settings.spawn === 'helper' ? 'by the spawn helper' : 'by this process'}; load average before: ${load.map((l) => l.toFixed(2)).join(' ')}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}${repeat > 1 ? `; median of ${repeat} runs each, in turn` : ''}`,
    '',
    '| run | segments | frames | wall | vs unsegmented | CPU | CPU s: Node / decode / encode / other | Node: page faults, kernel CPU | output | keyframes | intermediate |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

function defaultClip(): string {
  const root = findRepoRoot()
  const clip = root ? path.resolve(root, '../shared/fixtures/video/hero_360p.webm') : ''
  if (!existsSync(clip)) throw new Error('Cannot find ../shared/fixtures/video/hero_360p.webm: pass --clip FILE')
  return clip
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clip: { type: 'string' },
      model: { type: 'string', default: 'anime4k-s' },
      seconds: { type: 'string', default: '5' },
      preset: { type: 'string', default: 'medium' },
      repeat: { type: 'string', default: '1' },
      only: { type: 'string', default: CONFIGS.join(',') },
      spawn: { type: 'string', default: 'helper' },
    },
  })
  if (values.spawn !== 'helper' && values.spawn !== 'here') throw new Error(`Expected --spawn helper or here but received '${values.spawn}'`)
  // As the CLI's work process: ffmpeg is forked by the small helper process, not by this big one.
  if (values.spawn === 'helper') useSpawnHelper()
  if (!(PRESETS as readonly string[]).includes(values.preset)) throw new Error(`Expected --preset one of ${PRESETS.join(', ')} but received '${values.preset}'`)
  const only = values.only.split(',') as Config[]
  for (const config of only) if (!CONFIGS.includes(config)) throw new Error(`Expected --only from ${CONFIGS.join(', ')} but received '${config}'`)
  const settings: Settings = { clip: values.clip ?? defaultClip(), model: values.model, seconds: Number(values.seconds), preset: values.preset as Preset, spawn: values.spawn }
  const repeat = Number(values.repeat)
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-scale-'))
  // Ctrl-C or a kill stops the run in progress, so that its files go with the folder below.
  const stop = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the run and removing ${dir}\n`)
    process.exitCode = 130
    stop.abort()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const load = loadavg()
  const results: Result[] = []
  try {
    for (let round = 0; round < repeat; round++) {
      for (const config of only) {
        const result = await runOne(config, settings, dir, stop.signal)
        process.stderr.write(`${LABEL[config]}: ${result.wallS.toFixed(1)} s, CPU ${result.cpuS.toFixed(1)} s (Node / decode / encode / other ${splitText(result)}); Node page faults, kernel CPU ${faultsText(result)}; steal ${result.machine.steal.toFixed(1)} s, other processes ${result.machine.others.toFixed(1)} s\n`)
        results.push(result)
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  process.stdout.write(`${report(results, settings, repeat, load)}\n`)
}

/**
 * glibc reads its tunables at start: without them, this process starts itself again with the CLI's
 * environment; the child's exit code is this one's. The child has a process group of its own, so
 * that a SIGINT or SIGTERM reaches it once, passed on from here, whether it came from a terminal's
 * Ctrl-C (sent to this group) or to this pid alone.
 */
function rerunWithModelEnv(): boolean {
  if (process.platform !== 'linux' || process.env.GLIBC_TUNABLES !== undefined) return false
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: modelProcessEnv(), detached: true })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 130 : 1)
  })
  return true
}

if (!rerunWithModelEnv()) {
  main().catch((error: unknown) => {
    if (process.exitCode === 130) return
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
}

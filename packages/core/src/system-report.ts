import { spawnSync } from 'node:child_process'
import { availableParallelism, totalmem } from 'node:os'
import { describeError, readVersion, type BinaryChoice, type BinaryName, type OptionWording } from '@anime-upscaler/common'
import { binaryChoice } from '@anime-upscaler/stage-extract'
import { runtimeReport, type RuntimeReport } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from './defaults'

/** The encoders the defaults and the common choices need, by what they are for. */
export const CHECKED_ENCODERS = ['libx264', 'libx265', 'libvpx-vp9', 'ffv1', 'aac', 'libopus'] as const

export interface BinaryReport extends BinaryChoice {
  /** For ffmpeg: which of CHECKED_ENCODERS it has. */
  encoders?: Record<string, boolean>
}

/** What a run would use on this machine, for `anime-upscaler doctor` and bug reports. */
export interface SystemReport {
  node: string
  platform: string
  cores: number
  memoryBytes: number
  ffmpeg: BinaryReport | { name: BinaryName; error: string }
  ffprobe: BinaryReport | { name: BinaryName; error: string }
  runtime: RuntimeReport
  defaults: { model: string; workers: number; threads: number; maxOutputPixels: number }
}

function encodersOf(path: string): Record<string, boolean> {
  const result = spawnSync(path, ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL' })
  const listed = new Set((result.stdout ?? '').split('\n').map((line) => line.trim().split(/\s+/)[1]))
  return Object.fromEntries(CHECKED_ENCODERS.map((name) => [name, listed.has(name)]))
}

function binaryReport(name: BinaryName, wording: OptionWording | undefined): SystemReport['ffmpeg'] {
  try {
    const choice = binaryChoice(name)
    const version = choice.version ? { version: choice.version } : { version: readVersion(choice.path)?.version }
    return { ...choice, ...version, ...(name === 'ffmpeg' ? { encoders: encodersOf(choice.path) } : {}) }
  } catch (error) {
    return { name, error: wording ? describeError(error, wording) : String((error as Error).message) }
  }
}

/** Reads what a run would use: the ffmpeg and ffprobe chosen and why, onnxruntime and its providers, cores, memory. */
export function systemReport(wording?: OptionWording): SystemReport {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    ffmpeg: binaryReport('ffmpeg', wording),
    ffprobe: binaryReport('ffprobe', wording),
    runtime: runtimeReport(),
    defaults: { model: DEFAULTS.model, ...DEFAULTS.layout, maxOutputPixels: DEFAULTS.maxOutputPixels },
  }
}

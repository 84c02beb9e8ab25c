import type { Command } from 'commander'
import { CHECKED_ENCODERS, systemReport, type SystemReport } from '@anime-upscaler/core'
import type { CliIo, CommandContext } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'
import { VERSION } from '../version'
import { CLI_WORDING } from '../wording'

const GIB = 1024 ** 3

function binaryLines(report: SystemReport['ffmpeg']): string[] {
  if ('error' in report) return [`${report.name}: not usable — ${report.error}`]
  const lines = [`${report.name}: ${report.path}`, `  version ${report.version ?? 'unknown'}, from ${report.source}${report.reason ? ` (${report.reason})` : ''}`]
  if (report.encoders) {
    const missing = CHECKED_ENCODERS.filter((name) => !report.encoders![name])
    lines.push(`  encoders: ${CHECKED_ENCODERS.map((name) => `${name} ${report.encoders![name] ? 'yes' : 'NO'}`).join(', ')}`)
    if (missing.length > 0) lines.push(`  without ${missing.join(', ')}: choose another --codec/--audio-codec, or set FFMPEG_PATH to a fuller ffmpeg`)
  }
  return lines
}

/** The report as lines for people, with what to do where something is missing. */
export function doctorLines(report: SystemReport): string[] {
  const gpu = report.runtime.providers.filter((p) => p.provider !== 'cpu')
  return [
    `anime-upscaler ${VERSION} on Node ${report.node} (${report.platform})`,
    `machine: ${report.cores} cores, ${(report.memoryBytes / GIB).toFixed(1)} GiB memory; defaults: ${report.defaults.model}, ${report.defaults.workers} worker(s) x ${report.defaults.threads} thread(s), outputs up to ${Math.round(report.defaults.maxOutputPixels / 1e6)} megapixels`,
    ...binaryLines(report.ffmpeg),
    ...binaryLines(report.ffprobe),
    `onnxruntime-node ${report.runtime.onnxruntimeVersion}: cpu yes; ${gpu.map((p) => `${p.provider} ${p.available ? 'yes' : 'no'}`).join(', ')}`,
    ...gpu.filter((p) => !p.available && p.reason).map((p) => `  ${p.provider}: ${p.reason}`),
  ]
}

async function doctorCommand(flags: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const report = systemReport(CLI_WORDING)
  io.stdout.write(flags.json ? `${JSON.stringify({ version: VERSION, ...report }, null, 2)}\n` : `${doctorLines(report).join('\n')}\n`)
  const broken = 'error' in report.ffmpeg || 'error' in report.ffprobe
  return broken ? EXIT.failed : EXIT.ok
}

export function registerDoctor(program: Command, { io, setResult }: CommandContext): void {
  program
    .command('doctor')
    .description('Show what a run would use here: ffmpeg and ffprobe (and which encoders they have), onnxruntime and its providers, cores, memory')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => setResult(doctorCommand(flags, io)))
}

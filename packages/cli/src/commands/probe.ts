import type { Command } from 'commander'
import { probe, type MediaInfo } from '@anime-upscaler/core'
import type { CliIo, CommandContext } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'

function rate(r: { num: number; den: number } | undefined): string {
  return r ? `${r.num}/${r.den} (${(r.num / r.den).toFixed(3)})` : '?'
}

/** What the decoder sees, as lines for people. */
function describe(file: string, info: MediaInfo): string[] {
  const { video } = info
  return [
    `${file}: ${info.format.longName ?? info.format.name}, ${info.duration.toFixed(3)} s`,
    `video #${video.index}: ${video.codec} ${video.width}x${video.height}${video.rotation ? `, rotated ${video.rotation}° → ${video.displayWidth}x${video.displayHeight}` : ''}, ${video.pixelFormat} (${video.bitDepth}-bit)`,
    `  frames: ${video.frameCountExact ? '' : '~'}${video.frameCount}; rate ${rate(video.frameRate)}, r_frame_rate ${rate(video.rFrameRate)}, avg_frame_rate ${rate(video.avgFrameRate)}${video.variableFrameRate ? ', variable frame rate' : ''}`,
    `  colour: matrix ${video.color.matrix ?? 'unspecified'}, range ${video.color.range ?? 'unspecified'}, primaries ${video.color.primaries ?? 'unspecified'}, transfer ${video.color.transfer ?? 'unspecified'}; SAR ${video.sampleAspectRatio.num}:${video.sampleAspectRatio.den}`,
    ...info.streams
      .filter((s) => s.index !== video.index)
      .map((s) => `${s.type} #${s.index}: ${s.codec}${s.language ? ` [${s.language}]` : ''}${s.title ? ` "${s.title}"` : ''}${s.filename ? ` ${s.filename}` : ''}`),
    ...(info.chapters.length ? [`chapters: ${info.chapters.length}`] : []),
  ]
}

async function probeCommand(file: string, flags: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const info = await probe(file)
  io.stdout.write(flags.json ? `${JSON.stringify(info, null, 2)}\n` : `${describe(file, info).join('\n')}\n`)
  return EXIT.ok
}

export function registerProbe(program: Command, { io, setResult }: CommandContext): void {
  program
    .command('probe')
    .description('Show what the video decoder sees in a media file: streams, frame rate, frames, colour')
    .argument('<file>', 'video file, animated GIF or image sequence pattern (frame_%04d.png)')
    .option('--json', 'print the full probe result as JSON')
    .action((file: string, flags: { json?: boolean }) => setResult(probeCommand(file, flags, io)))
}

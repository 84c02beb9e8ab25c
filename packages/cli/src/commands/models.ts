import type { Command } from 'commander'
import { DEFAULT_MODEL, listModels } from '@anime-upscaler/core'
import type { CliIo, CommandContext } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'

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

export function registerModels(program: Command, { io, setResult }: CommandContext): void {
  program
    .command('models')
    .description('List the built-in models with their scale, cost and source')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => setResult(modelsCommand(flags, io)))
}

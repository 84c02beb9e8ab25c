/**
 * `anime-upscaler models`: the built-in and imported models; `models import` converts an ncnn
 * model (or takes an .onnx file) into the user's models folder; `models remove` deletes one.
 */
import { Option, type Command } from 'commander'
import { DEFAULT_MODEL, defaultModelsDir, importModel, listImportedModels, listModels, removeModel, speedClass, type ImportedModel } from '@anime-upscaler/core'
import type { CliIo, CommandContext } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'

interface StoreFlags {
  modelsDir?: string
}

/** One row of the listing: name, scale, speed class, size, origin. */
type Row = [string, string, string, string, string]

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}

function originOf(model: ImportedModel): string {
  const { format, files, program } = model.origin
  return format === 'ncnn' ? `ncnn ${files.join(' + ')} (${program})` : `ONNX ${files.join('')}`
}

function table(rows: Row[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  return rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column])).join('  ')}`.trimEnd()).join('\n')
}

function listCommand(flags: StoreFlags & { json?: boolean }, io: CliIo): ExitCode {
  const modelsDir = flags.modelsDir ?? defaultModelsDir()
  const builtin = listModels().map((m) => ({ ...m, speed: speedClass(m.flopsPerOutputPixel) }))
  const imported = listImportedModels({ modelsDir })
  if (flags.json) {
    const entries = [...builtin.map((m) => ({ ...m, kind: 'builtin' })), ...imported.map((m) => ({ id: m.name, kind: 'imported', ...m }))]
    io.stdout.write(`${JSON.stringify(entries)}\n`)
    return EXIT.ok
  }
  const header: Row = ['name', 'scale', 'speed', 'size', 'origin']
  const rows: Row[] = [
    ...builtin.map((m): Row => [`${m.id}${m.id === DEFAULT_MODEL ? ' (default)' : ''}`, `${m.scale}x`, m.speed, 'built in', m.source]),
    ...imported.map((m): Row => [m.name, `${m.scale}x`, m.speed, megabytes(m.bytes), originOf(m)]),
  ]
  io.stdout.write(`${table([header, ...rows])}\n\n`)
  io.stdout.write(`Imported models live in ${modelsDir}${imported.length ? '' : ' (none yet)'}.\n`)
  io.stdout.write('Add one with: anime-upscaler models import MODEL.param [MODEL.bin] [--name NAME]  (ncnn), or MODEL.onnx\n')
  io.stdout.write('Any other ONNX image super-resolution model (NCHW RGB in 0..1, float32 or float16) also works: --model path/to/model.onnx\n')
  return EXIT.ok
}

async function importCommand(files: string[], flags: StoreFlags & { name?: string; force?: boolean }, io: CliIo): Promise<ExitCode> {
  const model = await importModel(files, { name: flags.name, force: flags.force, modelsDir: flags.modelsDir ?? defaultModelsDir() })
  const radius = model.receptiveRadius === undefined ? '' : `, receptive radius ${model.receptiveRadius} px`
  io.stderr.write(`Imported ${model.name}: ${model.scale}x, ${model.speed}${radius}, ${megabytes(model.bytes)} (${originOf(model)})\n`)
  io.stderr.write(`Stored in ${model.file}; use it with: anime-upscaler upscale IN -o OUT -m ${model.name}\n`)
  return EXIT.ok
}

function removeCommand(name: string, flags: StoreFlags, io: CliIo): ExitCode {
  const modelsDir = flags.modelsDir ?? defaultModelsDir()
  removeModel(name, { modelsDir })
  io.stderr.write(`Removed ${name} from ${modelsDir}\n`)
  return EXIT.ok
}

/** `--models-dir`, which `models`, its subcommands and `upscale` take. */
export const modelsDirOption = () => new Option('--models-dir <folder>', `folder of imported models (default ${defaultModelsDir()})`)

/** Registers `models`, `models import` and `models remove`. */
export function registerModels(program: Command, { io, setResult }: CommandContext): void {
  const models = program
    .command('models')
    .description('List the built-in and imported models (scale, speed, size, origin); import or remove models')
    .option('--json', 'print JSON')
    .addOption(modelsDirOption())
    .action((_flags: unknown, command: Command) => setResult(listCommand(command.opts(), io)))
  models
    .command('import')
    .description('Import an ncnn model (MODEL.param, with MODEL.bin beside it or given second) or an .onnx file into the models folder')
    .argument('<model>', 'MODEL.param or MODEL.onnx')
    .argument('[bin]', 'the ncnn weights (default: MODEL.bin beside MODEL.param)')
    .option('--name <name>', 'name to use it by with -m (default: from the file name)')
    .option('--force', 'replace an imported model of the same name')
    .addOption(modelsDirOption())
    .action((model: string, bin: string | undefined, _flags: unknown, command: Command) => setResult(importCommand(bin ? [model, bin] : [model], command.optsWithGlobals(), io)))
  models
    .command('remove')
    .description('Delete an imported model')
    .argument('<name>', 'the imported model')
    .addOption(modelsDirOption())
    .action((name: string, _flags: unknown, command: Command) => setResult(removeCommand(name, command.optsWithGlobals(), io)))
}

import { Command, CommanderError } from 'commander'
import { AnimeUpscalerError, CoreError, REQUEST_ERRORS, toCoreError } from '@anime-upscaler/core'
import { registerDoctor } from './commands/doctor'
import { registerModels } from './commands/models'
import { registerProbe } from './commands/probe'
import { registerUi } from './commands/ui'
import { registerUpscale } from './commands/upscale'
import { registerWorker } from './commands/worker'
import type { CliIo, CommandContext } from './context'
import { EXIT, type ExitCode } from './exit-codes'
import { VERSION } from './version'
import { describeForCli } from './wording'

export type { CliIo } from './context'

function buildProgram(context: CommandContext): Command {
  const { io } = context
  const program = new Command('anime-upscaler')
    .description('Upscale anime images and videos with neural networks (Anime4K built in, any ONNX super-resolution model).')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)')
  for (const register of [registerUpscale, registerWorker, registerProbe, registerUi, registerModels, registerDoctor]) register(program, context)
  return program
}

/** Codes of other packages' errors that mean the command cannot start (exit 2): a bad option, no ffmpeg, the web app's port or host. */
const CANNOT_START = new Set(['E_INVALID_ARGUMENT', 'E_BINARY_NOT_FOUND', 'E_PORT_IN_USE', 'E_HOST_UNAVAILABLE'])

/** Errors of the library's own options and environment that stop a command before it starts. */
function isRequestError(error: unknown): boolean {
  if (error instanceof CoreError) return REQUEST_ERRORS.has(error.code)
  if (!(error instanceof AnimeUpscalerError)) return false
  return CANNOT_START.has(error.code) || REQUEST_ERRORS.has(toCoreError(error).code)
}

/** Words an error for this command line and picks the exit code: the one place errors are reported. */
function report(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or help/version, which exit 0).
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage
  }
  const code = error instanceof AnimeUpscalerError ? error.code : undefined
  if (code === 'E_ABORTED') {
    // A stop the user asked for is not an error: say what happened to the output.
    io.stderr.write('Stopped: nothing was left at the destination (use --keep-partial to keep what was encoded).\n')
    return EXIT.interrupted
  }
  const request = isRequestError(error)
  const failedStage = !request && error instanceof CoreError ? `${error.stage} failed: ` : ''
  io.stderr.write(`error: ${failedStage}${describeForCli(error)}\n`)
  if (error instanceof CoreError && error.detail) io.stderr.write(`ffmpeg said:\n${error.detail}\n`)
  return request ? EXIT.usage : EXIT.failed
}

/** Runs the CLI and returns its exit code; every error is reported here and nowhere else. */
export async function run(argv: string[], io: CliIo): Promise<ExitCode> {
  let result: Promise<ExitCode> | ExitCode = EXIT.ok
  const program = buildProgram({ io, setResult: (r) => (result = r) })
  try {
    await program.parseAsync(argv, { from: 'user' })
    return await result
  } catch (error) {
    return report(error, io)
  }
}

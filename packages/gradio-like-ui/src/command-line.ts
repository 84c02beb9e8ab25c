import { parseArgs } from 'node:util'
import { startServer, type RunningServer } from './server'
import { ServerOptionError, type ServerOptions } from './server-options'
import { closeOnSignals } from './shutdown'

/** Exit code when the server cannot start (a bad flag), as in the README's exit-code table. */
export const EXIT_USAGE = 2

const USAGE = `Usage: start [--host 127.0.0.1] [--port 7860] [--token <token>] [--open]
             [--max-upload-mb 2048] [--max-files 50] [--max-jobs 1] [--work-dir <folder>]
             [--segment-seconds 60]`

/** The flag of each ServerOptions name, for messages. */
const FLAG_OF_OPTION: Partial<Record<keyof ServerOptions, string>> = {
  host: '--host',
  port: '--port',
  token: '--token',
  maxUploadBytes: '--max-upload-mb',
  maxFiles: '--max-files',
  maxConcurrentJobs: '--max-jobs',
  workDir: '--work-dir',
  segmentSeconds: '--segment-seconds',
}

/** A flag's value that must be a whole number. */
class FlagError extends Error {}

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) throw new FlagError(`Expected a whole number for --${flag} but received '${value}'`)
  return parsed
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) throw new FlagError(`Expected a positive number of seconds for --${flag} but received '${value}'`)
  return parsed
}

function serverOptions(argv: string[], log: (line: string) => void): ServerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      token: { type: 'string' },
      open: { type: 'boolean' },
      'max-upload-mb': { type: 'string' },
      'max-files': { type: 'string' },
      'max-jobs': { type: 'string' },
      'work-dir': { type: 'string' },
      'segment-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    log(USAGE)
    process.exit(0)
  }
  const uploadMb = integer('max-upload-mb', values['max-upload-mb'])
  return {
    host: values.host,
    port: integer('port', values.port),
    token: values.token,
    open: values.open,
    maxUploadBytes: uploadMb === undefined ? undefined : uploadMb * 1024 * 1024,
    maxFiles: integer('max-files', values['max-files']),
    maxConcurrentJobs: integer('max-jobs', values['max-jobs']),
    workDir: values['work-dir'],
    segmentSeconds: seconds('segment-seconds', values['segment-seconds']),
  }
}

/** A refused start in the command line's words: the flag, never the library option. */
function usageMessage(error: unknown): string | undefined {
  if (error instanceof FlagError) return error.message
  if (error instanceof ServerOptionError) {
    const flag = FLAG_OF_OPTION[error.option] ?? error.option
    const given = error.option === 'token' || error.option === 'maxUploadBytes' ? '' : ` ${String(error.value)}`
    return `${flag}${given} cannot be used: ${error.hint}`
  }
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return (error as Error).message
  return undefined
}

/**
 * Starts the server from command-line arguments, prints its address, and closes it cleanly on
 * Ctrl-C / SIGTERM (exit 130). A bad flag prints what to do and exits 2. Used by the package's
 * `start` script; the CLI's `ui` command does the same with its own flags.
 */
export async function runFromCommandLine(argv: string[], log: (line: string) => void = (line) => console.log(line)): Promise<RunningServer> {
  let server: RunningServer
  try {
    server = await startServer(serverOptions(argv, log))
  } catch (error) {
    const usage = usageMessage(error)
    if (usage === undefined) throw error
    process.stderr.write(`error: ${usage}\n${USAGE}\n`)
    process.exit(EXIT_USAGE)
  }
  log(`anime-upscaler web UI: ${server.url}`)
  if (server.token && !argv.includes('--token')) log('An access token was generated: share the whole address above only with people who may use this machine.')
  log(`Press Ctrl-C to stop (uploads and results are deleted; unfinished video jobs are kept in ${server.keptJobsDir} to be resumed from the page).`)
  void closeOnSignals(server, log).then((code) => process.exit(code))
  return server
}

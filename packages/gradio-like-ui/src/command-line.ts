import { parseArgs } from 'node:util'
import { closeOnSignals } from './shutdown'
import { startServer, type RunningServer, type ServerOptions } from './server'

const USAGE = `Usage: start [--host 127.0.0.1] [--port 7860] [--token <token>] [--open]
             [--max-upload-mb 2048] [--max-files 50] [--max-jobs 1] [--work-dir <folder>]`

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) throw new TypeError(`--${name} must be a whole number (received ${value})`)
  return parsed
}

/**
 * Starts the server from command-line arguments, prints its address, and closes it cleanly on
 * Ctrl-C / SIGTERM. Used by the package's `start` script; the CLI's `ui` command may do the same.
 */
export async function runFromCommandLine(argv: string[], log: (line: string) => void = (line) => console.log(line)): Promise<RunningServer> {
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
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    log(USAGE)
    process.exit(0)
  }
  const uploadMb = integer('max-upload-mb', values['max-upload-mb'])
  const options: ServerOptions = {
    host: values.host,
    port: integer('port', values.port),
    token: values.token,
    open: values.open,
    maxUploadBytes: uploadMb === undefined ? undefined : uploadMb * 1024 * 1024,
    maxFiles: integer('max-files', values['max-files']),
    maxConcurrentJobs: integer('max-jobs', values['max-jobs']),
    workDir: values['work-dir'],
  }
  const server = await startServer(options)
  log(`anime-upscaler web UI: ${server.url}`)
  if (server.token && options.token === undefined) log('An access token was generated: share the whole address above only with people who may use this machine.')
  log('Press Ctrl-C to stop (uploads and results are deleted).')
  void closeOnSignals(server, log).then((code) => process.exit(code))
  return server
}

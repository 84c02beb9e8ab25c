import type { Command } from 'commander'
import { CoreError } from '@anime-upscaler/core'
import type { CliIo, CommandContext } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'
import { portNumber, positiveInteger, positiveNumber } from '../options'

interface UiFlags {
  host: string
  port?: number
  workDir?: string
  token?: string
  open?: boolean
  maxUploadMb?: number
  maxFiles?: number
  maxJobs?: number
  segmentSeconds?: number
}

type WebApp = typeof import('@anime-upscaler/gradio-like-ui')

/**
 * The web app is its own package, loaded only by this command, so a CLI install does not carry
 * it: `npm install -g @anime-upscaler/gradio-like-ui` beside the CLI adds it.
 */
async function loadWebApp(): Promise<WebApp> {
  try {
    return await import('@anime-upscaler/gradio-like-ui')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' && (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new CoreError('E_INVALID_ARGUMENT', 'input', 'The web app is not installed', { hint: 'install it beside the command: ONNXRUNTIME_NODE_INSTALL=skip npm install -g @anime-upscaler/cli @anime-upscaler/gradio-like-ui' })
  }
}

async function uiCommand(flags: UiFlags, io: CliIo): Promise<ExitCode> {
  const { startServer } = await loadWebApp()
  const server = await startServer({
    host: flags.host,
    port: flags.port,
    workDir: flags.workDir,
    token: flags.token,
    open: flags.open,
    maxUploadBytes: flags.maxUploadMb === undefined ? undefined : flags.maxUploadMb * 1024 * 1024,
    maxFiles: flags.maxFiles,
    maxConcurrentJobs: flags.maxJobs,
    segmentSeconds: flags.segmentSeconds,
  })
  io.stderr.write(`anime-upscaler UI running at ${server.url}\n`)
  if (server.token) io.stderr.write(`Access token: ${server.token} (every request needs it; the URL above carries it)\n`)
  io.stderr.write(`Press Ctrl-C to stop; uploads and results are removed when it stops. Unfinished video jobs are kept in ${server.keptJobsDir} until resumed or discarded in the page.\n`)
  // Runs until Ctrl-C / SIGTERM; then every job stops and the work folder goes. A second Ctrl-C
  // exits at once: the job processes (and their ffmpeg) are killed and the folder removed first.
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) resolve()
    io.signal?.addEventListener('abort', () => resolve(), { once: true })
  })
  process.once('exit', () => server.kill())
  await server.close()
  return EXIT.interrupted
}

export function registerUi(program: Command, { io, setResult }: CommandContext): void {
  program
    .command('ui')
    .description('Start the local web app (Gradio-like) and print its URL')
    .option('--host <address>', 'interface to listen on; anything but loopback requires an access token', '127.0.0.1')
    .option('--port <n>', 'port, 0-65535 (default 7860 or the next free one; 0 for any)', portNumber('--port'))
    .option('--work-dir <folder>', 'where the temporary folder for uploads and results is made (default: the OS temp folder); unfinished video jobs are then kept in its anime-upscaler-ui-jobs folder (default: the cache folder)')
    .option('--segment-seconds <s>', 'length of the segments video jobs are cut into, so that an interrupted job can be resumed (default 60)', positiveNumber('--segment-seconds'))
    .option('--token <token>', 'access token, 8 or more printable characters (generated and printed when binding beyond loopback)')
    .option('--open', 'open the URL in the default browser')
    .option('--max-upload-mb <n>', 'largest upload in MiB (default 2048)', positiveInteger('--max-upload-mb'))
    .option('--max-files <n>', 'most files per job (default 50)', positiveInteger('--max-files'))
    .option('--max-jobs <n>', 'jobs that run at once (default 1)', positiveInteger('--max-jobs'))
    .action((flags: UiFlags) => setResult(uiCommand(flags, io)))
}

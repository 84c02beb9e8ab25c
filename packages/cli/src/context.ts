import type { ExitCode } from './exit-codes'
import type { ProgressStream } from './status-line'

export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: ProgressStream
  /** Keys p (pause) and q (stop) are read from it when it is a terminal. */
  stdin?: NodeJS.ReadStream
  /** Aborted on Ctrl-C / SIGTERM / q. */
  signal?: AbortSignal
  /** Asks for a stop as Ctrl-C does (a second request forces the exit). */
  requestStop?: () => void
}

/** What every command gets: the process's streams, and where to hand its result. */
export interface CommandContext {
  io: CliIo
  /** A command's action hands over its run; `run` awaits it and reports its error in one place. */
  setResult(result: Promise<ExitCode> | ExitCode): void
}

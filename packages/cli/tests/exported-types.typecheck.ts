// Compile-only: `pnpm lint` (tsc) checks this file; nothing here runs.
import { PassThrough } from 'node:stream'
import { EXIT, run, type CliIo, type ExitCode } from '../src/index'

declare const io: CliIo
const code: Promise<ExitCode> = run(['models'], io)
// Output can go to any writable stream (captured, piped), not only a terminal.
void run(['upscale', 'in.png', '-o', 'out.png'], { stdout: new PassThrough(), stderr: new PassThrough(), signal: AbortSignal.timeout(1000) })
void run(['--help'], { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, requestStop: () => undefined })
const interrupted: ExitCode = EXIT.interrupted
void [code, interrupted]

// @ts-expect-error stdout and stderr are required
void run(['models'], {})
// @ts-expect-error argv is an array of strings
void run('models', io)

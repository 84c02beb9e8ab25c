// Compile-only: `pnpm lint` (tsc) checks this file; nothing here runs. Each exported option type
// must be accepted, as a value of that type, by every function that takes it.
import { AnimeUpscalerError, LIBRARY_WORDING, ManagedProcess, type ErrorDetails, type ManagedProcessOptions, type OptionWording } from '../src/index'

declare const processOptions: ManagedProcessOptions
declare const wording: OptionWording
declare const details: ErrorDetails

void ManagedProcess.start('ffmpeg', ['-version'], processOptions)
void ManagedProcess.start('ffmpeg', ['-version'], { stdin: 'ignore', onStderrLine: (line) => line.length, tailLines: 10 })
class MyError extends AnimeUpscalerError<'E_BAD'> {}
const error = new MyError('E_BAD', 'Something is wrong', details)
const worded: string = error.describe(wording)
error.describe(LIBRARY_WORDING)
error.describe({ name: (option) => `--${option}`, setting: (option, value) => `--${option} ${String(value)}` })
void worded

// @ts-expect-error stdin is 'pipe' or 'ignore'
void ManagedProcess.start('ffmpeg', [], { stdin: 'inherit' })
// @ts-expect-error ManagedProcess.start makes them: the process runs or could not start
new ManagedProcess('ffmpeg', [], {}, undefined)
// @ts-expect-error the code is one of the class's codes
new MyError('E_OTHER', 'Something is wrong')

export { run, type CliIo } from './cli'
export type { ProgressStream } from './status-line'
export { EXIT, type ExitCode } from './exit-codes'
export { activeModelCalls } from '@anime-upscaler/core'

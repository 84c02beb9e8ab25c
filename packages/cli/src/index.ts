export { run, type CliIo } from './cli'
export { EXIT, type ExitCode } from './exit-codes'
export { activeModelCalls } from '@anime-upscaler/core'

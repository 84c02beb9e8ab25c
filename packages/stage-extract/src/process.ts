import { ProcessError, runProcess as run, type RunResult } from '@anime-upscaler/common'
import { ExtractError } from './errors'

export { lastLines, type RunResult } from '@anime-upscaler/common'

/** @anime-upscaler/common's `runProcess`, failing with this stage's errors (E_SPAWN, E_ABORTED). */
export async function runProcess(command: string, args: string[], options: { signal?: AbortSignal } = {}): Promise<RunResult> {
  try {
    return await run(command, args, options)
  } catch (error) {
    if (error instanceof ProcessError) throw new ExtractError(error.code, error.parts, error.details())
    throw error
  }
}

export function abortError(signal: AbortSignal): ExtractError {
  return new ExtractError('E_ABORTED', 'Stopped by the AbortSignal', { cause: signal.reason })
}

export function spawnError(command: string, error: unknown): ExtractError {
  const message = error instanceof Error ? error.message : String(error)
  return new ExtractError('E_SPAWN', `Cannot start ${command}: ${message}`, { cause: error })
}

import type { EngineImage, UpscaleTiming, UpscaledImage } from './engine'
import { UpscaleError, type UpscaleErrorCode } from './errors'
import type { ModelInfo } from './session'
import type { TargetSize } from './target'
import type { YuvColor } from './yuv'

export type WorkerRequest = { type: 'upscale'; id: number; image: EngineImage; target: TargetSize; yuv420?: YuvColor } | { type: 'close' }

export interface SerializedError {
  code: UpscaleErrorCode
  message: string
}

export type WorkerReply =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'warning'; message: string }
  | { type: 'init-failed'; error: SerializedError }
  | { type: 'result'; id: number; image: UpscaledImage; timing: UpscaleTiming }
  | { type: 'failed'; id: number; error: SerializedError }

export function serializeError(error: unknown): SerializedError {
  if (error instanceof UpscaleError) return { code: error.code, message: error.message }
  return { code: 'E_WORKER', message: error instanceof Error ? error.message : String(error) }
}

export function deserializeError(error: SerializedError): UpscaleError {
  return new UpscaleError(error.code, error.message)
}

import type { EngineImage, UpscaleTiming, UpscaledImage } from './engine'
import type { ErrorDetails, MessagePart } from '@anime-upscaler/common'
import { UpscaleError, type UpscaleErrorCode } from './errors'
import type { ModelInfo } from './session'
import type { TargetSize } from './target'
import type { YuvColor } from './yuv'

export type WorkerRequest = { type: 'upscale'; id: number; image: EngineImage; target: TargetSize; yuv420?: YuvColor } | { type: 'close' }

/** An error as it crosses from a worker: its code, message parts and structured fields. */
export interface SerializedError {
  code: UpscaleErrorCode
  parts: MessagePart[]
  details: Omit<ErrorDetails, 'cause'>
}

export type WorkerReply =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'warning'; message: string }
  | { type: 'init-failed'; error: SerializedError }
  | { type: 'result'; id: number; image: UpscaledImage; timing: UpscaleTiming }
  | { type: 'failed'; id: number; error: SerializedError }

export function serializeError(error: unknown): SerializedError {
  if (error instanceof UpscaleError) {
    const { cause: _cause, parts, value, ...details } = error.details()
    // Only plain values cross postMessage; an object received as an option is described in the message already.
    return { code: error.code, parts, details: value === null || typeof value !== 'object' && typeof value !== 'function' ? { ...details, value } : details }
  }
  return { code: 'E_WORKER', parts: [error instanceof Error ? error.message : String(error)], details: {} }
}

export function deserializeError(error: SerializedError): UpscaleError {
  return new UpscaleError(error.code, error.parts, error.details)
}

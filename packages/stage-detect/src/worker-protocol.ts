import type { EngineVerdict } from './engine'
import type { EngineSettings } from './options'

export type WorkerRequest = {
  type: 'frame'
  seq: number
  width: number
  height: number
  /** 1 for Uint8Array samples, 2 for Uint16Array. */
  bytesPerSample: 1 | 2
  /** Number of samples in `buffer` (which may be longer). */
  length: number
  buffer: ArrayBuffer
}

export type WorkerReply =
  | { type: 'verdict'; seq: number; verdict: EngineVerdict; buffer: ArrayBuffer }
  | { type: 'failed'; seq: number; message: string; buffer: ArrayBuffer }

export type WorkerData = EngineSettings

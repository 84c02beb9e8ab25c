import type { ModelInfo } from '@anime-upscaler/stage-upscale'
import type { CoreError, CoreErrorCode, Stage } from './errors'
import type { VideoEvent } from './video/events'

/** A file of a batch: numbered 1..files in the order the batch runs them (images first, then videos). */
export interface BatchFile {
  file: number
  files: number
  kind: 'image' | 'video'
  input: string
  output: string
}

export interface BatchResult extends BatchFile {
  width: number
  height: number
  seconds: number
  /** Videos: frames written. */
  frames?: number
}

export interface BatchFailure extends BatchFile {
  code: CoreErrorCode
  stage: Stage
  message: string
  /** The error itself, for callers that word it their own way (not sent over JSON). */
  error?: CoreError
}

export interface BatchProgress {
  /** The file in progress (or the last one finished), 1..files, and its input. */
  file: number
  files: number
  input: string
  /** Percent done of the video in progress; undefined while images run (each finishes at once). */
  filePercent: number | undefined
  /** Files written, and files failed. */
  done: number
  failed: number
  /** Percent of the batch's work, counted in source pixels (x frames for videos). */
  percent: number
  /** From the work done so far over the time the batch was not paused. */
  etaSeconds: number | undefined
  paused: boolean
}

/** The events of the video in progress that a batch passes on (its own paused/resumed replace the video's). */
export type BatchVideoEvent = Extract<VideoEvent, { type: 'start' | 'progress' | 'done' }>

/**
 * What `upscaleBatch` reports: `start`; `images` when the images' workers are ready; `video` (the
 * running video's own start, progress and done, with the file named); `written` or `failed` for
 * every file; `progress` of the batch; `warning`, `paused`, `resumed` when they happen; `done` last.
 */
export type BatchEvent =
  | { type: 'start'; files: number; images: number; videos: number }
  | { type: 'images'; images: number; model: ModelInfo; workers: number; threads: number }
  | ({ type: 'video'; event: BatchVideoEvent } & BatchFile)
  | ({ type: 'written' } & BatchResult)
  | ({ type: 'failed' } & BatchFailure)
  | { type: 'warning'; input: string; message: string }
  | ({ type: 'progress' } & BatchProgress)
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; results: BatchResult[]; failures: BatchFailure[]; seconds: number }

import type { ModelInfo } from '@anime-upscaler/stage-upscale'
import type { WorkerShare } from './distributed/coordinator'
import type { VideoSummary } from './plan'
import type { VideoReuse } from './reuse'

export interface StageCounts {
  decoded: number
  /** Decoded frames kept for upscaling, and those found to repeat a kept one. */
  unique: number
  duplicates: number
  upscaled: number
  encoded: number
}

/** What `upscaleVideo` reports, in order: start, progress (and paused/resumed when asked), done. */
export type VideoEvent =
  | {
      type: 'start'
      input: string
      output: string
      source: VideoSummary
      outputWidth: number
      outputHeight: number
      mode: 'concurrent' | 'sequential'
      capacity: number
      /** What the upscaler hands the encoder: Y'CbCr ('yuv420p', 'yuv420p10le') when the model converts, else 'rgb'. */
      frameFormat: 'yuv420p' | 'yuv420p10le' | 'rgb'
      /** The encoded pixel format (the source's depth by default). */
      pixFmt: string
      model: ModelInfo
      /** This process's model workers and their threads (a distributed job's coordinator has one, to plan). */
      workers: number
      threads: number
      /** Distributed mode: the queue the segments go to (its Redis, password hidden); the workers there upscale. */
      queue?: { redis: string }
      /** A segmented job: its segments, those an earlier run finished (kept, not done again) and its folder. */
      segments?: { count: number; done: number; folder: string }
      /** What earlier results are reused (`note` says why less than asked, e.g. a model without a receptive radius). */
      reuse: Omit<VideoReuse, 'heldBytes'>
    }
  | ({
      type: 'progress'
      total: number
      percent: number
      /** Frames encoded per second, over the time the job was not paused. */
      fps: number
      etaSeconds: number | undefined
      paused: boolean
      skippedShare: number
      /** "Model work": of the frames encoded so far, the share of their source pixels that went through the model (duplicates none; with tile reuse, a kept frame its changed tiles). 0..1. */
      modelWork: number
    } & StageCounts)
  /** Distributed mode (`queue`): what each worker does for this job, beside each progress event. */
  | { type: 'workers'; workers: WorkerShare[] }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; output: string; frames: number; seconds: number; fps: number; partial: boolean; unique: number; duplicates: number; modelWork: number }

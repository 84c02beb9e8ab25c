import type { SegmentedJob } from '../segments/job'

// What the coordinator and the workers say to each other through Redis. Everything is data: a
// worker never loads code a task names; models and detectors are resolved from the worker's own
// configuration, by name, and checked.

/** The BullMQ queue every coordinator adds segments to and every worker takes them from. */
export const SEGMENT_QUEUE = 'anime-upscaler-segments'

/** A Redis hash per job: its state (`running`, `paused`, `stopped`) and refusals by worker. */
export function controlKey(jobId: string): string {
  return `anime-upscaler:job:${jobId}`
}

/** BullMQ's id of a segment: the same segment is never queued twice. */
export function segmentJobId(jobId: string, index: number): string {
  return `${jobId}-${String(index).padStart(5, '0')}`
}

export type JobState = 'running' | 'paused' | 'stopped'

/** One segment for a worker: which job, which segment, where its file goes, with which settings. */
export interface SegmentTask {
  /** The queue's id of the job (the same for every run of the same job folder). */
  jobId: string
  /** The job as planned by the coordinator: input and output on the shared storage, segments, settings. */
  job: SegmentedJob
  index: number
  /** Where the finished segment goes (in the job folder, on the shared storage). */
  file: string
  /**
   * core's video options of the job, as JSON: the model and a custom detector by file name only
   * (each worker has its own copies), no paths of programs, no callbacks.
   */
  options: Record<string, unknown>
}

/** A finished segment, as its worker reports it. */
export interface SegmentReport {
  frames: number
  unique: number
  duplicates: number
  /** Of its frames' source pixels, the share that went through the model (0..1). */
  modelWork: number
  sha256: string
  bytes: number
  /** host:pid of the worker that made the file in place. */
  worker: string
}

/** What a worker publishes while it works on a segment (BullMQ job progress). */
export interface SegmentProgress {
  worker: string
  encoded: number
  frames: number
  /** Frames per second of this segment so far. */
  fps: number
}

/**
 * The web app's limits, in one place: the server's defaults (ServerOptions override the first
 * ones), the ranges the settings accept, and how long things are kept. /api/config reports them
 * to the page, which never states its own.
 */
export const LIMITS = {
  /** Largest upload (ServerOptions.maxUploadBytes). */
  maxUploadBytes: 2 * 1024 ** 3,
  /** Files per job, and uploads waiting for a job (ServerOptions.maxFiles). */
  maxFiles: 50,
  /** Jobs that run at once (ServerOptions.maxConcurrentJobs). */
  maxConcurrentJobs: 1,
  /** Jobs that may wait (ServerOptions.maxQueuedJobs). */
  maxQueuedJobs: 20,
  /** An upload waiting for a job is kept this long after the last page closed (ServerOptions.uploadGraceMs). */
  uploadGraceMs: 2 * 60 * 1000,
  /** Largest JSON request body. */
  jsonBytes: 256 * 1024,
  /** The previewed region of a picture, in pixels per side. */
  previewSide: 384,
  /** Previews kept (older ones are deleted). */
  previewsKept: 4,
  /** Compared video frames kept per job. */
  framesKept: 6,
  /** Setting ranges: [min, max]. */
  minScale: 1,
  maxScale: 16,
  side: [16, 16384] as const,
  tile: [16, 8192] as const,
  workers: [1, 64] as const,
  crf: [0, 63] as const,
  quality: [1, 100] as const,
  /** Reference frames: core bounds them by memory, this only keeps the field sane. */
  reuseRefs: [1, 64] as const,
} as const

// What the HTTP API sends and takes: the server builds these, the page (src/browser) reads them.
// Types only (and the lists of choices), so the browser bundle pulls in nothing of Node.
import type { ImageResult, PipelineMode, Preset, ReuseMode, SUBTITLE_CODECS, VideoCodec } from '@anime-upscaler/core'

export const DETECTORS = ['off', 'default', 'hash', 'exact'] as const
export type Detector = (typeof DETECTORS)[number]

/** core's REUSE_MODES (a list of its own: the browser bundle imports no value of core). */
export const REUSE_CHOICES = ['off', 'frames', 'tiles'] as const satisfies readonly ReuseMode[]

export const CONTAINERS = ['auto', 'mp4', 'mkv', 'webm'] as const
export type Container = (typeof CONTAINERS)[number]

export const AUDIO_CHOICES = ['copy', 'aac', 'libopus', 'none'] as const
export type AudioChoice = (typeof AUDIO_CHOICES)[number]

export type SubtitleChoice = (typeof SUBTITLE_CODECS)[number]

export const ATTACHMENT_CHOICES = ['copy', 'none'] as const
export type AttachmentChoice = (typeof ATTACHMENT_CHOICES)[number]

export const IMAGE_OUTPUTS = ['same', 'png', 'jpg', 'webp', 'avif'] as const
export type ImageOutput = (typeof IMAGE_OUTPUTS)[number]

/**
 * Duplicate-frame detection as the page asks for it, handed to core as its `dedup` option. Only
 * built-in detectors: a module path from the browser would make the server run any file.
 * Thresholds left out take the detector's measured defaults.
 */
export interface DedupSettings {
  detector: Detector
  /** default detector: largest difference of any 8x8 block in a duplicate. */
  hi?: number
  /** default detector: block difference that counts against `frac`. */
  lo?: number
  /** default detector: share of blocks (0-1) allowed above `lo`. */
  frac?: number
  /** hash detector: largest Hamming distance counted as a repeat. */
  hashDistance?: number
  /** Most duplicates in a row. */
  maxRun?: number
}

/**
 * Everything the page sends with a preview or a job: a flat object, as the form and
 * localStorage hold it. Unknown fields are ignored; missing ones take the defaults.
 */
export interface UiSettings {
  model: string
  sizeMode: 'scale' | 'size'
  scale: number
  width?: number
  height?: number
  tile: number | 'auto'
  workers: number | 'auto'
  /** The original app's "Enable parallel processing": concurrent = on, sequential = off. */
  processing: PipelineMode
  dedup: DedupSettings
  /** core's `reuse`: off, frames (duplicates of any of the last `reuseRefs` kept frames), tiles (and only changed tiles upscaled). */
  reuse: ReuseMode
  /** core's `reuseRefs`; missing: core's default, lowered to fit memory. */
  reuseRefs?: number
  codec: VideoCodec
  crf?: number
  preset: Preset
  /** 'auto': the codec's usual container when it holds the source's streams, else Matroska. */
  container: Container
  audio: AudioChoice
  subtitles: SubtitleChoice
  attachments: AttachmentChoice
  imageFormat: ImageOutput
  quality?: number
}

export type JobState = 'queued' | 'running' | 'paused' | 'stopping' | 'done' | 'failed' | 'stopped'

/** An error as the page shows it: one sentence, and the technical detail (ffmpeg's words) apart. */
export interface PlainError {
  message: string
  detail?: string
  code?: string
  /** The page setting the error is about, when it is about one. */
  setting?: string
}

export interface JobInputView {
  name: string
  file: string
  size: number
  type: string
  /** A browser-displayable version of the input (the input itself, or a PNG of it). */
  display?: string
}

export interface JobView {
  id: string
  kind: 'image' | 'video'
  state: JobState
  title: string
  createdAt: number
  startedAt?: number
  finishedAt?: number
  /** Time spent running so far (paused time left out), when this view was made. */
  elapsedMs?: number
  settings: UiSettings
  inputs: JobInputView[]
  /** Output file names, in order. */
  outputs: string[]
  /** Files offered for download (outputs), with their download names. */
  downloads: { file: string; name: string }[]
  /** A zip of every output, for batches of more than one. */
  zip?: string
  pauseRequested: boolean
  /** Place in the queue (1 = next) while waiting. */
  queuePosition?: number
  /** `segments`: a video's segments, and how many an earlier run finished (kept, not done again). */
  info?: { model: string; workers: number; threads: number; mode?: string; capacity?: number; source?: { width: number; height: number; frames: number }; outputWidth?: number; outputHeight?: number; segments?: { count: number; done: number } }
  /** The last progress event from core, as is (new counters such as `unique` pass through). */
  progress?: Record<string, unknown>
  results: ImageResult[]
  video?: { output: string; width: number; height: number; frames: number; seconds: number; fps: number; unique?: number; duplicates?: number; modelWork?: number }
  failures: { input: string; message: string }[]
  error?: PlainError
  warnings: string[]
}

/** An upload waiting for a job. */
export interface UploadView {
  id: string
  name: string
  size: number
  kind: 'image' | 'video'
  type: string
  label: string
  createdAt: number
  /** Set for the project's own example inputs. */
  example?: string
  /** The X-Upload-Key its sender gave: a page recognises its own upload in the uploads event before the answer comes. */
  uploadKey?: string
}

/** What a preview made: the previewed region's size before and after, the whole picture's size. */
export interface PreviewFacts {
  sourceWidth: number
  sourceHeight: number
  width: number
  height: number
  fullWidth: number
  fullHeight: number
  /** Only the centre of a larger picture was previewed. */
  cropped: boolean
}

export interface PreviewView extends PreviewFacts {
  id: string
  before: string
  after: string
  milliseconds: number
  what: string
}

export interface ModelView {
  id: string
  description: string
  scale: number
}

export interface ExampleView {
  id: string
  title: string
  description: string
  kind: 'image' | 'video'
}

/** GET /api/config. */
export interface ConfigView {
  models: ModelView[]
  defaultModel: string
  codecs: readonly string[]
  presets: readonly string[]
  modes: readonly string[]
  detectors: readonly string[]
  reuseModes: readonly string[]
  containers: readonly string[]
  audio: readonly string[]
  subtitles: readonly string[]
  attachments: readonly string[]
  imageFormats: readonly string[]
  examples: ExampleView[]
  defaults: UiSettings
  cores: number
  limits: { maxUploadBytes: number; maxFiles: number; maxConcurrentJobs: number; maxQueuedJobs: number; maxScale: number; minScale: number }
  features: { pauseImages: boolean; pauseVideos: boolean }
}

/** A video job that stopped before it finished (the server stopped or crashed): it can be resumed or discarded. */
export interface InterruptedView {
  id: string
  /** The video's name as uploaded. */
  name: string
  size: number
  segments: number
  segmentsDone: number
  /** When it last did something (ms since 1970). */
  updatedAt: number
  settings: UiSettings
  /** Its kept source video is gone: it cannot be resumed, only discarded. */
  sourceMissing: boolean
}

/** GET /api/interrupted, and the `interrupted` event: the jobs and the folder that keeps them. */
export interface InterruptedList {
  jobs: InterruptedView[]
  folder: string
}

/** GET /api/events: the named events and their data. */
export interface EventMap {
  snapshot: { jobs: JobView[]; uploads: UploadView[]; interrupted: InterruptedList }
  job: JobView
  removed: { id: string }
  uploads: { uploads: UploadView[] }
  interrupted: InterruptedList
}

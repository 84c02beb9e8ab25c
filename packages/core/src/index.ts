export { CoreError, REQUEST_ERRORS, toCoreError, type CoreErrorCode, type Stage } from './errors'
export { DEFAULTS, defaultMaxOutputPixels } from './defaults'
export { DEFAULT_MAX_INPUT_PIXELS, IMAGE_EXTENSIONS, IMAGE_FORMATS, readImage, writeImage, type DecodedImage, type ImageFormat, type SourceInfo, type WriteImageOptions } from './image-io'
export { existingOutputs, formatFromPath, resolveImageJobs, type ImageJob } from './image-jobs'
export { VIDEO_EXTENSIONS, resolveMediaJobs, type MediaJob, type ResolveMediaOptions } from './media-jobs'
export { upscaleBatch, type UpscaleBatchOptions } from './upscale-batch'
export type { BatchEvent, BatchFailure, BatchFile, BatchProgress, BatchResult, BatchVideoEvent } from './batch-events'
export { upscaleImage, upscaleImages, type ImageEvent, type ImageFailure, type ImageResult, type UpscaleImagesOptions } from './upscale-images'
export { FRAME_FORMATS, PIPELINE_MODES, type DedupOptions, type EncoderOptions, type FrameFormat, type PipelineMode, type ResumeOptions, type SegmentOptions, type UpscaleVideoOptions } from './video/options'
export type { StageCounts, VideoEvent } from './video/events'
export { REUSE_MODES, type ReuseMode, type VideoReuse } from './video/reuse'
export type { PlannedFrame, VideoPlanFile } from './video/progress'
export type { VideoPlan, VideoSummary } from './video/plan'
export { CreditGate } from './video/credit-gate'
export { upscaleVideo, upscaleVideoToFile } from './video/upscale-video'
export {
  joinSegmentedJob,
  openSegmentUpscaler,
  planSegmentedJob,
  type JoinSegmentedJobOptions,
  type SegmentUpscaler,
  type SegmentedJob,
  type UpscaleSegmentOptions,
} from './video/segments/job'
export type { SegmentRange } from './video/segments/plan-segments'
export type { SegmentResult } from './video/segments/run-segment'
export type { JobSettings } from './video/segments/settings'
export { JobFolder, defaultJobFolder, type JobDescription, type SegmentDone } from './video/segments/job-folder'
export { discardJob, listInterruptedJobs, type InterruptedJob } from './video/segments/registry'
export { runSegmentWorker, type SegmentWorkerOptions, type WorkerEvent } from './video/distributed/worker'
export type { QueueOptions } from './video/distributed/queue-run'
export type { WorkerShare } from './video/distributed/coordinator'
export type { PoolChoice } from './video/distributed/segment-contexts'
export { outputContainer, type OutputContainer, type StreamChoices } from './output-container'
export { inputKind, isVideoJob, VIDEO_OUTPUT_EXTENSIONS, type InputKind } from './media-kind'
export { CHECKED_ENCODERS, systemReport, type BinaryReport, type SystemReport } from './system-report'
export { SAMPLE_CLIP, writeSampleClip } from './samples/clip'
export { samplePose, sampleSvg, type SamplePose } from './samples/drawing'
export { SNIFF_BYTES, describeUnknown, sniff, type SniffedType } from './sniff'
export {
  AnimeUpscalerError,
  LIBRARY_WORDING,
  describeError,
  message,
  optionName,
  optionSetting,
  writeAtomically,
  type BinaryChoice,
  type ErrorDetails,
  type MessagePart,
  type OptionWording,
} from '@anime-upscaler/common'
export { binaryChoice, probe, readFrame, resolveFfmpeg, resolveFfprobe, type MediaInfo, type ReadFrameOptions } from '@anime-upscaler/stage-extract'
export { AUDIO_CODECS, PIX_FMTS, PRESETS, SUBTITLE_CODECS, VIDEO_CODECS, type PixFmt, type Preset, type VideoCodec } from '@anime-upscaler/stage-save'
export {
  DEFAULT_MODEL,
  PROVIDERS,
  UpscaleError,
  activeModelCalls,
  defaultLayout,
  defaultModelsDir,
  importModel,
  listImportedModels,
  listModels,
  removeModel,
  speedClass,
  type ImportedModel,
  type ImportModelOptions,
  type ModelStoreOptions,
  type SpeedClass,
  type ModelDescriptor,
  type ModelInfo,
  type Provider,
  type TargetSize,
} from '@anime-upscaler/stage-upscale'

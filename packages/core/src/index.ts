export { CoreError, REQUEST_ERRORS, toCoreError, type CoreErrorCode, type Stage } from './errors'
export { DEFAULTS, defaultMaxOutputPixels } from './defaults'
export { DEFAULT_MAX_INPUT_PIXELS, IMAGE_EXTENSIONS, IMAGE_FORMATS, readImage, writeImage, type DecodedImage, type ImageFormat, type SourceInfo, type WriteImageOptions } from './image-io'
export { existingOutputs, formatFromPath, resolveImageJobs, type ImageJob } from './image-jobs'
export { upscaleImage, upscaleImages, type ImageEvent, type ImageFailure, type ImageResult, type UpscaleImagesOptions } from './upscale-images'
export { FRAME_FORMATS, PIPELINE_MODES, type EncoderOptions, type DedupOptions, type FrameFormat, type PipelineMode, type UpscaleVideoOptions } from './video/options'
export type { StageCounts, VideoEvent } from './video/events'
export { REUSE_MODES, type ReuseMode, type VideoReuse } from './video/reuse'
export type { PlannedFrame, VideoPlanFile } from './video/progress'
export type { VideoPlan, VideoSummary } from './video/plan'
export { CreditGate } from './video/credit-gate'
export { upscaleVideo, upscaleVideoToFile } from './video/upscale-video'
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

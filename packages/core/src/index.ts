export { CoreError, type CoreErrorCode, type Stage } from './errors'
export { DEFAULT_MAX_INPUT_PIXELS, IMAGE_EXTENSIONS, IMAGE_FORMATS, readImage, writeImage, type DecodedImage, type ImageFormat, type SourceInfo, type WriteImageOptions } from './image-io'
export { existingOutputs, formatFromPath, resolveImageJobs, type ImageJob } from './image-jobs'
export { upscaleImage, upscaleImages, type ImageEvent, type ImageFailure, type ImageResult, type UpscaleImagesOptions } from './upscale-images'
export { writeAtomically } from './atomic-write'
export {
  FRAME_FORMATS,
  PIPELINE_MODES,
  toPipelineError,
  upscaleVideo,
  upscaleVideoToFile,
  type EncoderOptions,
  type FrameFormat,
  type PipelineMode,
  type StageCounts,
  type UpscaleVideoOptions,
  type VideoEvent,
  type VideoSummary,
} from './upscale-video'
export { isVideoJob, VIDEO_EXTENSIONS, VIDEO_OUTPUT_EXTENSIONS } from './media-kind'
export { probe, readFrame, resolveFfmpeg, resolveFfprobe, type MediaInfo, type ReadFrameOptions } from '@anime-upscaler/stage-extract'
export { AUDIO_CODECS, PIX_FMTS, PRESETS, SUBTITLE_CODECS, VIDEO_CODECS, type PixFmt, type Preset, type VideoCodec } from '@anime-upscaler/stage-save'
export {
  DEFAULT_MODEL,
  PROVIDERS,
  UpscaleError,
  defaultLayout,
  listModels,
  type ModelDescriptor,
  type ModelInfo,
  type Provider,
  type TargetSize,
} from '@anime-upscaler/stage-upscale'

export { saveFrames } from './save-frames'
export { planSave, withSize, type SavePlan } from './plan'
export type { FrameToSave, SaveEvent, SaveImage, RgbSaveImage, Yuv420SaveImage } from './types'
export { resolveColor, type ResolvedColor } from './args'
export { SaveError, type SaveErrorCode } from './errors'
export {
  resolveOptions,
  DEFAULT_CRF,
  DEFAULT_PRESET,
  parseRational,
  evenSides,
  VIDEO_CODECS,
  PRESETS,
  PIX_FMTS,
  COLORSPACES,
  COLOR_PRIMARIES,
  COLOR_TRANSFERS,
  AUDIO_CODECS,
  SUBTITLE_CODECS,
  IMAGE_FORMATS,
  type SaveOptions,
  type VideoCodec,
  type Preset,
  type PixFmt,
  type Rational,
  type ColorRequest,
} from './options'
export { resolveFfmpegPath } from './ffmpeg'
export { MUXER_BY_EXTENSION, type Muxer, type SourceStream } from './containers'
export { joinSegments, segmentPlan, type JoinOptions, type SegmentOptions } from './segments'

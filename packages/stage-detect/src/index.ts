export { detectDuplicates } from './operator'
export { loadDetector, type LoadDetectorOptions } from './load'
export { DetectError, type DetectErrorCode } from './errors'
export { BUILTIN_DETECTORS, DEFAULT_THRESHOLDS, DEFAULT_HASH, DEFAULT_CONCURRENCY, DEFAULT_TILE_THRESHOLD, DEFAULT_TILE_SIZE } from './options'
export { tilesMeeting, type ChangedRegion, type TileChanges, type TileSettings } from './tiles'
export type { BlockThresholds, ColorMatrix } from './mpdecimate'
export type { HashSettings } from './hash'
export type {
  BuiltinDetectorName,
  CompareDetector,
  CompareFunction,
  CustomDetector,
  DetectFrame,
  DetectImage,
  DetectOptions,
  DetectedFrame,
  Detection,
  OperatorDetector,
  TileOptions,
  Verdict,
  VerdictObject,
} from './types'

import { PIPELINE_MODES, PRESETS, VIDEO_CODECS, listModels, type PipelineMode, type Preset, type VideoCodec } from '@anime-upscaler/core'

export const DETECTORS = ['off', 'default', 'hash', 'exact'] as const
export type Detector = (typeof DETECTORS)[number]

export const CONTAINERS = ['auto', 'mp4', 'mkv', 'webm'] as const
export type Container = (typeof CONTAINERS)[number]

export const AUDIO_CHOICES = ['copy', 'aac', 'libopus', 'none'] as const
export type AudioChoice = (typeof AUDIO_CHOICES)[number]

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
 * localStorage hold it. Unknown fields are ignored; missing ones take the defaults below.
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
  codec: VideoCodec
  crf?: number
  preset: Preset
  container: Container
  audio: AudioChoice
  imageFormat: ImageOutput
  quality?: number
}

export const DEFAULT_SETTINGS: UiSettings = {
  model: 'anime4k-l',
  sizeMode: 'scale',
  scale: 2,
  tile: 'auto',
  workers: 'auto',
  processing: 'auto',
  dedup: { detector: 'default' },
  codec: 'libx264',
  preset: 'medium',
  container: 'auto',
  audio: 'copy',
  imageFormat: 'same',
}

/** A request the user can fix: the message names the setting. */
export class SettingsError extends Error {
  override name = 'SettingsError'
}

type Raw = Record<string, unknown>

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

function oneOf<T extends string>(raw: Raw, key: string, allowed: readonly T[], fallback: T, label: string): T {
  const value = raw[key]
  if (isMissing(value)) return fallback
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new SettingsError(`${label} must be one of ${allowed.join(', ')} (received ${JSON.stringify(value)})`)
  }
  return value as T
}

function number(raw: Raw, key: string, label: string, min: number, max: number, integer: boolean): number | undefined {
  const value = raw[key]
  if (isMissing(value)) return undefined
  const parsed = typeof value === 'string' ? Number(value) : value
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
    throw new SettingsError(`${label} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (received ${JSON.stringify(value)})`)
  }
  return parsed
}

function autoOr(raw: Raw, key: string, label: string, min: number, max: number): number | 'auto' {
  return raw[key] === 'auto' ? 'auto' : (number(raw, key, label, min, max, true) ?? 'auto')
}

const MAX_SIDE = 16384

/** Validates what the page sent; throws a SettingsError naming the first bad setting. */
export function parseSettings(input: unknown): UiSettings {
  if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) throw new SettingsError('Settings must be an object')
  const raw = (input ?? {}) as Raw
  const models = listModels().map((model) => model.id)
  // Only built-in models: a path from the browser would make the server read any file as a model.
  const model = oneOf(raw, 'model', models, DEFAULT_SETTINGS.model, 'Model')
  const sizeMode = oneOf(raw, 'sizeMode', ['scale', 'size'] as const, 'scale', 'Output size mode')
  const scale = number(raw, 'scale', 'Scale', 1, 16, false) ?? DEFAULT_SETTINGS.scale
  const width = number(raw, 'width', 'Target width', 16, MAX_SIDE, true)
  const height = number(raw, 'height', 'Target height', 16, MAX_SIDE, true)
  if (sizeMode === 'size' && width === undefined && height === undefined) throw new SettingsError('Target size needs a width, a height or both')
  const rawDedup = raw.dedup === undefined || raw.dedup === null ? {} : raw.dedup
  if (typeof rawDedup !== 'object' || Array.isArray(rawDedup)) throw new SettingsError('Duplicate detection settings must be an object')
  const detector = oneOf(rawDedup as Raw, 'detector', DETECTORS, DEFAULT_SETTINGS.dedup.detector, 'Duplicate detector')
  const dedup: DedupSettings = { detector }
  if (detector === 'default') {
    dedup.hi = number(rawDedup as Raw, 'hi', 'Duplicate block limit (hi)', 0, 65536, false)
    dedup.lo = number(rawDedup as Raw, 'lo', 'Duplicate block threshold (lo)', 0, 65536, false)
    dedup.frac = number(rawDedup as Raw, 'frac', 'Duplicate share of blocks (frac)', 0, 1, false)
  }
  if (detector === 'hash') dedup.hashDistance = number(rawDedup as Raw, 'hashDistance', 'Hash distance', 0, 1024, true)
  if (detector !== 'off') dedup.maxRun = number(rawDedup as Raw, 'maxRun', 'Most duplicates in a row', 1, 1_000_000, true)
  for (const key of Object.keys(dedup) as (keyof DedupSettings)[]) if (dedup[key] === undefined) delete dedup[key]
  return {
    model,
    sizeMode,
    scale,
    width: sizeMode === 'size' ? width : undefined,
    height: sizeMode === 'size' ? height : undefined,
    tile: autoOr(raw, 'tile', 'Tile size', 16, 8192),
    workers: autoOr(raw, 'workers', 'Workers', 1, 64),
    processing: oneOf(raw, 'processing', PIPELINE_MODES, DEFAULT_SETTINGS.processing, 'Processing mode'),
    dedup,
    codec: oneOf(raw, 'codec', VIDEO_CODECS, DEFAULT_SETTINGS.codec, 'Video codec'),
    crf: number(raw, 'crf', 'CRF', 0, 63, true),
    preset: oneOf(raw, 'preset', PRESETS, DEFAULT_SETTINGS.preset, 'Encoder preset'),
    container: oneOf(raw, 'container', CONTAINERS, DEFAULT_SETTINGS.container, 'Container'),
    audio: oneOf(raw, 'audio', AUDIO_CHOICES, DEFAULT_SETTINGS.audio, 'Audio'),
    imageFormat: oneOf(raw, 'imageFormat', IMAGE_OUTPUTS, DEFAULT_SETTINGS.imageFormat, 'Image format'),
    quality: number(raw, 'quality', 'Quality', 1, 100, true),
  }
}

/** The container a video job writes: the chosen one, or the natural one for the codec. */
export function videoExtension(settings: UiSettings): '.mp4' | '.mkv' | '.webm' {
  if (settings.container !== 'auto') return `.${settings.container}`
  if (settings.codec === 'libvpx-vp9') return '.webm'
  if (settings.codec === 'ffv1') return '.mkv'
  return '.mp4'
}

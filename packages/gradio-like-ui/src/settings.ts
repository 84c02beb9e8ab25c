import { DEFAULTS, PIPELINE_MODES, PRESETS, SUBTITLE_CODECS, VIDEO_CODECS } from '@anime-upscaler/core'
import { ATTACHMENT_CHOICES, AUDIO_CHOICES, CONTAINERS, DETECTORS, IMAGE_OUTPUTS, REUSE_CHOICES, type DedupSettings, type UiSettings } from './api-types'
import { coreDefaults, selectableModels } from './core-defaults'
import { LIMITS } from './limits'

export type { Container, DedupSettings, UiSettings } from './api-types'

/** The settings a page starts with: core's defaults, and copy every stream of the source. */
export function defaultSettings(): UiSettings {
  const core = coreDefaults()
  return {
    model: core.model,
    sizeMode: 'scale',
    scale: core.scale,
    tile: 'auto',
    workers: 'auto',
    processing: core.mode,
    dedup: { detector: 'default' },
    reuse: DEFAULTS.reuse.mode,
    codec: core.codec,
    preset: core.preset,
    container: 'auto',
    audio: 'copy',
    subtitles: 'copy',
    attachments: 'copy',
    imageFormat: 'same',
  }
}

/** A request the user can fix: the message names the setting, `setting` is its field. */
export class SettingsError extends Error {
  override name = 'SettingsError'
  constructor(
    message: string,
    readonly setting?: string,
  ) {
    super(message)
  }
}

type Raw = Record<string, unknown>

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

function oneOf<T extends string>(raw: Raw, key: string, allowed: readonly T[], fallback: T, label: string): T {
  const value = raw[key]
  if (isMissing(value)) return fallback
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new SettingsError(`${label} must be one of ${allowed.join(', ')} (received ${JSON.stringify(value)})`, key)
  }
  return value as T
}

function number(raw: Raw, key: string, label: string, [min, max]: readonly [number, number], integer: boolean): number | undefined {
  const value = raw[key]
  if (isMissing(value)) return undefined
  const parsed = typeof value === 'string' ? Number(value) : value
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
    throw new SettingsError(`${label} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (received ${JSON.stringify(value)})`, key)
  }
  return parsed
}

function autoOr(raw: Raw, key: string, label: string, range: readonly [number, number]): number | 'auto' {
  return raw[key] === 'auto' ? 'auto' : (number(raw, key, label, range, true) ?? 'auto')
}

function parseDedup(value: unknown): DedupSettings {
  const raw = (value === undefined || value === null ? {} : value) as Raw
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new SettingsError('Duplicate detection settings must be an object', 'dedup')
  const detector = oneOf(raw, 'detector', DETECTORS, 'default', 'Duplicate detector')
  const dedup: DedupSettings = { detector }
  if (detector === 'default') {
    dedup.hi = number(raw, 'hi', 'Duplicate block limit (hi)', [0, 65536], false)
    dedup.lo = number(raw, 'lo', 'Duplicate block threshold (lo)', [0, 65536], false)
    dedup.frac = number(raw, 'frac', 'Duplicate share of blocks (frac)', [0, 1], false)
  }
  if (detector === 'hash') dedup.hashDistance = number(raw, 'hashDistance', 'Hash distance', [0, 1024], true)
  if (detector !== 'off') dedup.maxRun = number(raw, 'maxRun', 'Most duplicates in a row', [1, 1_000_000], true)
  for (const key of Object.keys(dedup) as (keyof DedupSettings)[]) if (dedup[key] === undefined) delete dedup[key]
  return dedup
}

function parseSize(raw: Raw, fallbackScale: number): Pick<UiSettings, 'sizeMode' | 'scale' | 'width' | 'height'> {
  const sizeMode = oneOf(raw, 'sizeMode', ['scale', 'size'] as const, 'scale', 'Output size mode')
  const scale = number(raw, 'scale', 'Scale', [LIMITS.minScale, LIMITS.maxScale], false) ?? fallbackScale
  const width = number(raw, 'width', 'Target width', LIMITS.side, true)
  const height = number(raw, 'height', 'Target height', LIMITS.side, true)
  if (sizeMode === 'size' && width === undefined && height === undefined) throw new SettingsError('Target size needs a width, a height or both', 'width')
  return { sizeMode, scale, width: sizeMode === 'size' ? width : undefined, height: sizeMode === 'size' ? height : undefined }
}

/** Validates what the page sent; throws a SettingsError naming the first bad setting. */
export function parseSettings(input: unknown): UiSettings {
  if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) throw new SettingsError('Settings must be an object')
  const raw = (input ?? {}) as Raw
  const defaults = defaultSettings()
  return {
    model: oneOf(raw, 'model', selectableModels().map((model) => model.id), defaults.model, 'Model'),
    ...parseSize(raw, defaults.scale),
    tile: autoOr(raw, 'tile', 'Tile size', LIMITS.tile),
    workers: autoOr(raw, 'workers', 'Workers', LIMITS.workers),
    processing: oneOf(raw, 'processing', PIPELINE_MODES, defaults.processing, 'Processing mode'),
    dedup: parseDedup(raw.dedup),
    reuse: oneOf(raw, 'reuse', REUSE_CHOICES, defaults.reuse, 'Reuse'),
    reuseRefs: number(raw, 'reuseRefs', 'Reference frames', LIMITS.reuseRefs, true),
    codec: oneOf(raw, 'codec', VIDEO_CODECS, defaults.codec, 'Video codec'),
    crf: number(raw, 'crf', 'CRF', LIMITS.crf, true),
    preset: oneOf(raw, 'preset', PRESETS, defaults.preset, 'Encoder preset'),
    container: oneOf(raw, 'container', CONTAINERS, defaults.container, 'Container'),
    audio: oneOf(raw, 'audio', AUDIO_CHOICES, defaults.audio, 'Audio'),
    subtitles: oneOf(raw, 'subtitles', SUBTITLE_CODECS, defaults.subtitles, 'Subtitles'),
    attachments: oneOf(raw, 'attachments', ATTACHMENT_CHOICES, defaults.attachments, 'Attachments'),
    imageFormat: oneOf(raw, 'imageFormat', IMAGE_OUTPUTS, defaults.imageFormat, 'Image format'),
    quality: number(raw, 'quality', 'Quality', LIMITS.quality, true),
  }
}

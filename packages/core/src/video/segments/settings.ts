import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { message, optionName, type MessagePart } from '@anime-upscaler/common'
import { BUILTIN_DETECTORS } from '@anime-upscaler/stage-detect'
import { listModels } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from '../../defaults'
import { CoreError } from '../../errors'
import { CORE_VERSION } from '../../version'
import type { ResolvedVideoOptions } from '../options'
import type { ReuseRequest } from '../reuse'
import { sha256File, sourceFingerprint } from './checksums'

/** What decides a segment's content, flat, by core's option names (`encoder.crf`, `dedup.hi`): compared key by key. */
export type JobSettings = Record<string, string | number | boolean | null>

/** Pool options that change how the work is spread, not what it gives. */
const NOT_SETTINGS = new Set(['workers', 'threads', 'provider', 'memoryBudget', 'callBudgetMs', 'onWarning'])

function flatten(prefix: string, value: unknown, into: JobSettings): void {
  if (value === undefined || typeof value === 'function') return
  if (value === null || typeof value !== 'object') {
    into[prefix] = value as string | number | boolean | null
    return
  }
  for (const [key, inner] of Object.entries(value)) flatten(prefix ? `${prefix}.${key}` : key, inner, into)
}

/**
 * The model by what it is: a built-in's id, or an imported file's content (its path may differ
 * between machines and runs; a file replaced under the same name is another model).
 */
async function modelIdentity(model: string): Promise<string> {
  if (listModels().some((m) => m.id === model)) return model
  const file = resolve(model)
  const found = await stat(file).catch(() => undefined)
  return found?.isFile() ? `file ${await sourceFingerprint(file)}` : model
}

/**
 * The detector by what it is: a built-in's name, a module file's content (machines and runs load
 * their own copy from their own path; a file changed under the same name is another detector), or
 * a detector object's `name`.
 */
async function detectorIdentity(detector: unknown): Promise<string | undefined> {
  if (detector === undefined || (typeof detector === 'string' && (BUILTIN_DETECTORS as readonly string[]).includes(detector))) return detector
  if (typeof detector === 'string') {
    const file = resolve(detector.startsWith('file:') ? fileURLToPath(detector) : detector)
    const found = await stat(file).catch(() => undefined)
    return found?.isFile() ? `module ${(await sha256File(file)).slice(0, 16)}` : detector
  }
  const name = (detector as { name?: unknown }).name
  if (typeof name === 'string' && name !== '') return `custom ${name}`
  throw new CoreError('E_INVALID_ARGUMENT', 'input', message`A segmented job needs ${optionName('dedup.detector')} to be a name, a module path or a detector with a name: its segments must be made the same way on every run`, {
    option: 'dedup.detector',
  })
}

/**
 * The reuse options as settings: the mode and the references decide which frames repeat which, and
 * in `tiles` mode the tile size and threshold decide which tiles are upscaled again. (Each segment
 * starts with nothing held, so these are all that decides reuse.)
 */
function reuseSettings({ mode, references, tileSize, threshold }: ReuseRequest): JobSettings {
  return { reuse: mode, reuseRefs: references, ...(mode === 'tiles' ? { reuseTileSize: tileSize, reuseThreshold: threshold } : {}) }
}

/**
 * The settings of a segmented job: the core version, the model, the target, the frame format, every
 * encoder, duplicate-detection and reuse option and the segment length. Workers, threads, capacity,
 * mode and the provider are not settings: they change the speed, not the segments.
 */
export async function jobSettings(options: ResolvedVideoOptions): Promise<JobSettings> {
  const settings: JobSettings = { coreVersion: CORE_VERSION }
  const { model = DEFAULTS.model, ...pool } = options.pool
  settings.model = await modelIdentity(model)
  for (const [key, value] of Object.entries(pool)) if (!NOT_SETTINGS.has(key)) flatten(key, value, settings)
  flatten('target', options.target, settings)
  settings.frameFormat = options.frameFormat
  settings.allowTruncated = options.allowTruncated
  flatten('encoder', options.encoder, settings)
  const { detector, ...dedup } = options.dedup
  flatten('dedup', { ...dedup, detector: await detectorIdentity(detector), worker: undefined, concurrency: undefined }, settings)
  Object.assign(settings, reuseSettings(options.reuse))
  settings['segments.seconds'] = options.segments?.seconds ?? DEFAULTS.segmentSeconds
  return settings
}

/** Settings that differ, worded with the options' names: `encoder.crf 18 → 20`. */
export function settingChanges(before: JobSettings, now: JobSettings): MessagePart[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter((key) => before[key] !== now[key])
  return keys.flatMap((key, i) => [...(i > 0 ? [', '] : []), key === 'coreVersion' ? 'the version of @anime-upscaler/core' : optionName(key), ` ${String(before[key] ?? 'unset')} → ${String(now[key] ?? 'unset')}`])
}

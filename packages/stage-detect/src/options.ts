import { DetectError, assertFraction, assertNonNegativeInteger, assertNonNegativeNumber, assertPositiveInteger, describeValue, invalidArgument } from './errors'
import type { BlockThresholds, ColorMatrix } from './mpdecimate'
import type { HashSettings } from './hash'
import type { TileSettings } from './tiles'
import type { BuiltinDetectorName, CompareDetector, DetectFrame, DetectOptions, OperatorDetector } from './types'

/** Defaults of the thresholds, measured on the fixture clips (see README, "Choosing the defaults"). */
export const DEFAULT_THRESHOLDS: Readonly<BlockThresholds> = Object.freeze({ hi: 64 * 12, lo: 64 * 3, frac: 0.33 })
export const DEFAULT_HASH: Readonly<HashSettings> = Object.freeze({ bits: 16, precise: true, distance: 0 })
export const DEFAULT_CONCURRENCY = 4
/** Tile reuse's block threshold: mpdecimate's `lo` (64x3), measured on the fixture clips (see README, "Changed tiles"). */
export const DEFAULT_TILE_THRESHOLD = 64 * 3
/** Tile reuse's tile side in source pixels: the least model work on both fixture clips (see README, "Changed tiles"). */
export const DEFAULT_TILE_SIZE = 48

export const BUILTIN_DETECTORS: readonly BuiltinDetectorName[] = ['default', 'mpdecimate', 'hash', 'exact', 'off']

/** Built-in detectors that do work (in a worker or inline); `off` does only when tiles are tracked. */
export type EngineKind = 'default' | 'hash' | 'exact' | 'off'

/** Everything a built-in detector needs; plain data, so it can go to a worker. */
export interface EngineSettings {
  kind: EngineKind
  thresholds: BlockThresholds
  matrix: ColorMatrix | 'auto'
  hash: HashSettings
  maxRun: number
  /** Kept frames a frame is compared with. */
  references: number
  tiles?: TileSettings
}

export type DetectorChoice<F extends DetectFrame> =
  | { type: 'off' }
  | { type: 'builtin'; settings: EngineSettings; worker: boolean; concurrency: number }
  | { type: 'module'; path: string }
  | { type: 'custom'; detector: NormalizedDetector<F> }

export type NormalizedDetector<F extends DetectFrame> =
  | { kind: 'compare'; name: string; detector: CompareDetector<F> }
  | { kind: 'operator'; name: string; detector: OperatorDetector<F> }

export interface ResolvedOptions<F extends DetectFrame> {
  choice: DetectorChoice<F>
  maxRun: number
  references: number
  /** Also the built-in settings, for tracking tiles beside a custom detector. */
  settings: EngineSettings
}

/** True for strings that name a module file rather than a built-in detector. */
export function looksLikeModulePath(value: string): boolean {
  return /[\\/]/.test(value) || /\.(c|m)?js$/i.test(value) || value.startsWith('file:')
}

/** Reads a custom detector value: a function, an object with compare(), or an object with operator. */
export function normalizeDetector<F extends DetectFrame>(value: unknown, fallbackName: string): NormalizedDetector<F> | undefined {
  if (typeof value === 'function') {
    const fn = value as CompareDetector<F>['compare']
    return { kind: 'compare', name: fn.name || fallbackName, detector: { compare: fn } }
  }
  if (value === null || typeof value !== 'object') return undefined
  const candidate = value as Partial<CompareDetector<F> & OperatorDetector<F>>
  const name = typeof candidate.name === 'string' && candidate.name ? candidate.name : fallbackName
  if (typeof candidate.compare === 'function') {
    for (const hook of ['init', 'close'] as const) {
      if (candidate[hook] !== undefined && typeof candidate[hook] !== 'function') {
        throw new DetectError('E_DETECTOR_INVALID', `Detector '${name}': ${hook} must be a function, not ${describeValue(candidate[hook])}`, { detector: name })
      }
    }
    return { kind: 'compare', name, detector: candidate as CompareDetector<F> }
  }
  if (typeof candidate.operator === 'function') return { kind: 'operator', name, detector: candidate as OperatorDetector<F> }
  return undefined
}

function optionalNumber(options: object, name: string, fallback: number, check: (name: string, value: unknown) => void): number {
  const value = (options as Record<string, unknown>)[name]
  if (value === undefined) return fallback
  check(name, value)
  return value as number
}

/** Validates the options (throwing a DetectError that names the bad one) and fills in the defaults. */
export function resolveOptions<F extends DetectFrame>(options: DetectOptions<F>): ResolvedOptions<F> {
  if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options)
  const hi = optionalNumber(options, 'hi', DEFAULT_THRESHOLDS.hi, assertNonNegativeNumber)
  const lo = optionalNumber(options, 'lo', DEFAULT_THRESHOLDS.lo, assertNonNegativeNumber)
  const frac = optionalNumber(options, 'frac', DEFAULT_THRESHOLDS.frac, assertFraction)
  const maxRun = optionalNumber(options, 'maxRun', Infinity, (name, value) => {
    if (value !== Infinity) {
      try {
        assertNonNegativeInteger(name, value)
      } catch {
        throw invalidArgument('non-negative integer or Infinity', name, value)
      }
    }
  })
  const bits = optionalNumber(options, 'hashBits', DEFAULT_HASH.bits, (name, value) => {
    assertPositiveInteger(name, value)
    if ((value as number) % 2 !== 0) throw invalidArgument('even positive integer', name, value)
  })
  const distance = optionalNumber(options, 'hashDistance', DEFAULT_HASH.distance, assertNonNegativeInteger)
  const concurrency = optionalNumber(options, 'concurrency', DEFAULT_CONCURRENCY, assertPositiveInteger)
  const precise = options.hashPrecise ?? DEFAULT_HASH.precise
  if (typeof precise !== 'boolean') throw invalidArgument('boolean', 'hashPrecise', precise)
  const worker = options.worker ?? true
  if (typeof worker !== 'boolean') throw invalidArgument('boolean', 'worker', worker)
  const matrix = options.matrix ?? 'auto'
  if (!['auto', 'bt601', 'bt709'].includes(matrix)) throw invalidArgument("one of 'auto', 'bt601', 'bt709'", 'matrix', matrix)
  const references = optionalNumber(options, 'references', 1, assertPositiveInteger)
  const tiles = resolveTiles(options.tiles)
  const settings: EngineSettings = { kind: 'default', thresholds: { hi, lo, frac }, matrix, hash: { bits, precise, distance }, maxRun, references, ...(tiles ? { tiles } : {}) }
  return { choice: chooseDetector<F>(options.detector ?? 'default', settings, worker, concurrency), maxRun, references, settings }
}

/** Validates the `tiles` option and fills in the threshold. */
function resolveTiles(tiles: DetectOptions['tiles']): TileSettings | undefined {
  if (tiles === undefined) return undefined
  if (tiles === null || typeof tiles !== 'object') throw invalidArgument('{ halo, size?, threshold? }', 'tiles', tiles)
  const { size = DEFAULT_TILE_SIZE, halo } = tiles
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 8 || size % 8 !== 0) throw invalidArgument('positive multiple of 8', 'tiles.size', size)
  assertNonNegativeInteger('tiles.halo', halo)
  const threshold = optionalNumber(tiles, 'threshold', DEFAULT_TILE_THRESHOLD, (name, value) => assertNonNegativeNumber(`tiles.${name}`, value))
  return { size, halo, threshold }
}

/** Which detector runs: a built-in one (`settings` with its kind), a module to load, or a custom detector. */
function chooseDetector<F extends DetectFrame>(detector: unknown, settings: EngineSettings, worker: boolean, concurrency: number): DetectorChoice<F> {
  if (typeof detector === 'string') {
    if ((BUILTIN_DETECTORS as readonly string[]).includes(detector)) {
      // `off` compares nothing; with tiles it still measures them, in the worker.
      if (detector === 'off' && !settings.tiles) return { type: 'off' }
      const kind: EngineKind = detector === 'mpdecimate' ? 'default' : (detector as EngineKind)
      return { type: 'builtin', worker, concurrency, settings: { ...settings, kind } }
    }
    if (looksLikeModulePath(detector)) return { type: 'module', path: detector }
    throw invalidArgument(`one of ${BUILTIN_DETECTORS.map((d) => `'${d}'`).join(', ')} or a module path such as './my-detector.mjs'`, 'detector', detector)
  }
  const normalized = normalizeDetector<F>(detector, 'custom')
  if (!normalized) {
    throw invalidArgument('a detector name, a module path, a compare function, or an object with compare() or operator', 'detector', detector)
  }
  return { type: 'custom', detector: normalized }
}

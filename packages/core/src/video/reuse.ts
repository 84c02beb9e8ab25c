import { message, optionName, optionSetting, type Validators } from '@anime-upscaler/common'
import { passesHalo, tileReuseRefusal, type ModelInfo } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from '../defaults'
import { CoreError } from '../errors'

export const REUSE_MODES = ['off', 'frames', 'tiles'] as const
/**
 * How much of earlier results a video job reuses. `off`: a duplicate repeats the last kept frame
 * (as before references existed). `frames`: a duplicate may repeat any of the last `reuseRefs` kept
 * frames (mouth flaps A-B-A, cuts back to a shot). `tiles`: that, and a kept frame upscales only the
 * tiles whose source changed; the others keep their earlier output.
 */
export type ReuseMode = (typeof REUSE_MODES)[number]

/** The reuse options as given, validated, with defaults filled in. */
export interface ReuseRequest {
  mode: ReuseMode
  /** False when the mode is the default: a model that cannot reuse tiles then falls back to `frames`. */
  modeGiven: boolean
  references: number
  referencesGiven: boolean
  tileSize: number
  threshold: number
}

/** What a job reuses, decided once the model and the sizes are known (the start event and the plan file say it). */
export interface VideoReuse {
  mode: ReuseMode
  /** Kept frames a frame is compared with, and whose results stage-save holds. */
  references: number
  /** Set in `tiles` mode: the grid of stage-detect and the model's receptive halo in source pixels. */
  tiles?: { size: number; threshold: number; halo: number }
  /** Bytes the held references take (sources and results), counted against `bufferMemory`. */
  heldBytes: number
  /** Why the mode or the references are less than the defaults, when they are. */
  note?: string
}

export interface ReuseOptionValues {
  reuse?: ReuseMode
  reuseRefs?: number
  reuseTileSize?: number
  reuseThreshold?: number
}

/** Validates the reuse options and fills in the defaults. */
export function resolveReuse(options: ReuseOptionValues, check: Validators): ReuseRequest {
  const { reuse, reuseRefs, reuseTileSize = DEFAULTS.reuse.tileSize, reuseThreshold = DEFAULTS.reuse.threshold } = options
  if (reuse !== undefined) check.oneOf('reuse', reuse, REUSE_MODES)
  if (reuseRefs !== undefined) check.positiveInteger('reuseRefs', reuseRefs)
  check.positiveInteger('reuseTileSize', reuseTileSize)
  if (reuseTileSize % 8 !== 0) throw check.invalid('positive multiple of 8', 'reuseTileSize', reuseTileSize)
  check.nonNegativeNumber('reuseThreshold', reuseThreshold)
  const mode = reuse ?? DEFAULTS.reuse.mode
  // `off` compares with the last kept frame only, as the pipeline did before references.
  const references = mode === 'off' ? 1 : (reuseRefs ?? DEFAULTS.reuse.references)
  return { mode, modeGiven: reuse !== undefined, references, referencesGiven: reuseRefs !== undefined && mode !== 'off', tileSize: reuseTileSize, threshold: reuseThreshold }
}

/** The options that ask for `request` again (a distributed task carries them): the mode and references only when they were given, as defaults fall back differently. */
export function reuseOptionValues(request: ReuseRequest): ReuseOptionValues {
  const { mode, modeGiven, references, referencesGiven, tileSize, threshold } = request
  return { ...(modeGiven ? { reuse: mode } : {}), ...(referencesGiven ? { reuseRefs: references } : {}), reuseTileSize: tileSize, reuseThreshold: threshold }
}

const MIB = 1024 * 1024
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`

export interface ReuseSizing {
  model: ModelInfo
  passes: number
  /** Bytes of one frame in flight: its decoded source and its result. A held reference costs as much. */
  frameBytes: number
  bufferMemory: number
  /** The frames the pipeline needs in flight at least. */
  minInFlight: number
  outputSize: { width: number; height: number }
}

/**
 * The job's reuse: the mode the model allows, and the references that fit the memory budget. Held
 * references are frames that already left the pipeline (their credits are back), so they take
 * memory, not credits: `bufferMemory` must hold them and at least `minInFlight` frames in flight.
 * Given references that do not fit are refused, saying how many do; default ones are lowered.
 */
export function planReuse(request: ReuseRequest, sizing: ReuseSizing): VideoReuse {
  const notes: string[] = []
  let mode = request.mode
  const refusal = mode === 'tiles' ? tileReuseRefusal(sizing.model) : undefined
  if (refusal && request.modeGiven) throw new CoreError('E_INVALID_ARGUMENT', 'upscale', message`Tile reuse is not possible: ${refusal}`, { option: 'reuse', value: 'tiles', hint: message`use ${optionSetting('reuse', 'frames')}` })
  if (refusal) {
    mode = 'frames'
    notes.push(`tile reuse off: ${refusal}`)
  }
  // The tile reuser holds the previous output besides the results stage-save holds.
  const extra = mode === 'tiles' ? 1 : 0
  const fitting = Math.floor((sizing.bufferMemory - sizing.minInFlight * sizing.frameBytes) / sizing.frameBytes) - extra
  let references = request.references
  if (references > fitting) {
    if (request.referencesGiven) throw tooManyReferences(request.references, Math.max(0, fitting), sizing)
    references = Math.max(1, fitting)
    notes.push(`${references} reference${references === 1 ? '' : 's'} (the memory budget holds no more)`)
  }
  const tiles = mode === 'tiles' ? { size: request.tileSize, threshold: request.threshold, halo: passesHalo(sizing.model.receptiveRadius!, sizing.model.scale, sizing.passes) } : undefined
  return { mode, references, ...(tiles ? { tiles } : {}), heldBytes: (references + extra) * sizing.frameBytes, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) }
}

function tooManyReferences(references: number, fitting: number, sizing: ReuseSizing): CoreError {
  const { width, height } = sizing.outputSize
  return new CoreError(
    'E_INVALID_ARGUMENT',
    'input',
    message`${references} references do not fit the memory budget: each holds a source frame and its ${width}x${height} result (${mib(sizing.frameBytes)}), and ${optionName('bufferMemory')} (${mib(sizing.bufferMemory)}) must also hold ${sizing.minInFlight} frames in flight, so at most ${fitting} fit`,
    { option: 'reuseRefs', value: references, expected: `at most ${fitting}`, hint: fitting > 0 ? message`lower ${optionName('reuseRefs')} to ${fitting}` : message`use ${optionSetting('reuse', 'off')}, or a smaller output` },
  )
}

/** The reuse as the start event and the plan file tell it: without the memory bookkeeping. */
export function reuseSummary(reuse: VideoReuse): Omit<VideoReuse, 'heldBytes'> {
  const { heldBytes: _, ...summary } = reuse
  return summary
}

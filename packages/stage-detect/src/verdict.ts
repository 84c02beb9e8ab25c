// What a custom detector answered, checked: a boolean, or { duplicateOf, changed }.
import { message, optionName } from '@anime-upscaler/common'
import { DetectError, describeValue } from './errors'
import { BlockDetector, type Planes } from './mpdecimate'
import type { EngineSettings } from './options'
import { TileTracker, tilesMeeting, type ChangedRegion, type TileChanges } from './tiles'
import type { DetectImage } from './types'

/** A kept frame still held: its index, and the frame itself for custom detectors (which are given them). */
export interface Held<F> {
  index: number
  frame?: F
}

/** A checked verdict: the held frame it repeats (a duplicate), or a kept frame with the regions the detector says changed. */
export type Decision<F> = { repeats: Held<F> } | { repeats?: undefined; changed?: readonly ChangedRegion[] }

function isRegion(value: unknown): value is ChangedRegion {
  if (value === null || typeof value !== 'object') return false
  const { x, y, width, height } = value as Record<string, unknown>
  return [x, y].every((v) => Number.isInteger(v)) && [width, height].every((v) => Number.isInteger(v) && (v as number) >= 0)
}

/** Who answered and what it should have: for the error messages. */
export interface VerdictContext {
  detector: string
  /** 'answered' (compare) or 'emitted' (operator). */
  verb: string
  /** The contract, ending the message. */
  expected: string
  references: number
}

/**
 * Reads a custom detector's verdict for `frame` against the held kept frames (most recent first).
 * Throws E_DETECTOR_INVALID, naming the detector, for anything but a boolean or a verdict object
 * whose `duplicateOf` is a held frame and whose `changed` is a list of rectangles.
 */
export function readVerdict<F>(value: unknown, frame: { index: number }, held: readonly Held<F>[], context: VerdictContext): Decision<F> {
  const { detector, expected, references, verb } = context
  const invalid = (why: string) => new DetectError('E_DETECTOR_INVALID', `Detector '${detector}' ${why} for frame ${frame.index}: ${expected}`, { detector })
  if (typeof value === 'boolean') return value && held.length > 0 ? { repeats: held[0] } : {}
  if (value === null || typeof value !== 'object') throw invalid(`${verb} ${describeValue(value)}`)
  const { duplicateOf, changed } = value as { duplicateOf?: unknown; changed?: unknown }
  if (changed !== undefined && !(Array.isArray(changed) && changed.every(isRegion))) {
    throw invalid(`${verb} changed: ${describeValue(changed)}, not a list of { x, y, width, height } integer rectangles,`)
  }
  if (duplicateOf === undefined) return { changed: changed as ChangedRegion[] | undefined }
  const repeats = held.find((kept) => kept.index === duplicateOf)
  if (!repeats) {
    const list = held.map((kept) => kept.index).join(', ') || 'none'
    throw new DetectError(
      'E_DETECTOR_INVALID',
      message`Detector '${detector}' ${verb} duplicateOf ${describeValue(duplicateOf)} for frame ${frame.index}, which is not a kept frame still held (held: ${list}; ${optionName('references')} ${references} holds the last ${references})`,
      { detector, option: 'references', value: references, hint: message`name one of those, or raise ${optionName('references')} to hold more` },
    )
  }
  return { repeats }
}

/**
 * Changed tiles beside a custom detector, on the calling thread: the detector's own regions when it
 * gives them, else the built-in block comparison against each tile's reference.
 */
export class InlineTiles {
  private readonly planeMaker: BlockDetector
  private readonly tracker: TileTracker
  private planes: Planes | undefined

  constructor(private readonly settings: EngineSettings & { tiles: NonNullable<EngineSettings['tiles']> }) {
    this.planeMaker = new BlockDetector(settings.thresholds, settings.matrix)
    this.tracker = new TileTracker(settings.tiles)
  }

  changes(image: DetectImage, regions: readonly ChangedRegion[] | undefined): TileChanges {
    this.planes = this.planeMaker.prepare(image.data, image.width, image.height, this.planes)
    if (!regions) return this.tracker.detect(this.planes)
    return this.tracker.apply(this.planes, tilesMeeting(regions, image.width, image.height, this.settings.tiles))
  }
}

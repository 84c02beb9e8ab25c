import { message, optionName } from '@anime-upscaler/common'
import { SaveError, describeValue } from './errors'
import type { Rational } from './options'
import type { FrameToSave, SaveImage } from './types'

/** Holds frames that arrive early until every earlier index has come; bounded. */
export class ReorderBuffer {
  private readonly waiting = new Map<number, FrameToSave>()

  constructor(
    private next: number,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.waiting.size
  }

  add(frame: FrameToSave): void {
    const index = frame?.index
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
      throw new SaveError('E_INVALID_FRAME', `Expected non-negative integer for frame index but received ${describeValue(index)}`)
    }
    if (index < this.next) {
      throw new SaveError('E_INVALID_FRAME', `Frame ${index} arrived after frame ${this.next - 1} was written: each index must come once`)
    }
    if (this.waiting.has(index)) throw new SaveError('E_INVALID_FRAME', `Frame ${index} arrived twice`)
    if (this.waiting.size >= this.capacity) {
      throw new SaveError(
        'E_REORDER_OVERFLOW',
        `Reorder buffer full: ${this.waiting.size} frames are waiting for frame ${this.next} (reorderCapacity ${this.capacity}) and frame ${index} came: ` +
          'raise reorderCapacity, or bound how many frames upstream sends ahead of the written credits',
      )
    }
    this.waiting.set(index, frame)
  }

  /** True when the next frame in order has arrived. */
  peekReady(): boolean {
    return this.waiting.has(this.next)
  }

  /** The next frame in order, if it has arrived. */
  take(): FrameToSave | undefined {
    const frame = this.waiting.get(this.next)
    if (!frame) return undefined
    this.waiting.delete(this.next)
    this.next++
    return frame
  }

  /** Describes the gap when the input ended early, or undefined if nothing waits. */
  gapMessage(): string | undefined {
    if (this.waiting.size === 0) return undefined
    const later = [...this.waiting.keys()].sort((a, b) => a - b)
    const shown = later.slice(0, 5).join(', ') + (later.length > 5 ? ', ...' : '')
    return `The input completed but frame ${this.next} never came (${later.length} later frame${later.length === 1 ? '' : 's'} waiting: ${shown})`
  }
}

/** How many recent kept indices the cache remembers beyond its images, to say how far back an evicted frame was. */
const KEPT_HISTORY = 1024

/**
 * Recent kept images, for duplicates: a duplicate frame carries no image, only the index of the
 * kept frame it repeats, any of the `capacity` most recent kept frames (stage-detect's
 * `references`). Duplicates of duplicates resolve through a small alias table.
 */
export class ResultCache {
  private readonly images = new Map<number, SaveImage>()
  private readonly aliases = new Map<number, number>()
  /** Indices of the most recent kept frames, oldest first (at most KEPT_HISTORY). */
  private readonly kept: number[] = []

  constructor(private readonly capacity: number) {}

  remember(index: number, image: SaveImage): void {
    this.images.set(index, image)
    while (this.images.size > this.capacity) this.images.delete(this.images.keys().next().value as number)
    this.kept.push(index)
    if (this.kept.length > KEPT_HISTORY) this.kept.shift()
  }

  /** The image a frame writes: its own, or the cached image of the frame it repeats. */
  resolve(frame: FrameToSave, firstIndex: number): SaveImage {
    if (frame.image) {
      if (frame.duplicateOf !== undefined) {
        throw new SaveError('E_INVALID_FRAME', `Frame ${frame.index} has both an image and duplicateOf ${describeValue(frame.duplicateOf)}: give one`)
      }
      this.remember(frame.index, frame.image)
      return frame.image
    }
    const ref = frame.duplicateOf
    if (ref === undefined) throw new SaveError('E_INVALID_FRAME', `Frame ${frame.index} has neither an image nor duplicateOf`)
    if (typeof ref !== 'number' || !Number.isInteger(ref)) {
      throw new SaveError('E_INVALID_FRAME', `Expected integer for duplicateOf of frame ${frame.index} but received ${describeValue(ref)}`)
    }
    if (ref >= frame.index) {
      throw new SaveError('E_DUPLICATE_MISSING', `Frame ${frame.index} repeats frame ${ref}, which never came before it: duplicateOf must name an earlier frame`)
    }
    if (ref < firstIndex) {
      throw new SaveError('E_DUPLICATE_MISSING', `Frame ${frame.index} repeats frame ${ref}, which never came (the first frame is ${firstIndex})`)
    }
    const kept = this.aliases.get(ref) ?? ref
    const image = this.images.get(kept)
    if (!image) throw this.evicted(frame.index, kept)
    this.aliases.set(frame.index, kept)
    while (this.aliases.size > this.capacity * 16) this.aliases.delete(this.aliases.keys().next().value as number)
    return image
  }

  /** The error for a duplicate of a kept frame that left the cache: how many kept frames back it is, so the caller knows what to raise the size to. */
  private evicted(index: number, kept: number): SaveError {
    const position = this.kept.lastIndexOf(kept)
    const [where, needed] = position >= 0 ? [`${this.kept.length - position} kept frames back`, `at least ${this.kept.length - position}`] : [`more than ${KEPT_HISTORY} kept frames back`, `above ${KEPT_HISTORY}`]
    return new SaveError(
      'E_DUPLICATE_MISSING',
      `Frame ${index} repeats frame ${kept}, which is no longer in the duplicate cache (it keeps the ${this.capacity} most recent kept frames; frame ${kept} is ${where})`,
      {
        option: 'duplicateCacheSize',
        value: this.capacity,
        hint: message`raise ${optionName('duplicateCacheSize')} to ${needed}, as many as the kept frames the detector compares with (stage-detect's references)`,
      },
    )
  }
}

/** How the timestamps of a stream are laid out, known once its first frame has come. */
export interface StreamTiming {
  /** Constant output rate, when there is one. */
  rate?: Rational
  /** Nominal frame duration in ns (constant rate only). */
  frameDurationNs?: number
  /**
   * Constant rate only: the first frame sits on the rate's own grid (t·rate is an integer, as in
   * most files that start at 0), so an encoder time base of 1/rate keeps every time exactly.
   */
  onGrid: boolean
}

/** A first frame this close to the rate's grid counts as on it (timestamps are rounded to 1 µs on the pipe). */
const GRID_TOLERANCE_S = 0.5e-6

/**
 * Turns frames' pts into microsecond timecodes for the pipe. With a frame rate, every frame lands
 * on the rate's grid anchored at the first frame's pts (its pts rounded to the nearest tick, or
 * the next tick when it has none), so the encoder sees an exact constant rate that starts where
 * the source starts (a Matroska source whose video starts at 21 ms keeps that start), or at
 * `gridStart` (a segment of a longer video stays on that video's grid); without,
 * each frame keeps its own pts.
 */
export class Timeline {
  private anchor?: number
  private lastTick = -1
  private lastUs = -1
  private lastPts?: number

  /** `gridStart`: where the grid is anchored (default: the first frame's pts). */
  constructor(
    private readonly rate?: Rational,
    gridStart?: number,
  ) {
    this.anchor = gridStart
  }

  /** Nominal frame duration in ns (constant rate only). */
  get frameDurationNs(): number | undefined {
    return this.rate ? Math.round((1e9 * this.rate.den) / this.rate.num) : undefined
  }

  /** The stream's timing; call after the first `next`. */
  get timing(): StreamTiming {
    if (!this.rate) return { onGrid: false }
    const ticks = ((this.anchor ?? 0) * this.rate.num) / this.rate.den
    const offGrid = (Math.abs(ticks - Math.round(ticks)) * this.rate.den) / this.rate.num
    return { rate: this.rate, frameDurationNs: this.frameDurationNs, onGrid: offGrid <= GRID_TOLERANCE_S }
  }

  next(frame: FrameToSave): number {
    const pts = frame.pts
    if (pts !== undefined && (typeof pts !== 'number' || !Number.isFinite(pts) || pts < 0)) {
      throw new SaveError('E_INVALID_FRAME', `Expected non-negative number of seconds for pts of frame ${frame.index} but received ${describeValue(pts)}`)
    }
    return this.rate ? this.onGrid(frame, pts, this.rate) : this.ownPts(frame, pts)
  }

  private onGrid(frame: FrameToSave, pts: number | undefined, { num, den }: Rational): number {
    this.anchor ??= pts ?? 0
    const tick = pts === undefined ? this.lastTick + 1 : Math.round(((pts - this.anchor) * num) / den)
    if (tick <= this.lastTick) {
      throw new SaveError(
        'E_INVALID_FRAME',
        message`Frame ${frame.index} at ${pts} s falls on the same ${num}/${den} tick as the frame before (${this.lastPts} s): the frames are not constant-rate`,
        { option: 'frameRate', value: `${num}/${den}`, hint: message`omit ${optionName('frameRate')} to keep each frame's own pts` },
      )
    }
    this.lastTick = tick
    this.lastPts = pts
    return Math.round(this.anchor * 1e6 + (tick * den * 1e6) / num)
  }

  private ownPts(frame: FrameToSave, pts: number | undefined): number {
    if (pts === undefined) {
      throw new SaveError('E_INVALID_FRAME', message`Frame ${frame.index} has no pts`, { hint: message`give every frame its pts, or set ${optionName('frameRate')} for a constant-rate output` })
    }
    const us = Math.round(pts * 1e6)
    if (us <= this.lastUs) {
      throw new SaveError('E_INVALID_FRAME', `Frame ${frame.index}'s pts ${pts} s is not after the previous frame's ${this.lastPts} s: timestamps must increase with the index`)
    }
    this.lastUs = us
    this.lastPts = pts
    return us
  }
}

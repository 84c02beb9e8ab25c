import { ExactDetector } from './exact'
import { HashDetector } from './hash'
import { BlockDetector, type Planes } from './mpdecimate'
import type { EngineSettings } from './options'
import { TileTracker, type TileChanges } from './tiles'

/** A built-in detector: prepares a frame into its reference form once, then compares it with references. */
interface FrameDetector<R> {
  /** The frame's reference form, built into `spare` (a reference no longer needed) when it can be. */
  prepare(data: Uint8Array | Uint16Array, width: number, height: number, spare: R | undefined): R
  /** True when `current` repeats `reference`. */
  matches(current: R, reference: R): boolean
  /** The frame as Y'CbCr planes, when its reference form is that (the default detector). */
  planes?(current: R): Planes
}

/** A built-in detector's answer for one frame. */
export interface EngineVerdict {
  /** -1: kept. Otherwise a duplicate of a kept frame: 0 the last one, 1 the one before it, and so on. */
  age: number
  /** Kept frames, when tiles are tracked: the tiles to upscale again. */
  changes?: TileChanges
}

function createDetector(settings: EngineSettings): FrameDetector<unknown> | undefined {
  switch (settings.kind) {
    case 'default':
      return new BlockDetector(settings.thresholds, settings.matrix)
    case 'hash':
      return new HashDetector(settings.hash)
    case 'exact':
      return new ExactDetector()
    case 'off':
      return undefined
  }
}

/**
 * A built-in detector with the run logic around it: the first frame is kept, a frame after `maxRun`
 * duplicates in a row is kept without comparing, a frame is compared with the last `references`
 * kept frames (the most recent first), and a kept frame becomes a reference. With tiles, every kept
 * frame's changed tiles are measured too. The same code runs in the worker thread and, with
 * `worker: false`, on the calling thread.
 */
export class DetectEngine {
  private readonly detector: FrameDetector<unknown> | undefined
  private readonly tracker: TileTracker | undefined
  /** Turns frames into planes for the tiles when the detector does not have them. */
  private readonly planeMaker: BlockDetector | undefined
  private readonly references: unknown[] = []
  private spare: unknown
  private tilePlanes: Planes | undefined
  private run = 0
  private started = false

  constructor(private readonly settings: EngineSettings) {
    this.detector = createDetector(settings)
    if (settings.tiles) {
      this.tracker = new TileTracker(settings.tiles)
      if (!this.detector?.planes) this.planeMaker = new BlockDetector(settings.thresholds, settings.matrix)
    }
  }

  next(data: Uint8Array | Uint16Array, width: number, height: number): EngineVerdict {
    const compare = this.started && this.run < this.settings.maxRun
    this.started = true
    const detector = this.detector
    const current = detector?.prepare(data, width, height, this.spare)
    if (detector && compare) {
      const age = this.references.findIndex((reference) => detector.matches(current, reference))
      if (age >= 0) {
        this.spare = current
        this.run++
        return { age }
      }
    }
    this.run = 0
    if (detector) {
      this.references.unshift(current)
      this.spare = this.references.length > this.settings.references ? this.references.pop() : undefined
    }
    return this.tracker ? { age: -1, changes: this.tracker.detect(this.planesOf(current, data, width, height)) } : { age: -1 }
  }

  private planesOf(current: unknown, data: Uint8Array | Uint16Array, width: number, height: number): Planes {
    if (this.detector?.planes) return this.detector.planes(current)
    this.tilePlanes = this.planeMaker!.prepare(data, width, height, this.tilePlanes)
    return this.tilePlanes
  }
}

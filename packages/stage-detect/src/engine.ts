import { ExactDetector } from './exact'
import { HashDetector } from './hash'
import { BlockDetector } from './mpdecimate'
import type { EngineSettings } from './options'

interface FrameDetector {
  /** Decides whether the frame repeats the reference (only if `compare`); otherwise it becomes the reference. */
  next(data: Uint8Array | Uint16Array, width: number, height: number, compare: boolean): boolean
}

/**
 * A built-in detector with the run logic around it: the first frame is kept, a frame after `maxRun`
 * duplicates in a row is kept without comparing, and a kept frame becomes the reference.
 * The same code runs in the worker thread and, with `worker: false`, on the calling thread.
 */
export class DetectEngine {
  private readonly detector: FrameDetector
  private readonly maxRun: number
  private run = 0
  private started = false

  constructor(settings: EngineSettings) {
    this.maxRun = settings.maxRun
    switch (settings.kind) {
      case 'default':
        this.detector = new BlockDetector(settings.thresholds, settings.matrix)
        break
      case 'hash':
        this.detector = new HashDetector(settings.hash)
        break
      case 'exact':
        this.detector = new ExactDetector()
        break
    }
  }

  /** True when this frame repeats the last kept one. */
  next(data: Uint8Array | Uint16Array, width: number, height: number): boolean {
    const compare = this.started && this.run < this.maxRun
    const duplicate = this.detector.next(data, width, height, compare)
    this.started = true
    if (duplicate) this.run++
    else this.run = 0
    return duplicate
  }
}

import { Observable, Subject, concat, defer, of, tap, type MonoTypeOperatorFunction } from 'rxjs'

/**
 * Backpressure of the video pipeline, as one named thing. RxJS pushes and has no backpressure of
 * its own, so the pipeline is a loop of credits: the source (the decoder) may emit only the frames
 * it was granted (`demand`); `admit` counts each frame in near the source; the sink (the encoder)
 * `release`s one credit per frame it has taken, which lets the source emit one more. At most
 * `capacity` frames are ever between the two, whatever the stages in between do, so their queues
 * stay bounded. Pausing holds released credits back: the source stops, frames in flight finish.
 */
export class CreditGate {
  private readonly grants = new Subject<number>()
  private held = 0
  private admitted = 0
  private released = 0
  private pausedNow = false

  constructor(readonly capacity: number) {}

  /**
   * Credits for the source: `capacity` at first, then one per release (none while paused). A gate
   * paused before the source starts holds the first `capacity` too: nothing is decoded until it resumes.
   */
  get demand(): Observable<number> {
    return defer(() => {
      if (!this.pausedNow) return concat(of(this.capacity), this.grants)
      this.held += this.capacity
      return this.grants
    })
  }

  /** Frames between the source and the sink right now. */
  get inFlight(): number {
    return this.admitted - this.released
  }

  get paused(): boolean {
    return this.pausedNow
  }

  /** Counts frames in as the source emits them; a source that emits more than it was granted is an error. */
  admit<T>(): MonoTypeOperatorFunction<T> {
    return tap(() => {
      if (++this.admitted - this.released > this.capacity) {
        throw new Error(`The source emitted more frames than the ${this.capacity} it was granted: it ignores its demand`)
      }
    })
  }

  /** The sink has taken a frame: its credit goes back to the source, or waits while paused. */
  release(): void {
    this.released++
    if (this.pausedNow) this.held++
    else this.grants.next(1)
  }

  /** Holds credits back (true) or gives back the held ones (false); returns whether the state changed. */
  setPaused(paused: boolean): boolean {
    if (paused === this.pausedNow) return false
    this.pausedNow = paused
    if (!paused && this.held > 0) {
      const held = this.held
      this.held = 0
      this.grants.next(held)
    }
    return true
  }

  /** No more credits: the source's demand completes. */
  close(): void {
    this.grants.complete()
  }
}

/** Time since a start, and the part of it that was not paused: what rates and ETAs are computed over. */
export class WorkClock {
  private readonly started = performance.now()
  private pausedMs = 0
  private pausedSince?: number

  setPaused(paused: boolean): void {
    if (paused) this.pausedSince ??= performance.now()
    else if (this.pausedSince !== undefined) {
      this.pausedMs += performance.now() - this.pausedSince
      this.pausedSince = undefined
    }
  }

  get paused(): boolean {
    return this.pausedSince !== undefined
  }

  /** Milliseconds since the start. */
  elapsedMs(): number {
    return performance.now() - this.started
  }

  /** Seconds not paused since the start (at least 1 ms, so rates stay finite). */
  workingSeconds(): number {
    const pausedNow = this.pausedSince === undefined ? 0 : performance.now() - this.pausedSince
    return Math.max(this.elapsedMs() - this.pausedMs - pausedNow, 1) / 1000
  }
}

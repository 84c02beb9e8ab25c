import { writeAtomically } from '@anime-upscaler/common'
import { writeFile } from 'node:fs/promises'
import { WorkClock } from '../work-clock'
import type { ReusePlan } from '@anime-upscaler/stage-upscale'
import type { StageCounts, VideoEvent } from './events'
import type { VideoPlan } from './plan'
import { reuseSummary, type VideoReuse } from './reuse'

/** One frame's entry in the processing plan; times in ms since the start. */
export interface PlannedFrame {
  index: number
  pts: number
  /** `upscale`, or `duplicate` of the kept frame `duplicateOf` (its result is repeated). */
  decision: 'upscale' | 'duplicate'
  duplicateOf?: number
  /** Kept frames: the share of the frame's source pixels upscaled (1 without tile reuse), and the share the model ran on, halos included. */
  upscaledShare?: number
  modelShare?: number
  decodedAt?: number
  upscaledAt?: number
  encodedAt?: number
}

/** The JSON processing plan `planFile` receives: settings, totals and every frame. */
export interface VideoPlanFile extends StageCounts {
  input: string
  output: string
  mode: 'concurrent' | 'sequential'
  capacity: number
  model: string
  reuse: Omit<VideoReuse, 'heldBytes'>
  seconds: number
  skippedShare: number
  modelWork: number
  frames: PlannedFrame[]
}

/** Counts what each stage did, times each frame, and words it as progress events and the plan file. */
export class ProgressRecorder {
  readonly counts: StageCounts = { decoded: 0, unique: 0, duplicates: 0, upscaled: 0, encoded: 0 }
  /** Of the encoded frames, those that repeat a kept one: what the output holds, also when it is partial. */
  private encodedDuplicates = 0
  /** Of the encoded frames, the sum of their upscaled shares: the model work so far is this over `encoded`. */
  private encodedShares = 0
  private readonly frames: PlannedFrame[] = []
  private readonly clock = new WorkClock()
  private total: number

  constructor(private readonly plan: VideoPlan) {
    this.total = plan.source.frames
  }

  /** Milliseconds since the start. */
  elapsed(): number {
    return this.clock.elapsedMs()
  }

  decoded(index: number, pts: number): void {
    this.counts.decoded++
    this.frames[index] = { index, pts, decision: 'upscale', decodedAt: this.elapsed() }
  }

  kept(): void {
    this.counts.unique++
  }

  duplicate(index: number, duplicateOf: number): void {
    this.counts.duplicates++
    Object.assign(this.frames[index], { decision: 'duplicate', duplicateOf })
  }

  /** A kept frame left the model; `reuse` says what share of it was upscaled (none: all of it). */
  upscaled(index: number, reuse?: ReusePlan): void {
    this.counts.upscaled++
    Object.assign(this.frames[index], { upscaledAt: this.elapsed(), upscaledShare: reuse?.share ?? 1, modelShare: reuse?.modelShare ?? 1 })
  }

  encoded(index: number): void {
    const frame = this.frames[index]
    this.counts.encoded++
    frame.encodedAt = this.elapsed()
    if (frame.decision === 'duplicate') this.encodedDuplicates++
    else this.encodedShares += frame.upscaledShare ?? 1
  }

  /** Source pixels that went through the model over all source pixels, of the frames encoded so far (duplicates count none). */
  private modelWork(): number {
    return this.counts.encoded === 0 ? 0 : this.encodedShares / this.counts.encoded
  }

  setPaused(paused: boolean): void {
    this.clock.setPaused(paused)
  }

  private skippedShare(): number {
    return this.counts.decoded === 0 ? 0 : this.counts.duplicates / this.counts.decoded
  }

  progress(): Extract<VideoEvent, { type: 'progress' }> {
    const { encoded, decoded } = this.counts
    this.total = Math.max(this.total, decoded)
    const fps = encoded / this.clock.workingSeconds()
    return {
      type: 'progress',
      ...this.counts,
      total: this.total,
      percent: Math.min(100, (100 * encoded) / Math.max(this.total, 1)),
      fps,
      etaSeconds: encoded === 0 ? undefined : Math.max(0, this.total - encoded) / fps,
      paused: this.clock.paused,
      skippedShare: this.skippedShare(),
      modelWork: this.modelWork(),
    }
  }

  /** The end: `unique` and `duplicates` count the frames in the output (a partial one holds fewer than were decoded). */
  done(output: string, frames: number, partial: boolean): Extract<VideoEvent, { type: 'done' }> {
    const seconds = this.elapsed() / 1000
    return { type: 'done', output, frames, seconds, fps: frames / seconds, partial, unique: frames - this.encodedDuplicates, duplicates: this.encodedDuplicates, modelWork: this.modelWork() }
  }

  /** Writes the JSON processing plan: settings, totals and every frame's decision and times. */
  async writePlan(file: string): Promise<void> {
    const { input, output, mode, capacity, model, reuse } = this.plan
    const totals = { ...this.counts, skippedShare: this.skippedShare(), modelWork: this.modelWork() }
    const plan: VideoPlanFile = { input, output, mode, capacity, model: model.id, reuse: reuseSummary(reuse), seconds: this.elapsed() / 1000, ...totals, frames: this.frames }
    await writeAtomically(file, true, (temporary) => writeFile(temporary, `${JSON.stringify(plan, null, 2)}\n`))
  }
}

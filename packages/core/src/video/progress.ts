import { writeAtomically } from '@anime-upscaler/common'
import { writeFile } from 'node:fs/promises'
import { WorkClock } from '../work-clock'
import type { StageCounts, VideoEvent } from './events'
import type { VideoPlan } from './plan'

/** One frame's entry in the processing plan; times in ms since the start. */
interface PlannedFrame {
  index: number
  pts: number
  /** `upscale`, or `duplicate` of the kept frame `duplicateOf` (its result is repeated). */
  decision: 'upscale' | 'duplicate'
  duplicateOf?: number
  decodedAt?: number
  upscaledAt?: number
  encodedAt?: number
}

/** What the pipeline tells about each frame, by its index. */
export interface FrameRecorder {
  decoded(index: number, pts: number): void
  kept(): void
  duplicate(index: number, duplicateOf: number): void
  upscaled(index: number): void
  encoded(index: number): void
}

/** Counts what each stage did, times each frame, and words it as progress events and the plan file. */
export class ProgressRecorder implements FrameRecorder {
  readonly counts: StageCounts = { decoded: 0, unique: 0, duplicates: 0, upscaled: 0, encoded: 0 }
  /** Of the encoded frames, those that repeat a kept one: what the output holds, also when it is partial. */
  private encodedDuplicates = 0
  /** Frames an earlier run of a segmented job did (its finished segments are kept). */
  private readonly earlier = { encoded: 0, unique: 0, duplicates: 0 }
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

  upscaled(index: number): void {
    this.counts.upscaled++
    this.frames[index].upscaledAt = this.elapsed()
  }

  encoded(index: number): void {
    this.counts.encoded++
    this.frames[index].encodedAt = this.elapsed()
    if (this.frames[index].decision === 'duplicate') this.encodedDuplicates++
  }

  /** The same recorder for a segment whose frame 0 is frame `offset` of the video. */
  at(offset: number): FrameRecorder {
    return {
      decoded: (index, pts) => this.decoded(offset + index, pts),
      kept: () => this.kept(),
      duplicate: (index, duplicateOf) => this.duplicate(offset + index, offset + duplicateOf),
      upscaled: (index) => this.upscaled(offset + index),
      encoded: (index) => this.encoded(offset + index),
    }
  }

  /** Frames done by an earlier run (segments kept from it): they count as encoded, not in the speed. */
  reused(frames: number, unique: number, duplicates: number): void {
    this.earlier.encoded += frames
    this.earlier.unique += unique
    this.earlier.duplicates += duplicates
  }

  /** Frames of a segment another machine made in this run (distributed mode): in the output and the speed. */
  remote(frames: number, unique: number, duplicates: number): void {
    const { counts } = this
    counts.decoded += frames
    counts.unique += unique
    counts.duplicates += duplicates
    counts.upscaled += unique
    counts.encoded += frames
    this.encodedDuplicates += duplicates
  }

  setPaused(paused: boolean): void {
    this.clock.setPaused(paused)
  }

  private skippedShare(): number {
    return this.counts.decoded === 0 ? 0 : this.counts.duplicates / this.counts.decoded
  }

  /** The counts with an earlier run's frames in: they were decoded, upscaled or repeated, and encoded then. */
  private allCounts(): StageCounts {
    const { counts, earlier } = this
    return {
      decoded: counts.decoded + earlier.encoded,
      unique: counts.unique + earlier.unique,
      duplicates: counts.duplicates + earlier.duplicates,
      upscaled: counts.upscaled + earlier.unique,
      encoded: counts.encoded + earlier.encoded,
    }
  }

  progress(): Extract<VideoEvent, { type: 'progress' }> {
    const all = this.allCounts()
    this.total = Math.max(this.total, all.decoded)
    const fps = this.counts.encoded / this.clock.workingSeconds()
    return {
      type: 'progress',
      ...all,
      total: this.total,
      percent: Math.min(100, (100 * all.encoded) / Math.max(this.total, 1)),
      fps,
      etaSeconds: this.counts.encoded === 0 ? undefined : Math.max(0, this.total - all.encoded) / fps,
      paused: this.clock.paused,
      skippedShare: this.skippedShare(),
    }
  }

  /** The end: `unique` and `duplicates` count the frames in the output (a partial one holds fewer than were decoded). */
  done(output: string, frames: number, partial: boolean): Extract<VideoEvent, { type: 'done' }> {
    const seconds = this.elapsed() / 1000
    const duplicates = this.encodedDuplicates + this.earlier.duplicates
    return { type: 'done', output, frames, seconds, fps: (frames - this.earlier.encoded) / seconds, partial, unique: frames - duplicates, duplicates }
  }

  /** Writes the JSON processing plan: settings, totals and every frame's decision and times. */
  async writePlan(file: string): Promise<void> {
    const { input, output, mode, capacity, model } = this.plan
    const plan = { input, output, mode, capacity, model: model.id, seconds: this.elapsed() / 1000, ...this.counts, skippedShare: this.skippedShare(), frames: this.frames }
    await writeAtomically(file, true, (temporary) => writeFile(temporary, `${JSON.stringify(plan, null, 2)}\n`))
  }
}

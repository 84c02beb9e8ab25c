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

/** What the pipeline tells about each frame, by its index. */
export interface FrameRecorder {
  decoded(index: number, pts: number): void
  kept(): void
  duplicate(index: number, duplicateOf: number): void
  /** A kept frame left the model; `reuse` says what share of it was upscaled (none: all of it). */
  upscaled(index: number, reuse?: ReusePlan): void
  encoded(index: number): void
}

/** A finished segment's counts: its frames, those kept and repeated, and its model work (0..1, as `VideoEvent`'s). */
export interface SegmentCounts {
  frames: number
  unique: number
  duplicates: number
  modelWork: number
}

/** Counts what each stage did, times each frame, and words it as progress events and the plan file. */
export class ProgressRecorder implements FrameRecorder {
  readonly counts: StageCounts = { decoded: 0, unique: 0, duplicates: 0, upscaled: 0, encoded: 0 }
  /** Of the encoded frames, those that repeat a kept one: what the output holds, also when it is partial. */
  private encodedDuplicates = 0
  /** Frames an earlier run of a segmented job did (its finished segments are kept), and the sum of their upscaled shares. */
  private readonly earlier = { encoded: 0, unique: 0, duplicates: 0, shares: 0 }
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

  /**
   * Source pixels that went through the model over all source pixels, of the frames encoded so far
   * (duplicates count none): this run's, or with the segments an earlier run finished.
   */
  private modelWork(withEarlier: boolean): number {
    const encoded = this.counts.encoded + (withEarlier ? this.earlier.encoded : 0)
    const shares = this.encodedShares + (withEarlier ? this.earlier.shares : 0)
    return encoded === 0 ? 0 : shares / encoded
  }

  /** The same recorder for a segment whose frame 0 is frame `offset` of the video. */
  at(offset: number): FrameRecorder {
    return {
      decoded: (index, pts) => this.decoded(offset + index, pts),
      kept: () => this.kept(),
      duplicate: (index, duplicateOf) => this.duplicate(offset + index, offset + duplicateOf),
      upscaled: (index, reuse) => this.upscaled(offset + index, reuse),
      encoded: (index) => this.encoded(offset + index),
    }
  }

  /** Frames done by an earlier run (segments kept from it): they count as encoded, not in the speed. */
  reused({ frames, unique, duplicates, modelWork }: SegmentCounts): void {
    this.earlier.encoded += frames
    this.earlier.unique += unique
    this.earlier.duplicates += duplicates
    this.earlier.shares += modelWork * frames
  }

  /** Frames of a segment another machine made in this run (distributed mode): in the output and the speed. */
  remote({ frames, unique, duplicates, modelWork }: SegmentCounts): void {
    const { counts } = this
    counts.decoded += frames
    counts.unique += unique
    counts.duplicates += duplicates
    counts.upscaled += unique
    counts.encoded += frames
    this.encodedDuplicates += duplicates
    this.encodedShares += modelWork * frames
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
      modelWork: this.modelWork(true),
    }
  }

  /** The end: `unique` and `duplicates` count the frames in the output (a partial one holds fewer than were decoded). */
  done(output: string, frames: number, partial: boolean): Extract<VideoEvent, { type: 'done' }> {
    const seconds = this.elapsed() / 1000
    const duplicates = this.encodedDuplicates + this.earlier.duplicates
    return { type: 'done', output, frames, seconds, fps: (frames - this.earlier.encoded) / seconds, partial, unique: frames - duplicates, duplicates, modelWork: this.modelWork(true) }
  }

  /** Writes the JSON processing plan: settings, totals and every frame's decision and times. */
  async writePlan(file: string): Promise<void> {
    const { input, output, mode, capacity, model, reuse } = this.plan
    const totals = { ...this.counts, skippedShare: this.skippedShare(), modelWork: this.modelWork(false) }
    const plan: VideoPlanFile = { input, output, mode, capacity, model: model.id, reuse: reuseSummary(reuse), seconds: this.elapsed() / 1000, ...totals, frames: this.frames }
    await writeAtomically(file, true, (temporary) => writeFile(temporary, `${JSON.stringify(plan, null, 2)}\n`))
  }
}

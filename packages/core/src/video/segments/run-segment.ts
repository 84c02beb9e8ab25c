import { stat } from 'node:fs/promises'
import { waitForExit } from '@anime-upscaler/common'
import { segmentPlan } from '@anime-upscaler/stage-save'
import type { ReusePlan, Upscaler } from '@anime-upscaler/stage-upscale'
import type { Observable, Subscription } from 'rxjs'
import { CoreError } from '../../errors'
import { CreditGate } from '../credit-gate'
import { framePipeline } from '../pipeline'
import type { DedupOptions } from '../options'
import type { VideoPlan } from '../plan'
import type { FrameRecorder, SegmentCounts } from '../progress'
import { sha256File } from './checksums'
import type { SegmentRange } from './plan-segments'

/** What every segment of a job shares: the job's plan (with the whole output's save plan and its reuse) and the model workers. */
export interface SegmentContext {
  plan: VideoPlan
  upscaler: Upscaler
  dedup: DedupOptions
  ffmpegPath?: string
  allowTruncated: boolean
  /** Most frames in flight in one segment. */
  capacity: number
  /** Constant rate: where the whole video's grid starts (its first frame's time). */
  gridStart?: number
}

/** A finished segment: its frames, what was upscaled and repeated, its model work, and its file's checksum. */
export interface SegmentResult extends SegmentCounts {
  sha256: string
  bytes: number
}

export interface SegmentHooks {
  /** Told about each frame, by its index in the segment. */
  recorder: FrameRecorder
  /** true holds the decoder (frames in flight finish), false lets it go on. */
  paused?: Observable<boolean>
  signal: AbortSignal
  /** A frame was encoded. */
  onEncoded?(): void
  /** The decoder delivered the segment's last frame: what is left is the model's and the encoder's. */
  onDecoded?(): void
}

/**
 * Counts what the segment kept, repeated and upscaled (the sum of the kept frames' shares), for its
 * record, tells the job's recorder, and calls `onDecoded` after the last of `frames` is decoded.
 */
function counting(recorder: FrameRecorder, frames: number, onDecoded?: () => void): FrameRecorder & { unique: number; duplicates: number; shares: number } {
  const counts = { unique: 0, duplicates: 0, shares: 0 }
  return Object.assign(counts, {
    decoded: (index: number, pts: number) => {
      recorder.decoded(index, pts)
      if (index === frames - 1) onDecoded?.()
    },
    kept: () => {
      counts.unique++
      recorder.kept()
    },
    duplicate: (index: number, of: number) => {
      counts.duplicates++
      recorder.duplicate(index, of)
    },
    upscaled: (index: number, reuse?: ReusePlan) => {
      counts.shares += reuse?.share ?? 1
      recorder.upscaled(index, reuse)
    },
    encoded: recorder.encoded.bind(recorder),
  })
}

/**
 * Upscales one segment of a video into `file` through the same pipeline as a whole video
 * (framePipeline, stage-save's plan narrowed to the segment): frames from its first to its last,
 * decoded from the keyframe before it, every first frame upscaled whole (duplicate detection and
 * tile reuse start anew in each segment: no references, no earlier output, since segments run in
 * other processes and in any order), encoded on the whole video's time grid. Resolves once the file
 * is in place and the decoder has exited; rejects (nothing left but the finished segments of other
 * calls) on error or stop.
 */
export function runSegment(context: SegmentContext, range: SegmentRange, file: string, hooks: SegmentHooks): Promise<SegmentResult> {
  const { plan, capacity } = context
  const save = segmentPlan(plan.save, { output: file, signal: hooks.signal, reorderCapacity: capacity, ...(context.gridStart !== undefined ? { gridStart: context.gridStart } : {}) })
  const gate = new CreditGate(capacity)
  const recorder = counting(hooks.recorder, range.frames, hooks.onDecoded)
  let decoder: number | undefined
  let pause: Subscription | undefined
  const encoded = new Promise<number>((resolve, reject) => {
    pause = hooks.paused?.subscribe((paused) => gate.setPaused(paused))
    framePipeline({ ...context, plan: { ...plan, output: file, capacity, save }, gate, recorder, range, onDecoderStart: (pid) => (decoder = pid) }).subscribe({
      next: (event) => {
        if (event.type === 'written') {
          recorder.encoded(event.index)
          gate.release()
          hooks.onEncoded?.()
        } else if (event.type === 'finished') resolve(event.frames)
      },
      error: reject,
    })
  })
  const settled = encoded.finally(async () => {
    pause?.unsubscribe()
    if (decoder !== undefined) await waitForExit(decoder)
  })
  return settled.then(async (frames) => {
    if (frames !== range.frames) {
      throw new CoreError('E_DECODE', 'decode', `Segment ${range.index} gave ${frames} frames where the source's packets promised ${range.frames}: the file is damaged there`)
    }
    const [sha256, { size }] = await Promise.all([sha256File(file), stat(file)])
    return { frames, unique: recorder.unique, duplicates: recorder.duplicates, modelWork: recorder.shares / frames, sha256, bytes: size }
  })
}

import { connect, filter, map, merge, tap, type Observable, type OperatorFunction } from 'rxjs'
import { detectDuplicates, type DetectOptions } from '@anime-upscaler/stage-detect'
import { extractFrames, type DecodedFrame } from '@anime-upscaler/stage-extract'
import { saveFrames, type FrameToSave, type SaveEvent, type SaveImage } from '@anime-upscaler/stage-save'
import { upscale, type ReusePlan, type Upscaler } from '@anime-upscaler/stage-upscale'
import type { CreditGate } from './credit-gate'
import type { DedupOptions } from './options'
import type { VideoPlan } from './plan'
import type { FrameRecorder } from './progress'
import { decodeRange, startsAt, type DecodeRange } from './segments/range'

export interface PipelineParts {
  plan: VideoPlan
  upscaler: Upscaler
  gate: CreditGate
  recorder: FrameRecorder
  /** A segment: only its frames are decoded (frame 0 is its first), checked to start where planned. */
  range?: DecodeRange
  /** The caller's duplicate detection; its references and tiles come from `plan.reuse` (each segment starts with none held). */
  dedup: DedupOptions
  ffmpegPath?: string
  /** Accept the frames that decode from a damaged file instead of failing. */
  allowTruncated: boolean
  /** Told the decoder's pid: its stop cannot be awaited through the Observable's teardown. */
  onDecoderStart(pid: number): void
}

/**
 * Kept frames through the model: to the encoder's Y'CbCr when the plan says so, else RGB at the
 * passes' scale. With tile reuse only their changed tiles are upscaled; each frame's share is recorded.
 */
function upscaleKept({ plan, upscaler, recorder }: PipelineParts): OperatorFunction<DecodedFrame, FrameToSave> {
  const concurrency = plan.mode === 'sequential' ? 1 : undefined
  const reuse = plan.reuse.tiles !== undefined
  const toSave = ({ index, pts, image, reuse: reused }: { index: number; pts: number; image: SaveImage; reuse?: ReusePlan }): FrameToSave => {
    recorder.upscaled(index, reused)
    return { index, pts, image }
  }
  if (plan.yuv420) return (kept) => kept.pipe(upscale({ upscaler, yuv420: plan.yuv420!, concurrency, reuse }), map(toSave))
  const scale = plan.model.scale ** plan.passes
  return (kept) => kept.pipe(upscale({ upscaler, target: { scale }, concurrency, reuse }), map((frame) => toSave({ ...frame, image: { ...frame.image, channels: 3 as const } })))
}

/** stage-detect's options: the caller's, with the references and tiles of the plan's reuse. */
function detectOptions(dedup: DedupOptions, plan: VideoPlan): DetectOptions<DecodedFrame> {
  const { references, tiles } = plan.reuse
  return { ...dedup, references, ...(tiles ? { tiles: { size: tiles.size, halo: tiles.halo, threshold: tiles.threshold } } : {}) }
}

/**
 * A frame's journey: decoded (as many as the gate grants), checked for repeats, upscaled when
 * kept, and encoded in order with repeats filled. Emits stage-save's `written` and `finished`
 * events; each `written` frame must be released to the gate.
 */
export function framePipeline(parts: PipelineParts): Observable<SaveEvent> {
  const { plan, gate, recorder, dedup, ffmpegPath, allowTruncated, range, onDecoderStart } = parts
  return extractFrames(plan.input, { info: plan.info, ffmpegPath, demand: gate.demand, allowTruncated, ...decodeRange(range), onStart: ({ pid }) => onDecoderStart(pid) }).pipe(
    gate.admit(),
    startsAt(range),
    tap((frame) => recorder.decoded(frame.index, frame.pts)),
    detectDuplicates(detectOptions(dedup, plan)),
    connect((detected) =>
      merge(
        detected.pipe(
          filter((frame) => frame.duplicateOf === undefined),
          tap(() => recorder.kept()),
          upscaleKept(parts),
        ),
        detected.pipe(
          filter((frame) => frame.duplicateOf !== undefined),
          map(({ index, pts, duplicateOf }): FrameToSave => {
            recorder.duplicate(index, duplicateOf!)
            return { index, pts, duplicateOf }
          }),
        ),
      ),
    ),
    saveFrames(plan.save),
    filter((event) => event.type === 'written' || event.type === 'finished'),
  )
}

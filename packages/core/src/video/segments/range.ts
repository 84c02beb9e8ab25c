import { identity, tap, type MonoTypeOperatorFunction } from 'rxjs'
import type { DecodedFrame } from '@anime-upscaler/stage-extract'
import { CoreError } from '../../errors'
import type { SegmentRange } from './plan-segments'

/** The part of a segment's plan the decoder needs. */
export type DecodeRange = Pick<SegmentRange, 'index' | 'first' | 'frames' | 'start' | 'seekTo'>

/** extractFrames' options for a segment: start midway before its first frame, stop after its last. */
export function decodeRange(range: DecodeRange | undefined): { seekTo?: number; maxFrames?: number } {
  if (!range) return {}
  return { ...(range.seekTo !== undefined ? { seekTo: range.seekTo } : {}), maxFrames: range.frames }
}

/** A frame this far from its planned time is another frame: frames are at least 1 ms apart in every container we read. */
const SAME_FRAME_S = 0.0005

/**
 * Fails a segment whose first decoded frame is not the one planned (a demuxer that seeks elsewhere
 * than asked): its frames would land at the wrong place in the joined video.
 */
export function startsAt(range: DecodeRange | undefined): MonoTypeOperatorFunction<DecodedFrame> {
  if (!range) return identity
  return tap((frame) => {
    if (frame.index === 0 && Math.abs(frame.pts - range.start) > SAME_FRAME_S) {
      throw new CoreError('E_DECODE', 'decode', `Segment ${range.index} should start with frame ${range.first} at ${range.start.toFixed(6)} s, but the decoder began at ${frame.pts.toFixed(6)} s: this source cannot be cut where planned; upscale it without segments`, {
        option: 'segments',
        value: true,
      })
    }
  })
}

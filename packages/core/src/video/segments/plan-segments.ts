import type { FrameList } from '@anime-upscaler/stage-extract'

/** One part of a video, upscaled and encoded on its own. */
export interface SegmentRange {
  index: number
  /** Index of its first frame in the whole video. */
  first: number
  frames: number
  /** Presentation time of its first frame (seconds, on the source's timeline). */
  start: number
  /** Where the decoder starts: midway between the frame before and the first one (undefined: the video's start). */
  seekTo?: number
  /** Whether it starts at a keyframe (the decoder then decodes nothing it throws away). */
  keyframe: boolean
}

/**
 * Cuts a video into segments of about `seconds`: at the keyframe nearest each target time (within
 * half a segment of it; encoders put keyframes at scene cuts, so most cuts fall on one), else at the
 * frame nearest the target. A last piece shorter than half a segment joins the one before. Pure.
 */
export function planSegments({ times, keyframes }: FrameList, seconds: number): SegmentRange[] {
  const cuts = [0]
  const keys = new Set(keyframes)
  for (;;) {
    const previous = cuts[cuts.length - 1]
    const target = times[previous] + seconds
    if (times[times.length - 1] - target < seconds / 2) break
    cuts.push(nearestKeyframe(times, keyframes, target, seconds / 2, previous) ?? nearestFrame(times, target, previous))
  }
  return cuts.map((first, index) => {
    const end = cuts[index + 1] ?? times.length
    return {
      index,
      first,
      frames: end - first,
      start: times[first],
      ...(first > 0 ? { seekTo: (times[first - 1] + times[first]) / 2 } : {}),
      keyframe: keys.has(first),
    }
  })
}

/** The keyframe after `after` nearest `target`, within `window` seconds of it. */
function nearestKeyframe(times: number[], keyframes: number[], target: number, window: number, after: number): number | undefined {
  let best: number | undefined
  for (const key of keyframes) {
    if (key <= after || Math.abs(times[key] - target) > window) continue
    if (best === undefined || Math.abs(times[key] - target) < Math.abs(times[best] - target)) best = key
  }
  return best
}

/** The first frame at or after `target` (a frame after `after`). */
function nearestFrame(times: number[], target: number, after: number): number {
  let low = after + 1
  let high = times.length - 1
  while (low < high) {
    const middle = (low + high) >> 1
    if (times[middle] < target) low = middle + 1
    else high = middle
  }
  return low
}

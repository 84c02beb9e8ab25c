import { lastValueFrom } from 'rxjs'
import { ExtractError, assertNonNegativeInteger } from './errors'
import { extractFrames } from './extract'
import type { ExtractOptions } from './plan'
import { probe } from './probe'
import type { DecodedFrame } from './types'

export type ReadFrameOptions = Omit<ExtractOptions, 'demand' | 'maxFrames' | 'seekTo'>

/**
 * Decodes frame `index` (0-based) of a video, as `extractFrames` would deliver it. Constant-rate
 * sources seek to it (ffmpeg decodes from the keyframe before), so a frame an hour in costs about
 * as much as the first; variable-rate sources are decoded from the start, since only their own
 * timestamps say where frame `index` is.
 */
export async function readFrame(input: string, index: number, options: ReadFrameOptions = {}): Promise<DecodedFrame> {
  assertNonNegativeInteger('index', index)
  const info = options.info ?? (await probe(input, { ffprobePath: options.ffprobePath, streamIndex: options.streamIndex, frameRate: options.frameRate, signal: options.signal }))
  const { video } = info
  if (video.frameCountExact && index >= video.frameCount) {
    throw new ExtractError('E_INVALID_ARGUMENT', `Frame ${index} does not exist: '${input}' has ${video.frameCount} frames (0 to ${video.frameCount - 1})`)
  }
  if (!video.variableFrameRate && index > 0) {
    // Half a frame early: the first frame at or after that time is frame `index`, whatever the rounding of its timestamp.
    const frameSeconds = video.frameRate.den / video.frameRate.num
    const seekTo = Math.max(0, video.startTime + (index - 0.5) * frameSeconds)
    const frame = await lastValueFrom(extractFrames(input, { ...options, info, seekTo, maxFrames: 1 }), { defaultValue: undefined })
    if (frame) return { ...frame, index }
  }
  const last = await lastValueFrom(extractFrames(input, { ...options, info, maxFrames: index + 1 }))
  if (last.index !== index) throw new ExtractError('E_INVALID_ARGUMENT', `Frame ${index} does not exist: '${input}' has ${last.index + 1} frames (0 to ${last.index})`)
  return last
}

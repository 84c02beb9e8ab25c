import { checkOutputPath } from '@anime-upscaler/common'
import { probe, type MediaInfo } from '@anime-upscaler/stage-extract'
import { planSave, type SavePlan } from '@anime-upscaler/stage-save'
import { listModels, type Upscaler } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from '../defaults'
import { CoreError } from '../errors'
import { checkOutputSize } from '../limits'
import { startWorkers } from '../start-workers'
import type { ResolvedVideoOptions } from './options'
import { encoderRequest, pipelineMode, planVideo, targetSize, type VideoPlan } from './plan'

/** The scale of a built-in model, known without loading it. */
function builtinScale(model: string | undefined): number | undefined {
  return listModels().find((m) => m.id === (model ?? DEFAULTS.model))?.scale
}

/** What is known of a video job before the model loads: the source and stage-save's decisions. */
export interface ProbedVideo {
  info: MediaInfo
  save: SavePlan
}

/**
 * Every check that can fail before any work (the output path when `checkOutput`), the probe and
 * stage-save's plan: the container against the source's streams, the destination.
 */
export async function probeVideo(input: string, output: string, options: ResolvedVideoOptions, signal: AbortSignal, checkOutput = true): Promise<ProbedVideo> {
  if (checkOutput) await checkOutputPath(output, { option: 'output', overwrite: options.overwrite })
  if (options.planFile) await checkOutputPath(options.planFile, { option: 'planFile', overwrite: true })
  const info = await probe(input, { ffprobePath: options.ffprobePath, signal })
  const early = targetSize(info.video.displayWidth, info.video.displayHeight, options.target, builtinScale(options.pool.model))
  if (early) checkOutputSize(early.width, early.height, options.maxOutputPixels)
  const save = await planSave({
    ...encoderRequest(info, options),
    output,
    source: input,
    sourceStreams: info.streams.map(({ index, type, codec, language }) => ({ index, type: type === 'unknown' ? 'data' : type, codec, ...(language ? { language } : {}) })),
    ...(info.video.variableFrameRate ? {} : { frameRate: `${info.video.frameRate.num}/${info.video.frameRate.den}` }),
    overwrite: options.overwrite,
    keepPartial: options.keepPartial,
    reorderCapacity: options.capacity,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
  })
  return { info, save }
}

function stoppedBeforeFirstFrame(): CoreError {
  return new CoreError('E_ABORTED', 'upscale', 'Stopped before the first frame; nothing was written')
}

/** Starts the model's workers (a stop meanwhile is `E_ABORTED` at once) and makes the job's plan. */
export async function loadModel(input: string, output: string, { info, save }: ProbedVideo, options: ResolvedVideoOptions, signal: AbortSignal): Promise<{ plan: VideoPlan; upscaler: Upscaler }> {
  const mode = pipelineMode(options, info)
  const stop = options.signal ? AbortSignal.any([signal, options.signal]) : signal
  const upscaler = await startWorkers(mode === 'sequential' ? { ...options.pool, workers: 1 } : options.pool, stop, stoppedBeforeFirstFrame)
  try {
    if (stop.aborted) throw stoppedBeforeFirstFrame()
    return { plan: planVideo({ input, output, info, options, upscaler, save }), upscaler }
  } catch (error) {
    await upscaler.close()
    throw error
  }
}

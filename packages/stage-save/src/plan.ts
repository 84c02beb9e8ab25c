import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { exists, message, optionSetting, outputExists, removeStalePartials } from '@anime-upscaler/common'
import { resolveColor, type ResolvedColor } from './args'
import { planSourceStreams, type SourceStream, type StreamPlan } from './containers'
import { SaveError, ioError } from './errors'
import { probeSource, resolveFfmpegPath } from './ffmpeg'
import { evenSides, resolveOptions, resolveSize, type ResolvedOptions, type SaveOptions } from './options'

/**
 * Everything stage-save decides before the first frame, checked: the resolved options (container,
 * codec, colour, pixel format), the source streams it will copy, and a destination it may write.
 * `saveFrames` accepts it instead of options, so a caller (core) learns these decisions from
 * stage-save rather than predicting them, and nothing is checked or probed twice.
 */
export interface SavePlan {
  readonly kind: 'save-plan'
  readonly options: ResolvedOptions
  /** Video mode with a source: the streams to copy. */
  readonly streams?: StreamPlan
  /** Language of the source's video stream, given to the new one. */
  readonly videoLanguage?: string
  /** Video mode: the colour the output is tagged with (and RGB is converted with) at a frame size. */
  outputColor(width: number, height: number): ResolvedColor
  /** Video mode: which sides the pixel format's chroma subsampling needs even. */
  readonly evenSides: { evenWidth: boolean; evenHeight: boolean }
}

export function isSavePlan(value: unknown): value is SavePlan {
  return typeof value === 'object' && value !== null && (value as SavePlan).kind === 'save-plan'
}


/** The source's streams: as the caller gave them, else listed by `ffmpeg -i`. */
async function sourceStreams(options: SaveOptions, resolved: ResolvedOptions): Promise<readonly SourceStream[]> {
  if (options.sourceStreams) return options.sourceStreams
  return (await probeSource(resolveFfmpegPath(resolved.ffmpegPath), resolved.video!.source!)).streams
}

async function checkVideoDestination(o: ResolvedOptions): Promise<void> {
  if (!o.overwrite && (await exists(o.output))) {
    const error = outputExists(o.output)
    throw new SaveError('E_OUTPUT_EXISTS', error.parts, error.details())
  }
  // Leftovers of runs killed before they could clean up (SIGKILL, power loss) go now.
  await removeStalePartials(o.output)
  try {
    await fsp.mkdir(path.dirname(o.output), { recursive: true })
  } catch (error) {
    throw ioError(error, `creating the folder of ${o.output}`)
  }
}

async function checkImageFolder(o: ResolvedOptions): Promise<void> {
  const { prefix, digits, format } = o.images!
  try {
    await fsp.mkdir(o.output, { recursive: true })
  } catch (error) {
    throw ioError(error, `creating the folder ${o.output}`)
  }
  if (o.overwrite) return
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`^${escaped}\\d{${digits},}\\.${format}$`)
  const taken = (await fsp.readdir(o.output)).find((f) => pattern.test(f))
  if (taken) {
    throw new SaveError('E_OUTPUT_EXISTS', `Output folder '${o.output}' already holds frame files such as '${taken}'`, {
      option: 'overwrite',
      value: false,
      hint: message`use ${optionSetting('overwrite', true)} to replace them, or choose an empty folder`,
    })
  }
}

/** Decides and checks what saving will do (see SavePlan). Options are validated first, synchronously. */
export function planSave(options: SaveOptions): Promise<SavePlan> {
  const resolved = resolveOptions(options)
  return completePlan(options, resolved)
}

/** The asynchronous part of `planSave`, for options already resolved. */
export async function completePlan(options: SaveOptions, o: ResolvedOptions): Promise<SavePlan> {
  const video = o.video
  const base = {
    kind: 'save-plan' as const,
    options: o,
    outputColor: (width: number, height: number) => resolveColor(video?.color ?? { colorspace: 'auto', range: 'tv' }, width, height),
    evenSides: evenSides(video?.pixFmt ?? 'yuv444p'),
  }
  if (!video) {
    await checkImageFolder(o)
    return base
  }
  await checkVideoDestination(o)
  if (!video.source) return base
  const streams = await sourceStreams(options, o)
  const { plan, problems } = planSourceStreams(video.muxer, streams, video)
  if (problems.length > 0) {
    const parts = problems.flatMap((problem, i) => (i === 0 ? problem.parts : ['; ', ...problem.parts]))
    throw new SaveError('E_INCOMPATIBLE_CONTAINER', parts, { option: problems[0].option, value: problems[0].value })
  }
  const videoLanguage = streams.find((s) => s.type === 'video')?.language
  return { ...base, streams: plan, ...(videoLanguage ? { videoLanguage } : {}) }
}

/** The plan with the encoded frame size set (frames of another size are scaled by ffmpeg); checked like the `size` option. */
export function withSize(plan: SavePlan, size: { width: number; height: number }): SavePlan {
  const { options } = plan
  if (!options.video) throw new SaveError('E_INVALID_ARGUMENT', 'size applies to video mode only')
  return { ...plan, options: { ...options, video: { ...options.video, size: resolveSize(size, options.video.pixFmt) } } }
}

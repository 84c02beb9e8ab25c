import { resolve } from 'node:path'
import { message, optionName, type MessagePart } from '@anime-upscaler/common'
import { listFrames, type MediaInfo } from '@anime-upscaler/stage-extract'
import { joinSegments } from '@anime-upscaler/stage-save'
import type { Upscaler } from '@anime-upscaler/stage-upscale'
import type { Observable } from 'rxjs'
import { CoreError, toCoreError } from '../../errors'
import { resolveVideoOptions, type ResolvedVideoOptions, type UpscaleVideoOptions } from '../options'
import type { VideoPlan } from '../plan'
import { loadModel, probeVideo } from '../prepare'
import { sourceFingerprint } from './checksums'
import { planSegments, type SegmentRange } from './plan-segments'
import { runSegment, type SegmentContext, type SegmentResult } from './run-segment'
import { jobSettings, settingChanges, type JobSettings } from './settings'

/**
 * A segmented job, as plain JSON: the same on every machine and every run. Made by
 * `planSegmentedJob` (or by `upscaleVideo` with `segments`); segment `i` of it is upscaled with
 * `openSegmentUpscaler(job).upscaleSegment(i, file)` anywhere the input is reachable, and the files
 * are joined with `joinSegmentedJob`.
 */
export interface SegmentedJob {
  input: string
  output: string
  /** Fingerprint of the input's content (size and 16 samples): a changed source is another job. */
  source: string
  /** What decides the segments' content (core's version, model, target, encoder, detection): another value is another job. */
  settings: JobSettings
  /** Frames of the whole video. */
  frames: number
  segments: SegmentRange[]
  /** Constant rate: the time the video's grid starts at (its first frame's); every segment is encoded on it. */
  gridStart?: number
}

/** Options with segmented mode on (its defaults when the caller did not ask for it). */
function resolveSegmented(options: UpscaleVideoOptions): ResolvedVideoOptions {
  return resolveVideoOptions({ ...options, segments: options.segments || true })
}

/** The job for a probed source: its frames and keyframes (read from the packets, not decoded), cut into segments. */
export async function describeJob(input: string, output: string, info: MediaInfo, options: ResolvedVideoOptions, signal?: AbortSignal): Promise<SegmentedJob> {
  const seconds = options.segments?.seconds
  if (seconds === undefined) throw new Error('describeJob needs segmented options')
  const frameList = await listFrames(input, { info, ...(options.ffprobePath ? { ffprobePath: options.ffprobePath } : {}), ...(signal ? { signal } : {}) })
  const [source, settings] = await Promise.all([sourceFingerprint(input), jobSettings(options)])
  return {
    input: resolve(input),
    output: resolve(output),
    source,
    settings,
    frames: frameList.times.length,
    segments: planSegments(frameList, seconds),
    ...(info.video.variableFrameRate ? {} : { gridStart: frameList.times[0] }),
  }
}

/**
 * Plans a segmented job without loading the model: checks the options and the output (as
 * `upscaleVideo` does), probes the input and cuts it into segments of about `segments.seconds`.
 */
export async function planSegmentedJob(input: string, output: string, options: UpscaleVideoOptions = {}): Promise<SegmentedJob> {
  const resolved = resolveSegmented(options)
  const signal = resolved.signal ?? new AbortController().signal
  try {
    const probed = await probeVideo(input, output, resolved, signal)
    return await describeJob(input, output, probed.info, resolved, signal)
  } catch (error) {
    throw toCoreError(error)
  }
}

/** A job this machine cannot work on: its segments would not match the others. */
function mismatch(what: readonly MessagePart[]): CoreError {
  return new CoreError('E_JOB_MISMATCH', 'input', ['This segmented job was planned ', ...what, ': its segments cannot be made or joined here'])
}

/** Refuses a job whose source or settings are not this machine's: segments of one output are made one way. */
export async function checkJob(job: SegmentedJob, options: ResolvedVideoOptions): Promise<void> {
  const [source, settings] = await Promise.all([sourceFingerprint(job.input).catch(() => undefined), jobSettings(options)])
  if (source !== job.source) throw mismatch(message`for another content of ${optionName('input')} '${job.input}' (it changed or is missing)`)
  const changes = settingChanges(job.settings, settings)
  if (changes.length > 0) throw mismatch(['with other settings than this machine has (', ...changes, ')'])
}

export interface UpscaleSegmentOptions {
  /** Stops the segment: ffmpeg ends, no file is left (`E_ABORTED`). */
  signal?: AbortSignal
  /** true holds the decoder (frames in flight finish), false lets it go on. */
  paused?: Observable<boolean>
  /** Told as each frame of the segment (numbered from 0) is encoded. */
  onEncoded?(index: number): void
}

/** One machine's model workers, ready to upscale any segment of one job. */
export interface SegmentUpscaler {
  readonly plan: VideoPlan
  /**
   * Upscales segment `index` of the job into `file` (its folder must exist): written under a
   * temporary name beside it and renamed when complete, so a segment done twice (a retried job)
   * leaves one whole file. Resolves with its frame counts and SHA-256.
   */
  upscaleSegment(index: number, file: string, options?: UpscaleSegmentOptions): Promise<SegmentResult>
  /** Closes the workers (after their current call). */
  close(): Promise<void>
}

/** A recorder that only tells the caller about encoded frames. */
function encodedOnly(onEncoded: ((index: number) => void) | undefined) {
  const none = () => undefined
  return { decoded: none, kept: none, duplicate: none, upscaled: none, encoded: (index: number) => onEncoded?.(index) }
}

class LoadedSegmentUpscaler implements SegmentUpscaler {
  constructor(
    private readonly job: SegmentedJob,
    private readonly context: SegmentContext,
    private readonly upscaler: Upscaler,
  ) {}

  get plan(): VideoPlan {
    return this.context.plan
  }

  async upscaleSegment(index: number, file: string, options: UpscaleSegmentOptions = {}): Promise<SegmentResult> {
    const range = this.job.segments[index]
    if (!Number.isInteger(index) || range === undefined) {
      throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected a segment index from 0 to ${this.job.segments.length - 1} but received ${String(index)}`, { option: 'index', value: index })
    }
    const signal = options.signal ?? new AbortController().signal
    const hooks = { recorder: encodedOnly(options.onEncoded), signal, ...(options.paused ? { paused: options.paused } : {}) }
    return runSegment(this.context, range, resolve(file), hooks).catch((error: unknown) => Promise.reject(toCoreError(error)))
  }

  close(): Promise<void> {
    return this.upscaler.close()
  }
}

/**
 * Loads the model for segments of `job` on this machine. `options` are the job's (the same model,
 * target, encoder and detection options; workers, threads and provider are this machine's own): a
 * job planned with other settings or for another content of the input is refused (`E_JOB_MISMATCH`,
 * naming each difference, the core version included).
 */
export async function openSegmentUpscaler(job: SegmentedJob, options: UpscaleVideoOptions = {}): Promise<SegmentUpscaler> {
  try {
    const resolved = resolveSegmented(options)
    await checkJob(job, resolved)
    const signal = resolved.signal ?? new AbortController().signal
    const probed = await probeVideo(job.input, job.output, resolved, signal, false)
    const { plan, upscaler } = await loadModel(job.input, job.output, probed, resolved, signal)
    const context = segmentContext(job, plan, upscaler, resolved, plan.capacity)
    return new LoadedSegmentUpscaler(job, context, upscaler)
  } catch (error) {
    throw toCoreError(error)
  }
}

/** What every segment of a job shares on this machine. */
export function segmentContext(job: SegmentedJob, plan: VideoPlan, upscaler: Upscaler, options: ResolvedVideoOptions, capacity: number): SegmentContext {
  return {
    plan,
    upscaler,
    dedup: options.dedup,
    allowTruncated: options.allowTruncated,
    capacity,
    ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
    ...(job.gridStart !== undefined ? { gridStart: job.gridStart } : {}),
  }
}

export interface JoinSegmentedJobOptions {
  /** Stops the join: nothing is left at the output. */
  signal?: AbortSignal
}

/**
 * Joins the segment files of `job` (in the order of `job.segments`) into its output with one stream
 * copy, the source's audio, subtitles, attachments, chapters and metadata muxed once. `options` are
 * the job's, checked as `openSegmentUpscaler` checks them. Written under a temporary name and
 * renamed; a full disk is `E_NO_SPACE` and leaves nothing at the output.
 */
export async function joinSegmentedJob(job: SegmentedJob, files: readonly string[], options: UpscaleVideoOptions & JoinSegmentedJobOptions = {}): Promise<{ output: string }> {
  try {
    const resolved = resolveSegmented(options)
    if (files.length !== job.segments.length) {
      throw new CoreError('E_INVALID_ARGUMENT', 'input', `Expected the ${job.segments.length} segment files of the job but received ${files.length}`, { option: 'files', value: files.length })
    }
    await checkJob(job, resolved)
    const signal = options.signal ?? resolved.signal
    const { save } = await probeVideo(job.input, job.output, resolved, signal ?? new AbortController().signal)
    return await joinSegments({ plan: save, segments: files.map((file) => resolve(file)), ...(signal ? { signal } : {}) })
  } catch (error) {
    throw toCoreError(error)
  }
}

import { basename, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BUILTIN_DETECTORS } from '@anime-upscaler/stage-detect'
import { listModels } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from '../../defaults'
import { CoreError } from '../../errors'
import type { ResolvedVideoOptions } from '../options'
import { reuseOptionValues } from '../reuse'

/** What a worker machine has: its own model and detector files, found by file name. */
export interface WorkerResources {
  /** Imported models (.onnx) this worker may use; a job names one by its file name. */
  modelFiles?: readonly string[]
  /** Custom duplicate detector modules this worker may load; a job names one by its file name. */
  detectorFiles?: readonly string[]
}

/** Why this worker does not run a task (it goes back to the queue for another worker). */
export class Refusal extends Error {
  override name = 'Refusal'
}

function isBuiltin(model: string): boolean {
  return listModels().some((m) => m.id === model)
}

function isBuiltinDetector(detector: string): boolean {
  return (BUILTIN_DETECTORS as readonly string[]).includes(detector)
}

/** A custom detector as a task names it: its module's file name (each worker loads its own file of that name). */
function carriedDetector(detector: unknown): string | undefined {
  if (detector === undefined || (typeof detector === 'string' && isBuiltinDetector(detector))) return detector
  if (typeof detector === 'string') return basename(detector.startsWith('file:') ? fileURLToPath(detector) : detector)
  throw new CoreError('E_INVALID_ARGUMENT', 'input', 'The distributed mode takes a custom duplicate detector as a module file only (a function cannot travel to other machines): give its path, and each worker its own copy of that file', {
    option: 'dedup.detector',
    value: 'a function or object',
  })
}

/**
 * The options of a job as its tasks carry them (JSON): what decides the segments' content (the
 * model and a custom detector by file name), nothing that is a program, a path of this machine, a
 * callback or this machine's share of the work. A worker never loads code the queue names: it
 * maps those names to its own files (`localOptions`).
 */
export function taskOptions(options: ResolvedVideoOptions): Record<string, unknown> {
  const { workers: _w, threads: _t, provider: _p, onWarning: _o, model = DEFAULTS.model, ...pool } = options.pool
  const { target, frameFormat, allowTruncated, encoder, dedup, segments } = options
  const carried = {
    ...pool,
    model: isBuiltin(model) ? model : basename(model),
    target,
    frameFormat,
    allowTruncated,
    encoder,
    dedup: { ...dedup, detector: carriedDetector(dedup.detector) },
    ...reuseOptionValues(options.reuse),
    segments: { seconds: segments?.seconds },
  }
  return JSON.parse(JSON.stringify(carried)) as Record<string, unknown>
}

/**
 * A task's options on this worker: the model and a custom detector it names become this machine's
 * own files of those names. Whether their content is the job's is checked when the job's settings
 * are compared (`E_JOB_MISMATCH`).
 */
export function localOptions(options: Record<string, unknown>, resources: WorkerResources): Record<string, unknown> {
  const dedup = (options.dedup ?? {}) as Record<string, unknown>
  const detector = typeof dedup.detector === 'string' && !isBuiltinDetector(dedup.detector) ? localDetector(dedup.detector, resources) : dedup.detector
  return { ...options, model: localModel(options, resources), dedup: { ...dedup, detector } }
}

function localDetector(name: string, resources: WorkerResources): string {
  const file = (resources.detectorFiles ?? []).find((f) => basename(f) === name)
  if (!file) throw new Refusal(`this worker has no detector '${name}' (give it the file with --detector-file)`)
  return resolve(file)
}

/** The model a task names, on this worker: a built-in id, or the worker's own file of that name (`--model-file`). */
function localModel(options: Record<string, unknown>, resources: WorkerResources): string {
  const name = typeof options.model === 'string' ? options.model : DEFAULTS.model
  if (isBuiltin(name)) return name
  const file = (resources.modelFiles ?? []).find((f) => basename(f) === name)
  if (!file) throw new Refusal(`this worker has no model '${name}' (give it the file with --model-file)`)
  return resolve(file)
}

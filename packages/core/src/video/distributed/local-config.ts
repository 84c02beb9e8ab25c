import { basename, resolve } from 'node:path'
import { listModels } from '@anime-upscaler/stage-upscale'
import { DEFAULTS } from '../../defaults'
import { CoreError } from '../../errors'
import type { ResolvedVideoOptions } from '../options'
import { reuseOptionValues } from '../reuse'

/** What a worker machine has: its own model files, found by file name. */
export interface WorkerResources {
  /** Imported models (.onnx) this worker may use; a job names one by its file name. */
  modelFiles?: readonly string[]
}

/** Why this worker does not run a task (it goes back to the queue for another worker). */
export class Refusal extends Error {
  override name = 'Refusal'
}

function isBuiltin(model: string): boolean {
  return listModels().some((m) => m.id === model)
}

/**
 * The options of a job as its tasks carry them (JSON): what decides the segments' content (the
 * model by file name), nothing that is a program, a path of this machine, a callback or this
 * machine's share of the work. A custom detector cannot go: a function cannot travel, and a module
 * named by the queue would be code the queue chose.
 */
export function taskOptions(options: ResolvedVideoOptions): Record<string, unknown> {
  const detector = options.dedup.detector
  if (detector !== undefined && (typeof detector !== 'string' || /[\\/.]/.test(detector))) {
    throw new CoreError('E_INVALID_ARGUMENT', 'input', 'The distributed mode takes the built-in duplicate detectors only (default, hash, exact, off): a custom detector would be code sent to other machines', {
      option: 'dedup.detector',
      value: typeof detector === 'string' ? detector : 'a function',
    })
  }
  const { workers: _w, threads: _t, provider: _p, onWarning: _o, model = DEFAULTS.model, ...pool } = options.pool
  const { target, frameFormat, allowTruncated, encoder, dedup, segments } = options
  const carried = { ...pool, model: isBuiltin(model) ? model : basename(model), target, frameFormat, allowTruncated, encoder, dedup, ...reuseOptionValues(options.reuse), segments: { seconds: segments?.seconds } }
  return JSON.parse(JSON.stringify(carried)) as Record<string, unknown>
}

/**
 * The model a task names, on this worker: a built-in id, or the worker's own file of that name
 * (`--model-file`). Whether its content is the job's is checked when the job's settings are
 * compared (`E_JOB_MISMATCH`).
 */
export function localModel(options: Record<string, unknown>, resources: WorkerResources): string {
  const name = typeof options.model === 'string' ? options.model : DEFAULTS.model
  if (isBuiltin(name)) return name
  const file = (resources.modelFiles ?? []).find((f) => basename(f) === name)
  if (!file) throw new Refusal(`this worker has no model '${name}' (give it the file with --model-file)`)
  return resolve(file)
}

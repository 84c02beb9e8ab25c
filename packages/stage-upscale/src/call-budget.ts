import { findBuiltinModel } from './models'
import type { ModelSession } from './session'

/**
 * How long one model call may take by default. onnxruntime cannot interrupt a call in progress,
 * so a stop waits for the calls running at that moment: tiles are sized to keep each call under
 * this (with the halo that keeps tiling exact, tiles cost a few percent only on big frames).
 */
export const DEFAULT_CALL_BUDGET_MS = 600

/** Assumed floating-point operations per ms and thread for built-in models (this project's 2-core CI machine does ~50 GFLOP/s per thread on Anime4K-L). */
const PRIOR_FLOP_PER_MS = 40e6

/** Side of a square probe image timed to estimate an imported model's cost. */
const PROBE_SIDE = 64

/** Milliseconds one input pixel costs in one call of this model: from its FLOPs when known (built-in models, ncnn imports), else timed once. */
export async function msPerInputPixel(model: ModelSession, threads: number): Promise<number> {
  const builtin = findBuiltinModel(model.info.id)
  const flops = builtin?.flopsPerOutputPixel ?? model.info.imported?.flopsPerOutputPixel
  if (flops !== undefined) return (flops * model.info.scale ** 2) / (PRIOR_FLOP_PER_MS * threads)
  const side = model.info.fixedSize ? undefined : PROBE_SIDE
  const width = side ?? model.info.fixedSize!.width
  const height = side ?? model.info.fixedSize!.height
  const image = { data: new Uint8Array(width * height * 3).fill(128), width, height, channels: 3 }
  const started = performance.now()
  await model.run(image)
  return (performance.now() - started) / (width * height)
}

/**
 * The largest square tile interior whose window (with `overlap` on each side) stays within the
 * budget; but at least 4x the overlap: a model whose halo is wide (imported RRDBNet: 94 px) cannot
 * keep a call under the budget without computing its halo many times over, so its calls run longer.
 */
export function tileForBudget(budgetMs: number, msPerPixel: number, overlap: number): number {
  return Math.max(32, 4 * overlap, Math.floor(Math.sqrt(budgetMs / msPerPixel)) - 2 * overlap)
}

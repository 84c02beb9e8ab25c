import { UpscaleError, assertPositiveInteger, assertPositiveNumber } from './errors'

/** The size to produce. Nothing set: the model's native scale. */
export interface TargetSize {
  /** Output = input × scale (rounded), e.g. 1.5 or 4. */
  scale?: number
  /** Output width; with only width set, the height keeps the aspect ratio. */
  width?: number
  /** Output height; with only height set, the width keeps the aspect ratio. */
  height?: number
}

export interface OutputPlan {
  width: number
  height: number
  /** Model passes to run: the fewest whose result is at least the target size. */
  passes: number
}

export function validateTarget(target: TargetSize): void {
  if (target.scale !== undefined) assertPositiveNumber('scale', target.scale)
  if (target.width !== undefined) assertPositiveInteger('width', target.width)
  if (target.height !== undefined) assertPositiveInteger('height', target.height)
  if (target.scale !== undefined && (target.width !== undefined || target.height !== undefined)) {
    throw new UpscaleError('E_INVALID_ARGUMENT', 'Give either scale or width/height, not both')
  }
}

/** Output size and number of model passes for an input of width x height. */
export function planOutput(width: number, height: number, modelScale: number, target: TargetSize = {}): OutputPlan {
  validateTarget(target)
  let outWidth: number
  let outHeight: number
  if (target.width !== undefined || target.height !== undefined) {
    outWidth = target.width ?? Math.max(1, Math.round((width * target.height!) / height))
    outHeight = target.height ?? Math.max(1, Math.round((height * target.width!) / width))
  } else {
    const scale = target.scale ?? modelScale
    outWidth = Math.max(1, Math.round(width * scale))
    outHeight = Math.max(1, Math.round(height * scale))
  }
  const needed = Math.max(outWidth / width, outHeight / height)
  // A 1x (restoration) model runs once; the tolerance makes 4x with a 2x model exactly two passes.
  let passes = modelScale === 1 ? 1 : 0
  if (modelScale > 1) while (modelScale ** passes < needed - 1e-9) passes++
  return { width: outWidth, height: outHeight, passes }
}

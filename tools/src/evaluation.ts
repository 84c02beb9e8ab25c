/**
 * Quality evaluation: PSNR and SSIM on full-range luma (see ./metrics.ts) for the Anime4K Bird benchmark and
 * the fixture suite. Computation only; ./evaluate.ts is the command line that prints the results.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { createUpscaler, resample, type EngineImage, type RawImage, type ResampleKernel } from '@anime-upscaler/stage-upscale'
import { cropEven, readRgb } from './image-io'
import { psnr, ssim } from './metrics'

/** One method's score on one image. When the method failed, `error` says why and psnr/ssim are NaN. */
export interface Score {
  method: string
  psnr: number
  ssim: number
  /** Models only: wall-clock milliseconds of the upscale per megapixel of output. */
  msPerMegapixel?: number
  error?: string
}

/** Where `evaluateBird` and `evaluateSuite` find imported models (names of `--models`). */
export interface EvaluationOptions {
  modelsDir?: string
}

/**
 * A model to evaluate: a name for createUpscaler (built-in id, imported name or .onnx path),
 * with `+tta` appended for the best-quality mode (e.g. `cunet+tta`).
 */
export function parseModelSpec(spec: string): { model: string; tta: boolean } {
  return spec.endsWith('+tta') ? { model: spec.slice(0, -'+tta'.length), tta: true } : { model: spec, tta: false }
}

export interface Size {
  width: number
  height: number
}

export interface PairResult extends Size {
  psnr: number
  ssim: number
}

export interface BirdResult {
  lr: Size
  hr: Size
  /** The resamplers of BIRD_KERNELS, then the models in the order given. */
  scores: Score[]
}

export interface SuiteImage {
  file: string
  /** The reference: the fixture cropped to even size. */
  hr: Size
  /** Its 2x area downscale, the input of every method. */
  lr: Size
  /** The resamplers of SUITE_KERNELS, then the models in the order given. */
  scores: Score[]
}

export interface SuiteMean {
  method: string
  /** Number of images where the method succeeded (with a finite PSNR); the means are over those. */
  images: number
  psnr: number
  ssim: number
  /** Mean of the per-image differences from SUITE_BASELINE on the same images. */
  psnrGain: number
  ssimGain: number
}

export interface SuiteResult {
  images: SuiteImage[]
  means: SuiteMean[]
}

export const BIRD_KERNELS: readonly ResampleKernel[] = ['bilinear', 'bicubic', 'lanczos3']
export const SUITE_KERNELS: readonly ResampleKernel[] = ['bicubic', 'lanczos3']
export const SUITE_BASELINE: ResampleKernel = 'lanczos3'
/** Not suite material: bird_lr.png is the downscale of bird_hr.png, comic_lq_x4.png a 4x low-res input. */
const SUITE_SKIP = new Set(['bird_lr.png', 'comic_lq_x4.png'])
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.bmp'])

interface Case {
  input: EngineImage
  reference: RawImage
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function score(method: string, output: RawImage, reference: RawImage): Score {
  return { method, psnr: psnr(output, reference), ssim: ssim(output, reference) }
}

function resamplerScores(kernels: readonly ResampleKernel[], { input, reference }: Case): Score[] {
  return kernels.map((kernel) => score(kernel, resample(input, reference.width, reference.height, kernel), reference))
}

/**
 * Each model's score on every case (`[case][model]`): one upscaler per model, used for all cases, then closed.
 * A failure (model not found, engine error) becomes a failed score instead of an exception.
 */
async function modelScores(modelNames: readonly string[], cases: readonly Case[], options: EvaluationOptions): Promise<Score[][]> {
  const scores: Score[][] = cases.map(() => [])
  for (const model of modelNames) {
    const upscaler = createUpscaler({ ...parseModelSpec(model), modelsDir: options.modelsDir })
    try {
      for (const [i, { input, reference }] of cases.entries()) {
        try {
          const ready = await upscaler
          const started = performance.now()
          const output = await ready.upscale(input, { width: reference.width, height: reference.height })
          const msPerMegapixel = (performance.now() - started) / ((reference.width * reference.height) / 1e6)
          scores[i].push({ ...score(model, output, reference), msPerMegapixel })
        } catch (error) {
          scores[i].push({ method: model, psnr: NaN, ssim: NaN, error: errorMessage(error) })
        }
      }
    } finally {
      await upscaler.then(
        (u) => u.close(),
        () => undefined, // creation failed: already recorded on every case
      )
    }
  }
  return scores
}

function size({ width, height }: Size): Size {
  return { width, height }
}

/** PSNR and SSIM of an upscaled image file against a reference file of the same size. */
export async function evaluatePair(upscaledFile: string, referenceFile: string): Promise<PairResult> {
  for (const file of [upscaledFile, referenceFile]) if (!existsSync(file)) throw new Error(`File not found: ${file}`)
  const [upscaled, reference] = await Promise.all([readRgb(upscaledFile), readRgb(referenceFile)])
  if (upscaled.width !== reference.width || upscaled.height !== reference.height) {
    throw new Error(
      `Image sizes differ: ${upscaledFile} is ${upscaled.width}x${upscaled.height}, ${referenceFile} is ${reference.width}x${reference.height}`,
    )
  }
  return { ...size(reference), psnr: psnr(upscaled, reference), ssim: ssim(upscaled, reference) }
}

/** The published Anime4K Bird benchmark: bird_lr.png upscaled 2x by each resampler and model vs bird_hr.png. */
export async function evaluateBird(imagesDir: string, modelNames: readonly string[], options: EvaluationOptions = {}): Promise<BirdResult> {
  const lrFile = path.join(imagesDir, 'bird_lr.png')
  const hrFile = path.join(imagesDir, 'bird_hr.png')
  for (const file of [lrFile, hrFile]) if (!existsSync(file)) throw new Error(`Fixture not found: ${file}`)
  const [lr, hr] = await Promise.all([readRgb(lrFile), readRgb(hrFile)])
  if (hr.width !== 2 * lr.width || hr.height !== 2 * lr.height) {
    throw new Error(`Expected bird_hr.png to be twice bird_lr.png but they are ${hr.width}x${hr.height} and ${lr.width}x${lr.height}`)
  }
  const bird: Case = { input: lr, reference: hr }
  const [models] = await modelScores(modelNames, [bird], options)
  return { lr: size(lr), hr: size(hr), scores: [...resamplerScores(BIRD_KERNELS, bird), ...models] }
}

/** The suite's image files in `imagesDir`, sorted. */
function suiteFiles(imagesDir: string): string[] {
  return readdirSync(imagesDir)
    .filter((f) => IMAGE_EXT.has(path.extname(f).toLowerCase()) && !SUITE_SKIP.has(f))
    .sort()
}

/** Mean scores of each method, and its mean gain over SUITE_BASELINE paired on the same images. */
function suiteMeans(images: readonly SuiteImage[]): SuiteMean[] {
  const methods = images[0].scores.map((s) => s.method)
  return methods.map((method, m) => {
    let n = 0
    let psnrSum = 0
    let ssimSum = 0
    let psnrGain = 0
    let ssimGain = 0
    for (const { scores } of images) {
      const s = scores[m]
      if (s.error || !Number.isFinite(s.psnr)) continue
      const base = scores.find((b) => b.method === SUITE_BASELINE)!
      n++
      psnrSum += s.psnr
      ssimSum += s.ssim
      psnrGain += s.psnr - base.psnr
      ssimGain += s.ssim - base.ssim
    }
    return { method, images: n, psnr: psnrSum / n, ssim: ssimSum / n, psnrGain: psnrGain / n, ssimGain: ssimGain / n }
  })
}

/**
 * Every suite image (cropped to even size) downscaled 2x by area averaging, then upscaled back 2x by each
 * resampler and model and compared with the cropped original. Alpha is dropped without compositing.
 */
export async function evaluateSuite(imagesDir: string, modelNames: readonly string[], options: EvaluationOptions = {}): Promise<SuiteResult> {
  const files = suiteFiles(imagesDir)
  if (files.length === 0) throw new Error(`No images in ${imagesDir}`)
  const cases: Case[] = []
  for (const file of files) {
    const hr = cropEven(await readRgb(path.join(imagesDir, file)))
    cases.push({ input: resample(hr, hr.width / 2, hr.height / 2, 'area'), reference: hr })
  }
  const models = await modelScores(modelNames, cases, options)
  const images = files.map((file, i) => ({
    file,
    hr: size(cases[i].reference),
    lr: size(cases[i].input),
    scores: [...resamplerScores(SUITE_KERNELS, cases[i]), ...models[i]],
  }))
  return { images, means: suiteMeans(images) }
}

/**
 * The ncnn models of the test material (../shared/models/ncnn, see its SOURCES.md): how their
 * programs run them and which stored Bird output each program made. Used by `evaluate ncnn` and
 * by stage-upscale's faithfulness tests.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { importModel } from '@anime-upscaler/stage-upscale'
import { evaluateBird, type BirdResult } from './evaluation'
import { readRgb } from './image-io'
import { psnr, ssim } from './metrics'

export interface NcnnTestModel {
  /** The name it is imported under. */
  name: string
  /** .param path inside the ncnn folder. */
  param: string
  program: 'realesrgan-ncnn-vulkan' | 'waifu2x-ncnn-vulkan' | 'realcugan-ncnn-vulkan'
  /** Program arguments besides input, output and tile (run from the ncnn folder). */
  args: string[]
  scale: number
  /** The program's Bird output in reference/, when there is one. */
  bird?: string
}

export const NCNN_TEST_MODELS: readonly NcnnTestModel[] = [
  { name: 'animevideov3-x2', param: 'realesrgan/models/realesr-animevideov3-x2.param', program: 'realesrgan-ncnn-vulkan', args: ['-n', 'realesr-animevideov3', '-s', '2', '-m', 'realesrgan/models'], scale: 2, bird: 'bird_realesr-animevideov3-x2.png' },
  { name: 'animevideov3-x4', param: 'realesrgan/models/realesr-animevideov3-x4.param', program: 'realesrgan-ncnn-vulkan', args: ['-n', 'realesr-animevideov3', '-s', '4', '-m', 'realesrgan/models'], scale: 4 },
  { name: 'x4plus-anime', param: 'realesrgan/models/realesrgan-x4plus-anime.param', program: 'realesrgan-ncnn-vulkan', args: ['-n', 'realesrgan-x4plus-anime', '-s', '4', '-m', 'realesrgan/models'], scale: 4 },
  { name: 'upconv7', param: 'waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.param', program: 'waifu2x-ncnn-vulkan', args: ['-s', '2', '-n', '-1', '-m', 'waifu2x/models-upconv_7_anime_style_art_rgb'], scale: 2, bird: 'bird_waifu2x-upconv7-scale2.png' },
  { name: 'cunet', param: 'waifu2x/models-cunet/scale2.0x_model.param', program: 'waifu2x-ncnn-vulkan', args: ['-s', '2', '-n', '-1', '-m', 'waifu2x/models-cunet'], scale: 2, bird: 'bird_waifu2x-cunet-scale2.png' },
  { name: 'cunet-noise0', param: 'waifu2x/models-cunet/noise0_scale2.0x_model.param', program: 'waifu2x-ncnn-vulkan', args: ['-s', '2', '-n', '0', '-m', 'waifu2x/models-cunet'], scale: 2, bird: 'bird_waifu2x-cunet-noise0-scale2.png' },
  { name: 'cugan-conservative', param: 'realcugan/models-se/up2x-conservative.param', program: 'realcugan-ncnn-vulkan', args: ['-s', '2', '-n', '-1', '-m', 'realcugan/models-se'], scale: 2, bird: 'bird_realcugan-up2x-conservative.png' },
  { name: 'cugan-no-denoise', param: 'realcugan/models-se/up2x-no-denoise.param', program: 'realcugan-ncnn-vulkan', args: ['-s', '2', '-n', '0', '-m', 'realcugan/models-se'], scale: 2, bird: 'bird_realcugan-up2x-no-denoise.png' },
]

export interface NcnnBirdRow {
  model: NcnnTestModel
  /** The import, then the import with TTA. */
  plain: BirdResult['scores'][number]
  tta?: BirdResult['scores'][number]
  /** PSNR and SSIM of the program's own stored Bird output, when there is one. */
  program?: { psnr: number; ssim: number }
}

/**
 * Imports every model of the ncnn folder into a temporary models folder and scores each on Bird,
 * without and (unless `tta` is false) with TTA, next to the program's stored output.
 */
export async function evaluateNcnnBird(ncnnDir: string, imagesDir: string, options: { tta?: boolean } = {}): Promise<NcnnBirdRow[]> {
  const modelsDir = mkdtempSync(path.join(tmpdir(), 'evaluate-ncnn-'))
  try {
    for (const m of NCNN_TEST_MODELS) await importModel(path.join(ncnnDir, m.param), { modelsDir, name: m.name })
    const specs = NCNN_TEST_MODELS.flatMap((m) => (options.tta === false ? [m.name] : [m.name, `${m.name}+tta`]))
    const { scores } = await evaluateBird(imagesDir, specs, { modelsDir })
    const hr = await readRgb(path.join(imagesDir, 'bird_hr.png'))
    const rows: NcnnBirdRow[] = []
    for (const model of NCNN_TEST_MODELS) {
      const stored = model.bird ? await readRgb(path.join(ncnnDir, 'reference', model.bird)) : undefined
      rows.push({
        model,
        plain: scores.find((s) => s.method === model.name)!,
        tta: scores.find((s) => s.method === `${model.name}+tta`),
        program: stored && { psnr: psnr(stored, hr), ssim: ssim(stored, hr) },
      })
    }
    return rows
  } finally {
    rmSync(modelsDir, { recursive: true, force: true })
  }
}

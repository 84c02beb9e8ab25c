/**
 * What the ncnn programs do around their networks, found from their sources
 * (xinntao/Real-ESRGAN-ncnn-vulkan, nihui/waifu2x-ncnn-vulkan, nihui/realcugan-ncnn-vulkan):
 * each program feeds the blob names it was written for, so a model's input and output names tell
 * which program it belongs to.
 *
 * All three feed RGB in 0..1 (samples / 255), write round(255·v) and upscale alpha separately with
 * ncnn's bicubic Interp. They differ in the padding around the picture (a tile's context beyond
 * the picture's border):
 * - realesrgan-ncnn-vulkan ("data" → "output"): mirrored (reflect, without repeating the border
 *   pixel), 10 pixels, whatever the model; the convolutions pad with zeros themselves.
 * - waifu2x-ncnn-vulkan ("Input1" → "Eltwise4"): border pixels repeated (edge), as many as the
 *   network's valid convolutions consume (18 for CUNet 2x, 7 for UpConv7).
 * - realcugan-ncnn-vulkan ("in0" → "out0"): mirrored (reflect), as many as the network consumes
 *   (18 for 2x, 14 for 3x, 19 for 4x).
 * The two with strided layers also round odd sizes up with the same padding: `align` does that here.
 */
import type { PaddingMode } from '../model-metadata'

export interface NcnnProgram {
  name: string
  padding: { size: number; mode: PaddingMode }
  alpha: 'model' | 'bicubic'
}

const REALESRGAN_PREPADDING = 10

/** The program a model was made for, from its input and output blob names; unknown models get the padding their border needs. */
export function programFor(input: string, output: string, scale: number, border: number): NcnnProgram {
  if (input === 'data' && output === 'output') return { name: 'realesrgan-ncnn-vulkan', padding: { size: Math.max(border, REALESRGAN_PREPADDING), mode: 'reflect' }, alpha: 'bicubic' }
  if (input === 'Input1' && output === 'Eltwise4') return { name: 'waifu2x-ncnn-vulkan', padding: { size: border, mode: 'edge' }, alpha: 'bicubic' }
  if (input === 'in0' && output === 'out0') return { name: 'realcugan-ncnn-vulkan', padding: { size: border, mode: 'reflect' }, alpha: 'bicubic' }
  return { name: `unknown (input '${input}', output '${output}', ${scale}x)`, padding: { size: border, mode: 'edge' }, alpha: 'model' }
}

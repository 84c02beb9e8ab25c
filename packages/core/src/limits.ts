import { message, optionName } from '@anime-upscaler/common'
import { CoreError } from './errors'

/** A pixel count for people: "100 pixels", "2.1 megapixels", "537 megapixels", "2250 gigapixels". */
export function formatPixels(pixels: number): string {
  if (pixels < 1e5) return `${pixels} pixels`
  if (pixels < 1e10) return `${(pixels / 1e6).toFixed(pixels < 1e7 ? 1 : 0)} megapixels`
  return `${Math.round(pixels / 1e9)} gigapixels`
}

/** Refuses an output larger than `maxOutputPixels` before any work, naming the option. */
export function checkOutputSize(width: number, height: number, maxOutputPixels: number): void {
  if (width * height <= maxOutputPixels) return
  throw new CoreError('E_OUTPUT_TOO_LARGE', 'input', message`The output would be ${width}x${height} (${formatPixels(width * height)}), more than ${optionName('maxOutputPixels')} (${formatPixels(maxOutputPixels)})`, {
    option: 'maxOutputPixels',
    value: width * height,
    hint: message`choose a smaller ${optionName('target')}, or raise ${optionName('maxOutputPixels')} if this machine has the memory`,
  })
}

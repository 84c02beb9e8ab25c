import type { TargetSize, UpscaleImagesOptions, UpscaleVideoOptions } from '@anime-upscaler/core'
import type { DedupSettings, UiSettings } from './api-types'

/** core's `dedup` option: the page's choice, with 'off' said explicitly (core detects by default). */
export function dedupOption(settings: UiSettings): DedupSettings {
  return { ...settings.dedup }
}

export function targetOf(settings: UiSettings): TargetSize {
  if (settings.sizeMode === 'size') return { width: settings.width, height: settings.height }
  return { scale: settings.scale }
}

/** The target for a crop of a `sourceWidth` x `sourceHeight` picture, so the crop scales as the whole would. */
export function cropTarget(settings: UiSettings, sourceWidth: number, sourceHeight: number, cropWidth: number, cropHeight: number): TargetSize {
  if (settings.sizeMode === 'scale') return { scale: settings.scale }
  const { width, height } = settings
  if (width !== undefined && height !== undefined) {
    return { width: Math.max(1, Math.round((cropWidth * width) / sourceWidth)), height: Math.max(1, Math.round((cropHeight * height) / sourceHeight)) }
  }
  return { scale: width !== undefined ? width / sourceWidth : height! / sourceHeight }
}

function poolOptions(settings: UiSettings) {
  return {
    model: settings.model,
    tile: settings.tile,
    workers: settings.workers === 'auto' ? undefined : settings.workers,
  }
}

/** Options for `upscaleImages`; sequential processing means one worker, as for video. */
export function imageOptions(settings: UiSettings, extra: Pick<UpscaleImagesOptions, 'signal' | 'onWarning' | 'maxPixels'> & { target?: TargetSize } = {}): UpscaleImagesOptions {
  const pool = poolOptions(settings)
  return {
    ...pool,
    workers: settings.processing === 'sequential' ? 1 : pool.workers,
    target: extra.target ?? targetOf(settings),
    quality: settings.quality,
    overwrite: true,
    signal: extra.signal,
    onWarning: extra.onWarning,
    maxPixels: extra.maxPixels,
  }
}

/** Options for `upscaleVideo`. */
export function videoOptions(settings: UiSettings, extra: Pick<UpscaleVideoOptions, 'signal' | 'paused' | 'onWarning'>): UpscaleVideoOptions {
  return {
    ...poolOptions(settings),
    target: targetOf(settings),
    mode: settings.processing,
    encoder: {
      codec: settings.codec,
      // ffv1 is lossless: it takes neither a crf nor a preset.
      ...(settings.codec === 'ffv1' ? {} : { crf: settings.crf, preset: settings.preset }),
      audioCodec: settings.audio,
      subtitleCodec: settings.subtitles,
      attachments: settings.attachments,
    },
    dedup: dedupOption(settings),
    reuse: settings.reuse,
    reuseRefs: settings.reuseRefs,
    overwrite: true,
    keepPartial: false,
    paused: extra.paused,
    signal: extra.signal,
    onWarning: extra.onWarning,
  }
}

import { availableParallelism } from 'node:os'
import { AUDIO_CODECS, DEFAULT_MODEL, PIPELINE_MODES, PRESETS, SUBTITLE_CODECS, VIDEO_CODECS } from '@anime-upscaler/core'
import { ATTACHMENT_CHOICES, AUDIO_CHOICES, CONTAINERS, DETECTORS, IMAGE_OUTPUTS, REUSE_CHOICES, type ConfigView, type ExampleView } from './api-types'
import { selectableModels } from './core-defaults'
import { LIMITS } from './limits'
import type { ResolvedServerOptions } from './server-options'
import { defaultSettings } from './settings'

/** GET /api/config: every choice the page offers, its defaults and the server's limits. */
export function configView(options: ResolvedServerOptions, examples: ExampleView[]): ConfigView {
  return {
    // Listed afresh each time: models imported while the server runs appear on the next load.
    models: selectableModels(),
    defaultModel: DEFAULT_MODEL,
    codecs: VIDEO_CODECS,
    presets: PRESETS,
    modes: PIPELINE_MODES,
    detectors: DETECTORS,
    reuseModes: REUSE_CHOICES,
    containers: CONTAINERS,
    audio: AUDIO_CHOICES.filter((choice) => (AUDIO_CODECS as readonly string[]).includes(choice)),
    subtitles: SUBTITLE_CODECS,
    attachments: ATTACHMENT_CHOICES,
    imageFormats: IMAGE_OUTPUTS,
    examples,
    defaults: defaultSettings(),
    cores: availableParallelism(),
    limits: {
      maxUploadBytes: options.maxUploadBytes,
      maxFiles: options.maxFiles,
      maxConcurrentJobs: options.maxConcurrentJobs,
      maxQueuedJobs: options.maxQueuedJobs,
      minScale: LIMITS.minScale,
      maxScale: LIMITS.maxScale,
    },
    // Both pause: core's `paused` holds a video's decoder and an image batch's next image.
    features: { pauseImages: true, pauseVideos: true },
  }
}

import { DEFAULT_MODEL, listModels, type PipelineMode, type Preset, type VideoCodec } from '@anime-upscaler/core'

/**
 * core's defaults, which the page starts from. The model and its scale come from core; the mode,
 * codec and preset are core's and stage-save's documented defaults, stated here until core exports
 * its defaults module (then these point at it).
 */
export function coreDefaults(): { model: string; scale: number; mode: PipelineMode; codec: VideoCodec; preset: Preset } {
  const model = listModels().find((candidate) => candidate.id === DEFAULT_MODEL)
  return { model: DEFAULT_MODEL, scale: model?.scale ?? 2, mode: 'concurrent', codec: 'libx264', preset: 'medium' }
}

/**
 * The models the page may choose: whatever core lists (built-in and, once models can be imported,
 * the imported ones, resolved by name). Only names from this list are accepted: a file path from
 * the browser would make the server load any file as a model.
 */
export function selectableModels(): { id: string; description: string; scale: number }[] {
  return listModels().map(({ id, description, scale }) => ({ id, description, scale }))
}

import { DEFAULT_MODEL, listImportedModels, listModels, type ImportedModel, type PipelineMode, type Preset, type VideoCodec } from '@anime-upscaler/core'

/**
 * core's defaults, which the page starts from. The model and its scale come from core; the mode,
 * codec and preset are core's and stage-save's documented defaults, stated here until core exports
 * its defaults module (then these point at it).
 */
export function coreDefaults(): { model: string; scale: number; mode: PipelineMode; codec: VideoCodec; preset: Preset } {
  const model = listModels().find((candidate) => candidate.id === DEFAULT_MODEL)
  return { model: DEFAULT_MODEL, scale: model?.scale ?? 2, mode: 'concurrent', codec: 'libx264', preset: 'medium' }
}

/** The page's words for where an imported model came from. */
function importedDescription({ origin }: ImportedModel): string {
  return `Imported from ${origin.files.join(' + ')}${origin.program ? ` (reproduces ${origin.program})` : ''}`
}

/** The imported models in the default models folder, none when it cannot be read (the built-in ones still work). */
function importedModels(): ImportedModel[] {
  try {
    return listImportedModels()
  } catch {
    return []
  }
}

/**
 * The models the page may choose: core's built-in ones, then the models imported with
 * `anime-upscaler models import` into the default models folder (core resolves them by name).
 * Only names from this list are accepted: a file path from the browser would make the server load
 * any file as a model.
 */
export function selectableModels(): { id: string; description: string; scale: number }[] {
  const builtin = listModels().map(({ id, description, scale }) => ({ id, description, scale }))
  return [...builtin, ...importedModels().map((model) => ({ id: model.name, description: importedDescription(model), scale: model.scale }))]
}

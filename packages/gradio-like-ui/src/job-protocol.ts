// The messages between the server and a job process (Node IPC, JSON). Both sides import these types.
import type { ImageEvent, ImageJob, UpscaleImagesOptions, UpscaleVideoOptions, VideoEvent } from '@anime-upscaler/core'
import type { Container, PreviewFacts, UiSettings } from './api-types'

export type { PreviewFacts } from './api-types'

/** core's options minus what cannot cross a process boundary (the signal, the pause Subject, callbacks). */
export type ImageRunOptions = Omit<UpscaleImagesOptions, 'signal' | 'paused' | 'onWarning'>
export type VideoRunOptions = Omit<UpscaleVideoOptions, 'signal' | 'paused' | 'onWarning'>

export type RunRequest =
  | { kind: 'image'; jobs: ImageJob[]; options: ImageRunOptions }
  /** The output is `<outputDir>/<outputStem>.<container>`; 'auto' lets core's outputContainer decide from the source. */
  | { kind: 'video'; input: string; outputDir: string; outputStem: string; container: Container; options: VideoRunOptions }
  /** "Test first frame": the centre `side` px of the image or frame 0, written to `before`, upscaled to `after`. */
  | { kind: 'preview'; input: string; video: boolean; before: string; after: string; side: number; settings: UiSettings; maxPixels?: number }

/** core's model description, reduced to its id to cross the boundary. */
type WithModelId<E> = E extends { model: unknown } ? Omit<E, 'model'> & { model: string } : E

/** core's events as the server receives them, and the runner's own: the output path, a preview's facts. */
export type RunnerEvent = WithModelId<ImageEvent | VideoEvent> | { type: 'output'; path: string } | ({ type: 'preview' } & PreviewFacts)

/** An error as it crosses the boundary: core's structured fields, when it has them. */
export interface ProcessError {
  code?: string
  stage?: string
  message: string
  detail?: string
  option?: string
  value?: unknown
  hint?: string
}

export type ParentMessage = { type: 'run'; request: RunRequest } | { type: 'pause'; value: boolean } | { type: 'stop' }

export type ChildMessage = { type: 'event'; event: RunnerEvent } | { type: 'warning'; message: string } | { type: 'error'; error: ProcessError } | { type: 'complete' }

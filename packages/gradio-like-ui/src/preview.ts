import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { readImage, upscaleImage, writeImage } from '@anime-upscaler/core'
import { cropTarget, imageOptions } from './core-options'
import { centerCrop, readVideoFrame, type RawPicture } from './media'
import { plainError } from './plain-errors'
import type { UiSettings } from './settings'
import { HttpError, randomId, type Upload } from './uploads'

export interface PreviewResult {
  id: string
  before: string
  after: string
  /** Size of the previewed region before and after. */
  sourceWidth: number
  sourceHeight: number
  width: number
  height: number
  /** The whole picture's size; `cropped` when only its centre was previewed. */
  fullWidth: number
  fullHeight: number
  cropped: boolean
  milliseconds: number
  what: string
}

interface StoredPreview {
  id: string
  dir: string
  files: Map<string, string>
}

/**
 * "Test first frame": the first image or frame 0 of a video, its centre cropped to `side` pixels,
 * upscaled with the current settings. One preview at a time; the last few are kept.
 */
export class Previews {
  private readonly previews: StoredPreview[] = []
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly dir: string,
    private readonly side = 384,
    private readonly keep = 4,
    private readonly maxPixels?: number,
  ) {}

  file(id: string, name: string): string | undefined {
    return this.previews.find((preview) => preview.id === id)?.files.get(name)
  }

  create(upload: Upload, settings: UiSettings, signal?: AbortSignal): Promise<PreviewResult> {
    const run = this.queue.then(() => this.run(upload, settings, signal))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async run(upload: Upload, settings: UiSettings, signal?: AbortSignal): Promise<PreviewResult> {
    const started = performance.now()
    const id = randomId()
    const dir = join(this.dir, id)
    await mkdir(dir, { recursive: true })
    const stored: StoredPreview = { id, dir, files: new Map() }
    try {
      let picture: RawPicture
      if (upload.type.kind === 'video') picture = (await readVideoFrame(upload.path, 0, signal)).image
      else picture = (await readImage(upload.path, this.maxPixels)).image
      const { image: crop, cropped } = centerCrop(picture, this.side)
      const before = join(dir, 'before.png')
      const after = join(dir, 'after.png')
      await writeImage(crop, before, { format: 'png', overwrite: true })
      const target = cropTarget(settings, picture.width, picture.height, crop.width, crop.height)
      const result = await upscaleImage({ input: before, output: after, format: 'png' }, { ...imageOptions(settings, { target, signal }), workers: 1 })
      stored.files.set('before.png', before)
      stored.files.set('after.png', after)
      this.previews.push(stored)
      for (const old of this.previews.splice(0, Math.max(0, this.previews.length - this.keep))) await rm(old.dir, { recursive: true, force: true })
      return {
        id,
        before: 'before.png',
        after: 'after.png',
        sourceWidth: crop.width,
        sourceHeight: crop.height,
        width: result.width,
        height: result.height,
        fullWidth: picture.width,
        fullHeight: picture.height,
        cropped,
        milliseconds: Math.round(performance.now() - started),
        what: upload.type.kind === 'video' ? `frame 0 of "${upload.name}"` : `"${upload.name}"`,
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true })
      const names = new Map([[upload.path, upload.name], [join(dir, 'before.png'), upload.name], [join(dir, 'after.png'), 'the preview']])
      throw new HttpError(422, plainError(error, names).message)
    }
  }

  async clear(): Promise<void> {
    await this.queue
    for (const preview of this.previews.splice(0)) await rm(preview.dir, { recursive: true, force: true })
  }
}

import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { PreviewView, UiSettings } from './api-types'
import { HttpError } from './http'
import { randomId } from './ids'
import type { PreviewFacts, ProcessError } from './job-protocol'
import { startJobProcess, type JobProcess } from './job-process'
import { LIMITS } from './limits'
import { plainError } from './plain-errors'
import type { Upload } from './uploads'

interface StoredPreview {
  id: string
  dir: string
  files: Map<string, string>
}

/**
 * "Test first frame": the image or frame 0 of a video, its centre cropped to LIMITS.previewSide
 * pixels, upscaled with the current settings in a job process (like jobs: native code cannot take
 * the server down). One preview at a time; the last few are kept.
 */
export class Previews {
  private readonly previews: StoredPreview[] = []
  private queue: Promise<unknown> = Promise.resolve()
  private current: JobProcess | undefined

  constructor(
    private readonly dir: string,
    private readonly tempDir: string,
    private readonly maxPixels?: number,
  ) {}

  file(id: string, name: string): string | undefined {
    return this.previews.find((preview) => preview.id === id)?.files.get(name)
  }

  create(upload: Upload, settings: UiSettings): Promise<PreviewView> {
    const run = this.queue.then(() => this.run(upload, settings))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async run(upload: Upload, settings: UiSettings): Promise<PreviewView> {
    const started = performance.now()
    const id = randomId()
    const dir = join(this.dir, id)
    await mkdir(dir, { recursive: true })
    const before = join(dir, 'before.png')
    const after = join(dir, 'after.png')
    try {
      const facts = await this.inProcess({ kind: 'preview', input: upload.path, video: upload.type.kind === 'video', before, after, side: LIMITS.previewSide, settings, maxPixels: this.maxPixels })
      this.previews.push({ id, dir, files: new Map([['before.png', before], ['after.png', after]]) })
      for (const old of this.previews.splice(0, Math.max(0, this.previews.length - LIMITS.previewsKept))) await rm(old.dir, { recursive: true, force: true })
      const what = upload.type.kind === 'video' ? `frame 0 of "${upload.name}"` : `"${upload.name}"`
      return { id, before: `/api/previews/${id}/before.png`, after: `/api/previews/${id}/after.png`, ...facts, milliseconds: Math.round(performance.now() - started), what }
    } catch (error) {
      await rm(dir, { recursive: true, force: true })
      const names = new Map([[upload.path, upload.name], [before, upload.name], [after, 'the preview']])
      throw new HttpError(422, plainError(error, names).message)
    }
  }

  private inProcess(request: Parameters<typeof startJobProcess>[0]): Promise<PreviewFacts> {
    return new Promise((resolve, reject) => {
      let facts: PreviewFacts | undefined
      this.current = startJobProcess(
        request,
        {
          event: (event) => {
            if (event.type !== 'preview') return
            const { type: _type, ...rest } = event
            facts = rest
          },
          warning: () => undefined,
          end: (error: ProcessError | undefined) => {
            this.current = undefined
            if (error || !facts) reject(error ?? new Error('The preview process ended without a result'))
            else resolve(facts)
          },
        },
        this.tempDir,
      )
    })
  }

  /** Kills a preview in progress at once (a forced shutdown). */
  kill(): void {
    this.current?.kill()
  }

  /** Stops a preview in progress and removes every preview. */
  async clear(): Promise<void> {
    this.current?.stop(2000)
    await this.queue
    for (const preview of this.previews.splice(0)) await rm(preview.dir, { recursive: true, force: true })
  }
}

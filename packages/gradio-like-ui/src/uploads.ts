import { createWriteStream } from 'node:fs'
import { link, mkdir, open, rm, stat } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import type { UploadView } from './api-types'
import { HttpError } from './http'
import { ID_PATTERN, randomId } from './ids'
import { ANIMATED_GIF, isAnimatedGif } from './media'
import { SNIFF_BYTES, describeUnknown, sniff, type SniffedType } from '@anime-upscaler/core'

/** A file received and sniffed, waiting for jobs (each job gets a link to it; it stays until removed or expired). */
export interface Upload {
  id: string
  /** The name the user's file had (display only: never used as a path). */
  name: string
  path: string
  size: number
  type: SniffedType
  createdAt: number
  /** Set for the project's own example inputs (their id). */
  example?: string
  /** The sender's X-Upload-Key (see UploadView). */
  uploadKey?: string
}

/** A file name for display and Content-Disposition: the last path part, no control characters, bounded. */
export function displayName(raw: string | undefined, fallback: string): string {
  let name = raw ?? ''
  try {
    name = decodeURIComponent(name)
  } catch {
    // Not percent-encoded: use as is.
  }
  name = name.split(/[/\\]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f"]/g, '').trim()
  if (name === '' || name === '.' || name === '..') return fallback
  return name.length > 200 ? name.slice(name.length - 200) : name
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GiB`
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(bytes % 1024 ** 2 === 0 ? 0 : 1)} MiB`
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`
  return `${bytes} bytes`
}

/**
 * Uploads waiting for a job (or a preview), each in its own random folder. They are kept while a
 * page is open (an event stream is connected: the page lists them and can remove them); once no
 * page is open they expire after `graceMs` (a reload reconnects well within it). A script that
 * uploads without a page keeps its uploads alive the same way, or uses them within `graceMs`.
 */
export class UploadStore {
  private readonly uploads = new Map<string, Upload>()
  private receiving = 0
  private pagesOpen = 0
  /** When the last page closed (or the store was made). */
  private unheldSince = Date.now()
  private timer: NodeJS.Timeout | undefined
  private readonly listeners = new Set<(uploads: UploadView[]) => void>()

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly maxCount: number,
    private readonly graceMs: number,
  ) {}

  get(id: string): Upload | undefined {
    return ID_PATTERN.test(id) ? this.uploads.get(id) : undefined
  }

  /** The uploads waiting, oldest first, as the page lists them. */
  list(): UploadView[] {
    return [...this.uploads.values()].map(({ id, name, size, type, createdAt, example, uploadKey }) => ({ id, name, size, kind: type.kind, type: type.mime, label: type.label, createdAt, example, uploadKey }))
  }

  /** Calls `listener` with the list whenever an upload comes or goes; returns the unsubscribe. */
  onChange(listener: (uploads: UploadView[]) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The number of open pages changed: uploads are held while there is one. */
  setPagesOpen(count: number): void {
    if (this.pagesOpen > 0 && count === 0) this.unheldSince = Date.now()
    this.pagesOpen = count
    this.scheduleExpiry()
  }

  private add(upload: Upload): void {
    this.uploads.set(upload.id, upload)
    this.changed()
  }

  /** The folder for a new upload `id`. */
  folderOf(id: string): string {
    return join(this.dir, id)
  }

  /** Removes an upload and its folder; it leaves the list once its files are gone. */
  async remove(id: string): Promise<boolean> {
    const upload = this.get(id)
    if (!upload) return false
    await rm(this.folderOf(upload.id), { recursive: true, force: true })
    if (!this.uploads.delete(id)) return false
    this.changed()
    return true
  }

  /** Removes every upload waiting ("Clear"). */
  async removeAll(): Promise<void> {
    for (const id of [...this.uploads.keys()]) await this.remove(id)
  }

  /** Adds a file of the server's own (an example input), linked, not copied, into a new upload. */
  async addFile(source: string, name: string, example: string): Promise<Upload> {
    this.checkRoom()
    const head = Buffer.alloc(SNIFF_BYTES)
    const handle = await open(source, 'r')
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0).finally(() => handle.close())
    const type = sniff(head.subarray(0, bytesRead))!
    const id = randomId()
    const path = join(this.folderOf(id), `input${type.extension}`)
    await mkdir(this.folderOf(id), { recursive: true })
    await link(source, path)
    const upload: Upload = { id, name, path, size: (await stat(path)).size, type, createdAt: Date.now(), example }
    this.add(upload)
    return upload
  }

  private checkRoom(): void {
    if (this.uploads.size + this.receiving >= this.maxCount) {
      throw new HttpError(413, `Too many files: at most ${this.maxCount} can wait for a job at once; start a job or remove some first`)
    }
  }

  /** Removes the uploads no page has held for `graceMs`. */
  private async expire(now = Date.now()): Promise<void> {
    if (this.pagesOpen > 0) return
    for (const upload of [...this.uploads.values()]) if (now - this.heldUntil(upload) >= this.graceMs) await this.remove(upload.id)
    this.scheduleExpiry()
  }

  private heldUntil(upload: Upload): number {
    return Math.max(upload.createdAt, this.unheldSince)
  }

  private scheduleExpiry(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.pagesOpen > 0 || this.uploads.size === 0) return
    const next = Math.min(...[...this.uploads.values()].map((upload) => this.heldUntil(upload) + this.graceMs))
    this.timer = setTimeout(() => void this.expire(), Math.max(0, next - Date.now()))
    this.timer.unref()
  }

  private changed(): void {
    this.scheduleExpiry()
    const list = this.list()
    for (const listener of this.listeners) listener(list)
  }

  /**
   * Streams a request body to disk. Refuses with 413 above the size limit or the count of pending
   * uploads, with 415 when the first bytes are not a known image or video (whatever the name says).
   */
  async receive(request: IncomingMessage, rawName: string | undefined, uploadKey?: string): Promise<Upload> {
    this.checkRoom()
    const declared = Number(request.headers['content-length'])
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      throw new HttpError(413, `This file is ${formatBytes(declared)}, more than the upload limit of ${formatBytes(this.maxBytes)}`)
    }
    const id = randomId()
    const name = displayName(rawName, 'upload')
    const folder = this.folderOf(id)
    this.receiving++
    try {
      await mkdir(folder, { recursive: true })
      const { size, path, ...sniffed } = await this.stream(request, folder, name)
      const type = sniffed.type.mime === 'image/gif' && (await isAnimatedGif(path)) ? ANIMATED_GIF : sniffed.type
      const upload: Upload = { id, name, path, size, type, createdAt: Date.now(), ...(uploadKey ? { uploadKey } : {}) }
      this.add(upload)
      return upload
    } catch (error) {
      await rm(folder, { recursive: true, force: true })
      throw error
    } finally {
      this.receiving--
    }
  }

  private stream(request: IncomingMessage, folder: string, name: string): Promise<{ size: number; type: SniffedType; path: string }> {
    return new Promise((resolve, reject) => {
      const head: Buffer[] = []
      let headBytes = 0
      let size = 0
      let type: SniffedType | undefined
      let file: ReturnType<typeof createWriteStream> | undefined
      let path = ''
      let failed = false
      const fail = (error: Error) => {
        if (failed) return
        failed = true
        request.off('data', onData)
        request.resume()
        if (file) file.destroy()
        reject(error)
      }
      const refuse = (bytes: Buffer) =>
        fail(new HttpError(415, `"${name}" is not an image or video that can be upscaled: ${describeUnknown(bytes)}. Supported: PNG, JPEG, WebP, AVIF, GIF, TIFF images and MP4, MKV, WebM, MOV, AVI and other ffmpeg-readable videos`))
      const open = (bytes: Buffer): boolean => {
        type = sniff(bytes)
        if (!type) {
          refuse(bytes)
          return false
        }
        path = join(folder, `input${type.extension}`)
        file = createWriteStream(path, { flags: 'wx', mode: 0o600 })
        file.on('error', (error) => fail(error))
        file.on('drain', () => request.resume())
        file.write(bytes)
        return true
      }
      const onData = (chunk: Buffer) => {
        if (failed) return
        size += chunk.length
        if (size > this.maxBytes) {
          fail(new HttpError(413, `"${name}" is larger than the upload limit of ${formatBytes(this.maxBytes)}`))
          return
        }
        if (!file) {
          head.push(chunk)
          headBytes += chunk.length
          if (headBytes < SNIFF_BYTES) return
          open(Buffer.concat(head))
          return
        }
        if (!file.write(chunk)) request.pause()
      }
      request.on('data', onData)
      request.on('error', (error) => fail(error))
      request.on('close', () => {
        if (!request.complete) fail(new HttpError(400, 'The upload was interrupted'))
      })
      request.on('end', () => {
        if (failed) return
        if (!file && !open(Buffer.concat(head))) return
        file!.end(() => {
          if (!failed) resolve({ size, type: type!, path })
        })
      })
    })
  }

  /** Removes every upload (shutdown); nothing is reported any more. */
  async clear(): Promise<void> {
    this.listeners.clear()
    if (this.timer) clearTimeout(this.timer)
    await this.removeAll()
  }
}

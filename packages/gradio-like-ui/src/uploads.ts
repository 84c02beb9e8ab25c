import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { SNIFF_BYTES, describeUnknown, sniff, type SniffedType } from '@anime-upscaler/core'

/** A file received and sniffed, not yet given to a job. */
export interface Upload {
  id: string
  /** The name the user's file had (display only: never used as a path). */
  name: string
  path: string
  size: number
  type: SniffedType
  createdAt: number
}

/** An HTTP error with a status and a message for people. */
export class HttpError extends Error {
  override name = 'HttpError'
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** A random id: 128 bits, URL-safe, 22 characters. */
export function randomId(): string {
  return randomBytes(16).toString('base64url')
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/

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

/** Pending uploads: files waiting for a preview or a job, each in its own random folder. */
export class UploadStore {
  private readonly uploads = new Map<string, Upload>()
  private receiving = 0

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly maxCount: number,
    private readonly ttlMs = 6 * 3600 * 1000,
  ) {}

  get(id: string): Upload | undefined {
    return ID_PATTERN.test(id) ? this.uploads.get(id) : undefined
  }

  /** Hands the upload over (to a job): it is no longer this store's to delete. */
  take(id: string): Upload | undefined {
    const upload = this.get(id)
    if (upload) this.uploads.delete(id)
    return upload
  }

  /** Takes back an upload a job refused; dropped when its file is gone. */
  async restore(upload: Upload): Promise<void> {
    const exists = await stat(upload.path).then(
      (info) => info.isFile(),
      () => false,
    )
    if (exists) this.uploads.set(upload.id, upload)
    else await rm(join(this.dir, upload.id), { recursive: true, force: true })
  }

  async remove(id: string): Promise<boolean> {
    const upload = this.take(id)
    if (!upload) return false
    await rm(join(this.dir, upload.id), { recursive: true, force: true })
    return true
  }

  /** Removes uploads never used within the time to live. */
  async expire(now = Date.now()): Promise<void> {
    for (const upload of [...this.uploads.values()]) if (now - upload.createdAt > this.ttlMs) await this.remove(upload.id)
  }

  /**
   * Streams a request body to disk. Refuses with 413 above the size limit or the count of pending
   * uploads, with 415 when the first bytes are not a known image or video (whatever the name says).
   */
  async receive(request: IncomingMessage, rawName: string | undefined): Promise<Upload> {
    if (this.uploads.size + this.receiving >= this.maxCount) {
      throw new HttpError(413, `Too many files: at most ${this.maxCount} can wait for a job at once; start a job or remove some first`)
    }
    const declared = Number(request.headers['content-length'])
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      throw new HttpError(413, `This file is ${formatBytes(declared)}, more than the upload limit of ${formatBytes(this.maxBytes)}`)
    }
    const id = randomId()
    const name = displayName(rawName, 'upload')
    const folder = join(this.dir, id)
    this.receiving++
    try {
      await mkdir(folder, { recursive: true })
      const { size, type, path } = await this.stream(request, folder, name)
      const upload: Upload = { id, name, path, size, type, createdAt: Date.now() }
      this.uploads.set(id, upload)
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

  async clear(): Promise<void> {
    for (const id of [...this.uploads.keys()]) await this.remove(id)
  }

  get count(): number {
    return this.uploads.size
  }
}

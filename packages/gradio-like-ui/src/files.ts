import { constants } from 'node:fs'
import { lstat, open, realpath } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { sep } from 'node:path'
import { HttpError } from './http'

export interface ServedFile {
  path: string
  mime: string
  downloadName: string
}

/** `attachment`/`inline` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(kind: 'attachment' | 'inline', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match || (match[1] === '' && match[2] === '')) return 'invalid'
  let start: number
  let end: number
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0) return 'invalid'
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(match[1])
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  }
  if (start > end || start >= size) return 'invalid'
  return { start, end }
}

/**
 * Sends one registered file. Refused (403) when it is a symlink, not a regular file, or resolves
 * outside `root`; opened with O_NOFOLLOW so a file swapped for a link after the checks is refused too.
 * Supports single byte ranges (video seeking) and HEAD.
 */
export async function sendFile(request: IncomingMessage, response: ServerResponse, file: ServedFile, root: string, download: boolean): Promise<void> {
  const refused = new HttpError(403, 'This file cannot be served')
  const info = await lstat(file.path).catch(() => undefined)
  if (!info) throw new HttpError(404, 'This file no longer exists')
  if (info.isSymbolicLink() || !info.isFile()) throw refused
  const [real, realRoot] = await Promise.all([realpath(file.path), realpath(root)])
  if (!real.startsWith(realRoot + sep)) throw refused
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => {
    throw refused
  })
  let streaming = false
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw refused
    const range = parseRange(request.headers.range, stats.size)
    if (range === 'invalid') {
      response.writeHead(416, { 'Content-Range': `bytes */${stats.size}` })
      response.end()
      return
    }
    const start = range?.start ?? 0
    const end = range?.end ?? stats.size - 1
    const headers: Record<string, string | number> = {
      'Content-Type': file.mime,
      'Content-Length': Math.max(0, end - start + 1),
      'Accept-Ranges': 'bytes',
      'Content-Disposition': contentDisposition(download ? 'attachment' : 'inline', file.downloadName),
      'Cache-Control': 'no-store',
    }
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${stats.size}`
    response.writeHead(range ? 206 : 200, headers)
    if (request.method === 'HEAD' || stats.size === 0) {
      response.end()
      return
    }
    streaming = true
    const stream = handle.createReadStream({ start, end, autoClose: true })
    stream.on('error', () => response.destroy())
    response.on('close', () => stream.destroy())
    stream.pipe(response)
  } finally {
    if (!streaming) await handle.close()
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http'
import { LIMITS } from './limits'

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

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' })
  response.end(text)
}

export function sendNoContent(response: ServerResponse): void {
  response.writeHead(204).end()
}

/** An error answer: JSON `{ error, detail?, setting? }` under /api/, plain text elsewhere. */
export function sendError(request: IncomingMessage, response: ServerResponse, status: number, body: { error: string; detail?: string; setting?: string }): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  // The body of a refused upload is not read: close the connection rather than drain it.
  if (request.method === 'POST' && !request.complete) response.setHeader('Connection', 'close')
  if ((request.url ?? '').startsWith('/api/')) return sendJson(response, status, body)
  const text = `${status} ${body.error}\n`
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) })
  response.end(text)
}

/** The JSON object a request carries (Content-Type application/json, at most LIMITS.jsonBytes). */
export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const type = request.headers['content-type'] ?? ''
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'Send JSON (Content-Type: application/json)')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > LIMITS.jsonBytes) throw new HttpError(413, 'Request body too large')
    chunks.push(chunk)
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object')
    return value as Record<string, unknown>
  } catch {
    throw new HttpError(400, 'The request body is not a JSON object')
  }
}

/**
 * Splits a raw request path into decoded segments, refusing anything that could name a file other
 * than by its plain name: dot segments, encoded dots and slashes, backslashes, NUL, empty segments.
 */
export function pathSegments(rawUrl: string): string[] {
  const rawPath = rawUrl.split('?')[0]
  if (!rawPath.startsWith('/')) throw new HttpError(400, 'Bad request path')
  if (/%2e|%2f|%5c|%00|\\|\0/i.test(rawPath)) throw new HttpError(400, 'Bad request path')
  const segments = rawPath.split('/').slice(1)
  if (segments.length > 1 && segments.at(-1) === '') segments.pop()
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || (segment === '' && segments.length > 1)) throw new HttpError(400, 'Bad request path')
  }
  try {
    return segments.map((segment) => decodeURIComponent(segment))
  } catch {
    throw new HttpError(400, 'Bad request path')
  }
}

import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError } from './http'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

export interface AccessOptions {
  host: string
  loopback: boolean
  token?: string
  /** The port listened on (known once listening). */
  port: () => number
}

/**
 * Who may talk to the server: loopback Host names only on loopback (no DNS rebinding), a token when
 * one is set (query, HttpOnly cookie or Bearer header, compared in constant time), and state changes
 * from our own pages only. `admit` throws an HttpError, answers the request itself (the token's
 * redirect: true), or lets it through (false).
 */
export function createAccess({ host, loopback, token, port }: AccessOptions) {
  const tokenDigest = token ? digest(token) : undefined
  const matches = (candidate: string | undefined) => candidate !== undefined && tokenDigest !== undefined && timingSafeEqual(digest(candidate), tokenDigest)
  const cookieName = () => `anime_upscaler_${port()}`
  const cookieToken = (request: IncomingMessage) => {
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=')
      if (name === cookieName()) return value.join('=')
    }
    return undefined
  }
  const bearer = (request: IncomingMessage) => /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]

  const hostAllowed = (request: IncomingMessage) => {
    if (!loopback) return true
    const header = (request.headers.host ?? '').toLowerCase()
    return [`127.0.0.1:${port()}`, `localhost:${port()}`, `[::1]:${port()}`, `${host}:${port()}`].includes(header)
  }
  const originAllowed = (request: IncomingMessage) => {
    if (request.method === 'GET' || request.method === 'HEAD') return true
    const origin = request.headers.origin
    return origin === undefined || origin === `http://${request.headers.host}`
  }

  return function admit(request: IncomingMessage, response: ServerResponse, segments: string[], query: URLSearchParams): boolean {
    if (!hostAllowed(request)) throw new HttpError(403, 'Host not allowed: open the address the server printed')
    if (token) {
      const fromQuery = query.get('token') ?? undefined
      if (matches(fromQuery) && (request.method === 'GET' || request.method === 'HEAD') && segments.join('/') === '') {
        // Trade the token in the address for a cookie, and drop it from the address bar.
        response.writeHead(303, { Location: '/', 'Set-Cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`, 'Cache-Control': 'no-store' })
        response.end()
        return true
      }
      if (!matches(cookieToken(request)) && !matches(bearer(request)) && !matches(fromQuery)) {
        response.setHeader('WWW-Authenticate', 'Bearer realm="anime-upscaler"')
        throw new HttpError(401, 'Access token required: open the full address printed when the server started (it ends with ?token=…)')
      }
    }
    if (!originAllowed(request)) throw new HttpError(403, 'Cross-site request refused')
    return false
  }
}

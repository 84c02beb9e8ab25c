import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError } from './http'
import { ID_PATTERN } from './ids'

export interface RouteContext {
  request: IncomingMessage
  response: ServerResponse
  /** `:name` segments of the route's path, decoded; `:id` ones match ID_PATTERN. */
  params: Record<string, string>
  query: URLSearchParams
}

export type Method = 'GET' | 'POST' | 'DELETE'
export type Handler = (context: RouteContext) => Promise<void> | void

export interface Route {
  method: Method
  /** Such as `/api/jobs/:id/files/:name`. */
  path: string
  handler: Handler
}

function match(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined
  const params: Record<string, string> = {}
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index]
    if (!part.startsWith(':')) {
      if (part !== segment) return undefined
      continue
    }
    // An :id that is not an id names nothing: 404, before any lookup.
    if (part === ':id' && !ID_PATTERN.test(segment)) return undefined
    params[part.slice(1)] = segment
  }
  return params
}

/** Finds the route for a method and decoded path segments; GET routes answer HEAD too. 404 or 405 otherwise. */
export function createRouter(routes: Route[]): (context: Omit<RouteContext, 'params'> & { segments: string[] }) => Promise<void> {
  const compiled = routes.map((route) => ({ ...route, pattern: route.path.split('/').slice(1) }))
  return async ({ request, response, segments, query }) => {
    const method = request.method === 'HEAD' ? 'GET' : request.method
    let pathMatched = false
    for (const route of compiled) {
      const params = match(route.pattern, segments)
      if (!params) continue
      pathMatched = true
      if (route.method === method) return route.handler({ request, response, params, query })
    }
    if (pathMatched) throw new HttpError(405, `${request.method} is not allowed here`)
    throw new HttpError(404, 'Not found')
  }
}

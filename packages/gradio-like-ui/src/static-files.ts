import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** Headers on every answer: a strict CSP (scripts from this server only, no inline code), no framing, no sniffing. */
export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}

export interface StaticFile {
  body: Buffer
  type: string
}

// The sources (src/, under jest) and the build (dist/) both sit beside static/ and dist/.
const PACKAGE_ROOT = resolve(__dirname, '..')
const FILES: [route: string, path: string, type: string][] = [
  ['/', 'static/index.html', 'text/html; charset=utf-8'],
  ['/style.css', 'static/style.css', 'text/css; charset=utf-8'],
  ['/favicon.svg', 'static/favicon.svg', 'image/svg+xml'],
  // The page's TypeScript, compiled for browsers by the build (tsup.config.ts).
  ['/app.js', 'dist/browser/app.js', 'text/javascript; charset=utf-8'],
  ['/theme.js', 'dist/browser/theme.js', 'text/javascript; charset=utf-8'],
]

/** The page's files, read once at start. */
export function loadStaticFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>()
  for (const [route, path, type] of FILES) {
    const full = join(PACKAGE_ROOT, path)
    if (!existsSync(full)) throw new Error(`${full} is missing: build the package first (pnpm build)`)
    files.set(route, { body: readFileSync(full), type })
  }
  return files
}

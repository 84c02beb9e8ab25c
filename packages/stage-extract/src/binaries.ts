import { accessSync, constants, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { ExtractError, assertNonEmptyString } from './errors'

/** How to find one binary. */
export interface BinarySpec {
  /** `ffmpeg` or `ffprobe`. */
  name: string
  /** Environment variable that names the binary, e.g. `FFMPEG_PATH`. */
  envVar: string
  /** npm package whose `path` export is a shipped binary, e.g. `@ffmpeg-installer/ffmpeg`. */
  packageName: string
}

/** What the lookup reads; replaceable in tests. */
export interface LookupEnvironment {
  env: Record<string, string | undefined>
  /** Loads an npm package (normally this package's `require`). */
  load: (id: string) => unknown
  platform: NodeJS.Platform
}

const FFMPEG: BinarySpec = { name: 'ffmpeg', envVar: 'FFMPEG_PATH', packageName: '@ffmpeg-installer/ffmpeg' }
const FFPROBE: BinarySpec = { name: 'ffprobe', envVar: 'FFPROBE_PATH', packageName: '@ffprobe-installer/ffprobe' }

function defaultEnvironment(): LookupEnvironment {
  const require = createRequire(__filename)
  return { env: process.env, load: (id) => require(id), platform: process.platform }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function searchPath(command: string, lookup: LookupEnvironment): string | undefined {
  const dirs = (lookup.env.PATH ?? lookup.env.Path ?? '').split(delimiter).filter(Boolean)
  const names = lookup.platform === 'win32' && !/\.exe$/i.test(command) ? [`${command}.exe`, command] : [command]
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = join(dir, name)
      if (isExecutableFile(candidate)) return resolve(candidate)
    }
  }
  return undefined
}

/** A path (with a directory part) is checked as is; a bare name is looked up on PATH. */
function checkNamed(value: string, lookup: LookupEnvironment): string | undefined {
  if (isAbsolute(value) || value.includes('/') || value.includes('\\')) {
    return isExecutableFile(value) ? resolve(value) : undefined
  }
  return searchPath(value, lookup)
}

/**
 * Finds a binary: explicit value > environment variable > the npm package's shipped binary >
 * PATH. An explicit value or environment variable that does not lead to an executable file is an
 * error (rather than a silent fall-back to another ffmpeg).
 */
export function locateBinary(spec: BinarySpec, explicit: string | undefined, lookup: LookupEnvironment = defaultEnvironment()): string {
  const hint = `Install ffmpeg (https://ffmpeg.org) so '${spec.name}' is on PATH, set ${spec.envVar} to the ${spec.name} binary, or pass its path in the options.`
  if (explicit !== undefined) {
    assertNonEmptyString(`${spec.name}Path`, explicit)
    const found = checkNamed(explicit, lookup)
    if (found) return found
    throw new ExtractError('E_BINARY_NOT_FOUND', `${spec.name} not found at '${explicit}' (given in the options): no executable file there.`)
  }
  const fromEnv = lookup.env[spec.envVar]
  if (fromEnv) {
    const found = checkNamed(fromEnv, lookup)
    if (found) return found
    throw new ExtractError('E_BINARY_NOT_FOUND', `${spec.name} not found at '${fromEnv}' (from ${spec.envVar}): no executable file there. Fix or unset ${spec.envVar}.`)
  }
  const tried: string[] = [`${spec.envVar} is not set`]
  try {
    const shipped = (lookup.load(spec.packageName) as { path?: unknown }).path
    if (typeof shipped === 'string' && isExecutableFile(shipped)) return shipped
    tried.push(`${spec.packageName} has no executable binary${typeof shipped === 'string' ? ` at ${shipped}` : ''}`)
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    tried.push(`${spec.packageName} is unavailable (${message})`)
  }
  const onPath = searchPath(spec.name, lookup)
  if (onPath) return onPath
  tried.push(`no '${spec.name}' on PATH`)
  throw new ExtractError('E_BINARY_NOT_FOUND', `Cannot find ${spec.name}: ${tried.join('; ')}. ${hint}`)
}

/** The ffmpeg binary to run: `explicit` > `FFMPEG_PATH` > `@ffmpeg-installer/ffmpeg` > `ffmpeg` on PATH. */
export function resolveFfmpeg(explicit?: string): string {
  return locateBinary(FFMPEG, explicit)
}

/** The ffprobe binary to run: `explicit` > `FFPROBE_PATH` > `@ffprobe-installer/ffprobe` > `ffprobe` on PATH. */
export function resolveFfprobe(explicit?: string): string {
  return locateBinary(FFPROBE, explicit)
}

export const BINARY_SPECS = { ffmpeg: FFMPEG, ffprobe: FFPROBE } as const

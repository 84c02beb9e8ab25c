import { spawnSync } from 'node:child_process'
import { accessSync, chmodSync, constants, copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { AnimeUpscalerError, message, optionName } from './errors'

export type BinaryName = 'ffmpeg' | 'ffprobe'

/** Where a binary came from, in the order they are tried. */
export type BinarySource = 'option' | 'environment' | 'bundled' | 'PATH'

/** The binary a run uses, and why. */
export interface BinaryChoice {
  name: BinaryName
  path: string
  source: BinarySource
  /** What `-version` says on its first line (`5.1.9-0+deb12u1`, `N-47683-g0e8eb07980-static`); read only when two candidates were compared (else see `readVersion`). */
  version?: string
  /** libavformat's version: what "newer" compares. */
  libavformat?: [number, number, number]
  /** Why this one was chosen over another candidate, when there was a choice. */
  reason?: string
}

/** A binary's name, the variable that overrides it and the npm package that ships one. */
const SPECS: Record<BinaryName, { envVar: string; packageName: string }> = {
  ffmpeg: { envVar: 'FFMPEG_PATH', packageName: '@ffmpeg-installer/ffmpeg' },
  ffprobe: { envVar: 'FFPROBE_PATH', packageName: '@ffprobe-installer/ffprobe' },
}

/** What the lookup reads; replaceable in tests. */
export interface LookupEnvironment {
  env: Record<string, string | undefined>
  /** Loads an npm package (normally this package's `require`). */
  load: (id: string) => unknown
  platform: NodeJS.Platform
  /** Reads a binary's version (`-version`), undefined when it does not run. */
  version: (path: string) => { version: string; libavformat?: [number, number, number] } | undefined
}

/** The error when no usable binary is found; `option` names the option that pointed nowhere. */
export class BinaryError extends AnimeUpscalerError<'E_BINARY_NOT_FOUND'> {
  override name = 'BinaryError'
}

const versions = new Map<string, ReturnType<LookupEnvironment['version']>>()

/** `-version` of a binary, read once per path. */
export function readVersion(path: string): { version: string; libavformat?: [number, number, number] } | undefined {
  if (!versions.has(path)) {
    const result = spawnSync(path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 5000, killSignal: 'SIGKILL', windowsHide: true })
    const text = result.status === 0 ? result.stdout : ''
    const version = /version (\S+)/.exec(text)?.[1]
    const lib = /libavformat\s+(\d+)\.\s*(\d+)\.\s*(\d+)/.exec(text)
    versions.set(path, version ? { version, ...(lib ? { libavformat: [Number(lib[1]), Number(lib[2]), Number(lib[3])] as [number, number, number] } : {}) } : undefined)
  }
  return versions.get(path)
}

/** Loads an npm package from where the caller is installed (the package that depends on the binary packages). */
export type PackageLoader = (id: string) => unknown

function defaultEnvironment(load: PackageLoader = createRequire(__filename)): LookupEnvironment {
  return { env: process.env, load, platform: process.platform, version: readVersion }
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
  if (isAbsolute(value) || value.includes('/') || value.includes('\\')) return isExecutableFile(value) ? resolve(value) : undefined
  return searchPath(value, lookup)
}

/** The user's cache folder for this project (XDG on Linux, the usual places elsewhere). */
export function cacheFolder(env: Record<string, string | undefined> = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'anime-upscaler', 'Cache')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'anime-upscaler')
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'anime-upscaler')
}

/**
 * A shipped binary that lost its execute bit (pnpm skips unapproved install scripts, which is
 * where the packages chmod it): made executable in place when we may, else run from an
 * executable copy in the cache folder.
 */
function executableShipped(path: string, lookup: LookupEnvironment): string | undefined {
  if (isExecutableFile(path)) return path
  let size: number
  let modified: number
  try {
    const stats = statSync(path)
    if (!stats.isFile()) return undefined
    ;({ size, mtimeMs: modified } = stats)
    chmodSync(path, stats.mode | 0o111)
    if (isExecutableFile(path)) return path
  } catch {
    // read-only install: fall through to the cached copy
  }
  try {
    const folder = join(cacheFolder(lookup.env, lookup.platform), 'bin')
    const copy = join(folder, `${path.split(/[\\/]/).at(-1)}-${size!}-${Math.round(modified!)}`)
    if (isExecutableFile(copy)) return copy
    mkdirSync(folder, { recursive: true })
    const partial = `${copy}.${process.pid}.partial`
    copyFileSync(path, partial)
    chmodSync(partial, 0o755)
    renameSync(partial, copy)
    return copy
  } catch {
    return undefined
  }
}

function compareVersions(a: [number, number, number] | undefined, b: [number, number, number] | undefined): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/**
 * Finds a binary. An explicit path (the option) wins, then the environment variable; a value there
 * that leads to no executable is an error rather than a silent fall-back. Otherwise the newer of
 * the npm package's shipped binary and the one on PATH (by libavformat's version), so a system
 * ffmpeg newer than the bundled 2018 build is used.
 */
export function chooseBinary(name: BinaryName, explicit: string | undefined, option = `${name}Path`, lookup: LookupEnvironment = defaultEnvironment()): BinaryChoice {
  const { envVar, packageName } = SPECS[name]
  const withVersion = (path: string, source: BinarySource, reason?: string): BinaryChoice => {
    const info = lookup.version(path)
    return { name, path, source, ...(info ? { version: info.version } : {}), ...(info?.libavformat ? { libavformat: info.libavformat } : {}), ...(reason ? { reason } : {}) }
  }
  // A binary the user named is not run before its real use: only a choice between two needs versions.
  if (explicit !== undefined) {
    const found = typeof explicit === 'string' && explicit !== '' ? checkNamed(explicit, lookup) : undefined
    if (found) return { name, path: found, source: 'option' }
    throw new BinaryError('E_BINARY_NOT_FOUND', message`${name} not found at '${String(explicit)}' (given as ${optionName(option)}): no executable file there`, { option, value: explicit })
  }
  const fromEnv = lookup.env[envVar]
  if (fromEnv) {
    const found = checkNamed(fromEnv, lookup)
    if (found) return { name, path: found, source: 'environment' }
    throw new BinaryError('E_BINARY_NOT_FOUND', `${name} not found at '${fromEnv}' (from ${envVar}): no executable file there`, { hint: `fix or unset ${envVar}` })
  }
  let shipped: string | undefined
  let shippedProblem: string
  try {
    const path = (lookup.load(packageName) as { path?: unknown }).path
    shipped = typeof path === 'string' ? executableShipped(path, lookup) : undefined
    shippedProblem = `${packageName} has no executable binary${typeof path === 'string' ? ` at ${path}` : ''}`
  } catch (error) {
    shippedProblem = `${packageName} is unavailable (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`
  }
  const onPath = searchPath(name, lookup)
  if (shipped && onPath) {
    const bundled = withVersion(shipped, 'bundled')
    const system = withVersion(onPath, 'PATH')
    if (compareVersions(system.libavformat, bundled.libavformat) > 0) return { ...system, reason: `newer than the bundled ${bundled.version ?? 'build'}` }
    return { ...bundled, reason: `not older than the one on PATH (${system.version ?? onPath})` }
  }
  if (shipped) return { name, path: shipped, source: 'bundled' }
  if (onPath) return { name, path: onPath, source: 'PATH', reason: shippedProblem }
  throw new BinaryError('E_BINARY_NOT_FOUND', `Cannot find ${name}: ${envVar} is not set; ${shippedProblem}; no '${name}' on PATH`, {
    hint: `install ffmpeg (https://ffmpeg.org) so '${name}' is on PATH, set ${envVar} to the ${name} binary, or reinstall ${packageName}`,
  })
}

const chosen = new Map<string, BinaryChoice>()

/**
 * `chooseBinary` for the current environment, decided once per process for each explicit value and
 * variable. `load` finds the npm packages that ship the binaries (@ffmpeg-installer/ffmpeg,
 * @ffprobe-installer/ffprobe) from the caller's install: this package does not depend on them, the
 * stages that run ffmpeg do.
 */
export function resolveBinary(name: BinaryName, explicit?: string, option?: string, load?: PackageLoader): BinaryChoice {
  const key = `${name}\0${explicit ?? ''}\0${process.env[SPECS[name].envVar] ?? ''}\0${process.env.PATH ?? ''}`
  let choice = chosen.get(key)
  if (!choice) {
    choice = chooseBinary(name, explicit, option, defaultEnvironment(load))
    chosen.set(key, choice)
  }
  return choice
}

import { execFileSync } from 'node:child_process'
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BinaryError, chooseBinary, readVersion, type LookupEnvironment } from '../src'

const bundledProbe = (createRequire(__filename)('@ffprobe-installer/ffprobe') as { path: string }).path
const bundledFfmpeg = (createRequire(__filename)('@ffmpeg-installer/ffmpeg') as { path: string }).path

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'common-binaries-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** A lookup over real files; only the package loader and the variables are chosen by the test. */
function lookup(overrides: Partial<LookupEnvironment> & { shipped?: string } = {}): LookupEnvironment {
  const { shipped, ...rest } = overrides
  return {
    env: { PATH: '', XDG_CACHE_HOME: join(dir, 'cache') },
    load: () => ({ path: shipped }),
    platform: process.platform,
    version: readVersion,
    ...rest,
  }
}

describe('chooseBinary', () => {
  test('an explicit path wins; one that leads nowhere is an error naming the option', () => {
    expect(chooseBinary('ffprobe', bundledProbe, 'ffprobePath', lookup())).toMatchObject({ path: bundledProbe, source: 'option' })
    let caught: unknown
    try {
      chooseBinary('ffmpeg', join(dir, 'nope'), 'ffmpegPath', lookup())
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(BinaryError)
    expect(caught).toMatchObject({ code: 'E_BINARY_NOT_FOUND', option: 'ffmpegPath' })
  })

  test('the environment variable comes next, and a wrong one says to fix it', () => {
    expect(chooseBinary('ffprobe', undefined, undefined, lookup({ env: { FFPROBE_PATH: bundledProbe } }))).toMatchObject({ source: 'environment' })
    expect(() => chooseBinary('ffprobe', undefined, undefined, lookup({ env: { FFPROBE_PATH: '/no/such/ffprobe' } }))).toThrow(/FFPROBE_PATH.*fix or unset FFPROBE_PATH/)
  })

  test('the one on PATH is preferred when its libavformat is newer than the bundled one, else the bundled one', () => {
    mkdirSync(join(dir, 'bin'))
    copyFileSync(bundledFfmpeg, join(dir, 'bin', 'ffmpeg'))
    chmodSync(join(dir, 'bin', 'ffmpeg'), 0o755)
    const versions: Record<string, [number, number, number]> = { [bundledFfmpeg]: [58, 20, 100], [join(dir, 'bin', 'ffmpeg')]: [59, 27, 100] }
    const version = (path: string) => ({ version: path === bundledFfmpeg ? 'N-47683' : '5.1.9', libavformat: versions[path] })
    const newer = chooseBinary('ffmpeg', undefined, undefined, lookup({ env: { PATH: join(dir, 'bin') }, shipped: bundledFfmpeg, version }))
    expect(newer).toMatchObject({ path: join(dir, 'bin', 'ffmpeg'), source: 'PATH', version: '5.1.9', reason: 'newer than the bundled N-47683' })
    versions[join(dir, 'bin', 'ffmpeg')] = [58, 20, 100]
    expect(chooseBinary('ffmpeg', undefined, undefined, lookup({ env: { PATH: join(dir, 'bin') }, shipped: bundledFfmpeg, version }))).toMatchObject({ path: bundledFfmpeg, source: 'bundled' })
  })

  test('the real versions are read from -version', () => {
    const info = readVersion(bundledFfmpeg)
    expect(info?.libavformat?.[0]).toBeGreaterThanOrEqual(58)
    if (existsSync('/usr/bin/ffmpeg')) expect(readVersion('/usr/bin/ffmpeg')?.libavformat?.[0]).toBeGreaterThanOrEqual(58)
  })

  test('a shipped binary without its execute bit (pnpm skipped the chmod script) is made executable and works', () => {
    const copy = join(dir, 'ffprobe')
    copyFileSync(bundledProbe, copy)
    chmodSync(copy, 0o644)
    const choice = chooseBinary('ffprobe', undefined, undefined, lookup({ shipped: copy }))
    expect(choice.source).toBe('bundled')
    expect(() => accessSync(choice.path, constants.X_OK)).not.toThrow()
    expect(execFileSync(choice.path, ['-hide_banner', '-version'], { encoding: 'utf8' })).toMatch(/ffprobe version/)
  })

  const canMount = process.getuid?.() === 0
  ;(canMount ? test : test.skip)(`on a read-only install it runs an executable copy from the cache folder${canMount ? '' : ' — SKIPPED: needs root to mount a tmpfs'}`, () => {
    const mount = join(dir, 'ro')
    mkdirSync(mount)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mount])
    try {
      copyFileSync(bundledProbe, join(mount, 'ffprobe'))
      chmodSync(join(mount, 'ffprobe'), 0o644)
      execFileSync('mount', ['-o', 'remount,ro', mount])
      const choice = chooseBinary('ffprobe', undefined, undefined, lookup({ shipped: join(mount, 'ffprobe') }))
      expect(choice.path.startsWith(join(dir, 'cache', 'anime-upscaler', 'bin'))).toBe(true)
      expect(statSync(choice.path).mode & 0o111).toBeTruthy()
      expect(execFileSync(choice.path, ['-hide_banner', '-version'], { encoding: 'utf8' })).toMatch(/ffprobe version/)
    } finally {
      execFileSync('umount', [mount])
    }
  })

  test('nothing anywhere: one message saying everything that was tried and what to do', () => {
    expect(() => chooseBinary('ffmpeg', undefined, undefined, lookup({ load: () => ({}) }))).toThrow(/Cannot find ffmpeg: FFMPEG_PATH is not set; .*no 'ffmpeg' on PATH: install ffmpeg/)
  })
})

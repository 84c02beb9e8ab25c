// Stops at random moments, as a user gives them: Ctrl-C (SIGINT) and SIGTERM while the command
// probes, starts its workers, decodes, upscales and encodes, and during a long 1080p model call.
// No stop may abort the process (onnxruntime's "terminate called … Napi::Error", exit 134): exit 130,
// within 2 s of the signal, with nothing at the destination, nothing in TMPDIR, no process left.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { probe, resolveFfmpeg } from '@anime-upscaler/core'
import { childrenOf, processesMentioning } from './helpers'

const BIN = resolve(__dirname, '../dist/bin.js')
/** What "honoured" means for a stop. */
const STOP_WITHIN_MS = 2000
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-stops-'))
  const ffmpeg = (...args: string[]) => execFileSync(resolveFfmpeg(), ['-v', 'error', '-y', ...args], { cwd: dir })
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=24:duration=8', '-f', 'lavfi', '-i', 'sine=duration=8', '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', '-shortest', 'clip.mkv')
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=24:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', 'big.mkv')
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Stopped {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  /** ms from the stop signal to the exit, or undefined when the run ended before the signal. */
  stopMs?: number
  temp: string
}

/** Runs the command and sends `signal` once `when` says so (given the stderr so far), or after `delayMs`. */
function runAndStop(args: string[], signal: NodeJS.Signals, when: (stderr: string, elapsedMs: number) => boolean): Promise<Stopped> {
  const temp = mkdtempSync(join(dir, 'tmp-'))
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, TMPDIR: temp }, stdio: ['ignore', 'ignore', 'pipe'] })
    const started = Date.now()
    let stderr = ''
    let signalledAt: number | undefined
    const poll = setInterval(() => {
      if (signalledAt === undefined && when(stderr, Date.now() - started)) {
        signalledAt = Date.now()
        child.kill(signal)
      }
    }, 10)
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (text: string) => (stderr += text))
    child.on('exit', (code, exitSignal) => {
      clearInterval(poll)
      done({ code, signal: exitSignal, stderr, stopMs: signalledAt === undefined ? undefined : Date.now() - signalledAt, temp })
    })
  })
}

function expectCleanStop(result: Stopped, output: string): void {
  expect(result.stderr).not.toMatch(/terminate called|Napi::Error|Aborted/)
  if (result.signal !== null) {
    // The signal came before Node ran any of the command (its default action ended the process;
    // a shell reports 128 + the signal): nothing was started, so nothing may be left.
    expect(result.stderr).toBe('')
  } else if (result.stopMs === undefined) {
    // The run ended before the signal: a finished output is fine.
    expect(result.code).toBe(0)
  } else {
    expect(result).toMatchObject({ code: 130 })
    expect(result.stopMs).toBeLessThanOrEqual(STOP_WITHIN_MS)
  }
  if (result.stopMs !== undefined) expect(existsSync(join(dir, output))).toBe(false)
  expect(readdirSync(dir).filter((name) => name.includes('.partial'))).toEqual([])
  expect(readdirSync(result.temp)).toEqual([])
  expect(processesMentioning(dir)).toEqual([])
  rmSync(join(dir, output), { force: true })
  rmSync(result.temp, { recursive: true })
}

/** Moments spread over a run: the first ones fall in the probe and the workers' start, the later ones in the pipeline. */
const MOMENTS_MS = [0, 40, 120, 250, 400, 600, 800, 1000, 1300, 1600, 2000, 2400, 2800, 3300, 3800, 4400, 5000, 5800, 6600, 7500]

describe('stops at any moment', () => {
  test.each(MOMENTS_MS.map((ms, i) => [ms, i % 2 === 0 ? 'SIGINT' : 'SIGTERM'] as const))('%i ms into a 360p run, %s', async (ms, signal) => {
    const output = `stop-${ms}.mkv`
    const result = await runAndStop(['upscale', 'clip.mkv', '-o', output, '--preset', 'ultrafast'], signal, (_stderr, elapsed) => elapsed >= ms)
    expectCleanStop(result, output)
  }, 120_000)

  test.each(['SIGINT', 'SIGTERM'] as const)('during a long 1080p model call (anime4k-l, one worker), %s', async (signal) => {
    const output = `stop-1080p-${signal}.mkv`
    // "Upscaling" is printed when the workers are ready: the first frames are in the model a moment later.
    let seenAt: number | undefined
    const result = await runAndStop(['upscale', 'big.mkv', '-o', output, '--workers', '1', '--threads', '2'], signal, (stderr, elapsed) => {
      if (seenAt === undefined && stderr.includes('Upscaling')) seenAt = elapsed
      return seenAt !== undefined && elapsed >= seenAt + 1500
    })
    expect(result.stopMs).toBeDefined()
    expectCleanStop(result, output)
  }, 180_000)
})

describe('a stop in the middle of a batch', () => {
  test('SIGINT during the second of three videos: exit 130 within 2 s; the first output stays whole, nothing else is written or left', async () => {
    mkdirSync(join(dir, 'batch'))
    for (const name of ['b1', 'b2', 'b3']) {
      execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=5', '-c:v', 'libx264', '-preset', 'ultrafast', join(dir, 'batch', `${name}.mkv`)])
    }
    // The second video's workers are ready (its line ends "to the encoder"): its frames are on the way, for ~1 s on a 2-core machine.
    const result = await runAndStop(['upscale', 'batch', '-o', 'batch-2x', '--model', 'anime4k-s', '--preset', 'ultrafast'], 'SIGINT', (stderr) => /Upscaling batch\/b2\.mkv[\s\S]*to the encoder/.test(stderr))
    expect(result.stderr).toContain('Stopped: 1 file written before the stop is kept (batch-2x/b1.mkv); nothing partial was left.')
    expect(result).toMatchObject({ code: 130, stopMs: expect.any(Number) })
    expect(result.stopMs).toBeLessThanOrEqual(STOP_WITHIN_MS)
    expect(readdirSync(join(dir, 'batch-2x'))).toEqual(['b1.mkv'])
    expect((await probe(join(dir, 'batch-2x', 'b1.mkv'))).video.frameCount).toBe(120)
    expect(readdirSync(result.temp)).toEqual([])
    expect(processesMentioning(dir)).toEqual([])
    rmSync(result.temp, { recursive: true })
  }, 120_000)
})

describe('the process that runs the command (bin.js starts it and only relays stops)', () => {
  /** Starts an upscale of the 360p clip; resolves with bin.js and its work process once frames are being upscaled. */
  async function startRun(output: string) {
    const temp = mkdtempSync(join(dir, 'tmp-'))
    const child = spawn(process.execPath, [BIN, 'upscale', 'clip.mkv', '-o', output, '--preset', 'ultrafast'], { cwd: dir, env: { ...process.env, TMPDIR: temp }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (text: string) => (stderr += text))
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    while (!stderr.includes('Upscaling')) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 500))
    const [work] = childrenOf(child.pid!)
    expect(work).toBeDefined()
    return { child, work, temp, exited, stderr: () => stderr }
  }

  function expectNothingLeft(output: string, temp: string): void {
    expect(existsSync(join(dir, output))).toBe(false)
    expect(readdirSync(dir).filter((name) => name.includes('.partial'))).toEqual([])
    expect(readdirSync(temp)).toEqual([])
    expect(processesMentioning(dir)).toEqual([])
    rmSync(temp, { recursive: true })
  }

  test('a SIGTERM sent to both at once (as systemd stops a service) is one clean stop, not a forced one', async () => {
    const run = await startRun('both.mkv')
    const signalledAt = Date.now()
    process.kill(run.child.pid!, 'SIGTERM')
    process.kill(run.work, 'SIGTERM')
    expect(await run.exited).toBe(130)
    expect(Date.now() - signalledAt).toBeLessThanOrEqual(STOP_WITHIN_MS)
    expect(run.stderr()).toContain('Stopped: nothing was left at the destination')
    expectNothingLeft('both.mkv', run.temp)
  }, 60_000)

  test('the work process runs with huge pages for malloc (docs/speed.md), unless GLIBC_TUNABLES was set', async () => {
    const run = await startRun('env.mkv')
    const environment = readFileSync(`/proc/${run.work}/environ`, 'utf8').split('\0')
    process.kill(run.child.pid!, 'SIGINT')
    expect(await run.exited).toBe(130)
    expectNothingLeft('env.mkv', run.temp)
    expect(environment).toContain(`GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? 'glibc.malloc.hugetlb=1'}`)
  }, 60_000)

  test('bin.js killed (SIGKILL): the work process stops cleanly on its own, leaving nothing', async () => {
    const run = await startRun('orphan.mkv')
    run.child.kill('SIGKILL')
    await run.exited
    for (let waited = 0; existsSync(`/proc/${run.work}`) && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(existsSync(`/proc/${run.work}`)).toBe(false)
    expectNothingLeft('orphan.mkv', run.temp)
  }, 60_000)
})

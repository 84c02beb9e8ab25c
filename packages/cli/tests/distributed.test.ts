// The distributed mode on loopback, as users run it: a real redis-server (TLS and a password), a
// coordinator (`upscale --redis`) and worker processes (`anime-upscaler worker`), real ffmpeg and
// a real model. Workers are killed, Redis restarts, the coordinator is stopped; the output must
// equal a local run's frames and timestamps, and nothing may be left behind.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Redis } from 'ioredis'
import { buildAnime4kOnnx, loadAnime4kWeights } from '@anime-upscaler/stage-upscale'
import { resolveFfmpeg, resolveFfprobe } from '@anime-upscaler/core'
import { RedisServer } from '../../../tools/src/redis-server'
import { childrenOf, crash } from './helpers'

const BIN = resolve(__dirname, '../dist/bin.js')
/** Seconds without news after which a dead worker's segment goes to another (short, for the test). */
const STALL = '3'
let dir = ''
let redis: RedisServer
let env: NodeJS.ProcessEnv
const started: ChildProcess[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-distributed-'))
  redis = await RedisServer.start({ password: 'test pass', tls: true })
  // The test's own CA, trusted the way a user trusts a private one.
  env = { ...process.env, NODE_EXTRA_CA_CERTS: redis.caFile }
  // 6 s at 24 fps with a keyframe every second: segments of 1 s.
  execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=24:duration=6', '-f', 'lavfi', '-i', 'sine=duration=6', '-c:v', 'libx264', '-g', '24', '-pix_fmt', 'yuv420p', '-shortest', join(dir, 'clip.mkv')])
  const local = spawnSync(process.execPath, [BIN, 'upscale', 'clip.mkv', '-o', 'local.mkv', '--model', 'anime4k-s', '--preset', 'ultrafast'], { cwd: dir, encoding: 'utf8' })
  expect(local.status).toBe(0)
}, 60_000)

afterEach(async () => {
  await Promise.all(started.splice(0).map(stop))
})

afterAll(async () => {
  await redis?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** A process of the CLI with its stderr collected; `waitFor` resolves at the first line matching. */
function launch(...args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  started.push(child)
  let stdout = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  let stderr = ''
  const waiters: { pattern: RegExp; resolve: () => void; reject: (error: Error) => void }[] = []
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    for (const waiter of waiters.filter((w) => w.pattern.test(stderr))) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
  })
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      // A line that never came: say so at once, with what the process said.
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`exited (${code}) before printing ${waiter.pattern}:\n${stderr}`))
      done(code)
    }),
  )
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor: (pattern: RegExp) => new Promise<void>((done, reject) => (pattern.test(stderr) ? done() : waiters.push({ pattern, resolve: done, reject }))),
  }
}

function worker(...extra: string[]) {
  return launch('worker', '--redis', redis.url, '--workers', '1', '--threads', '1', '--stall-timeout', STALL, ...extra)
}

function coordinator(output: string, ...extra: string[]) {
  return launch('upscale', 'clip.mkv', '-o', output, '--redis', redis.url, '--segments', '1', '--model', 'anime4k-s', '--preset', 'ultrafast', ...extra)
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((done) => child.once('exit', done))
  child.kill('SIGTERM')
  await exited
}

/** Every video frame's presentation time, as ffprobe reads it. */
function frameTimes(file: string): string[] {
  const out = execFileSync(resolveFfprobe(), ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'json', join(dir, file)], { encoding: 'utf8' })
  return (JSON.parse(out) as { frames: { pts_time: string }[] }).frames.map((frame) => frame.pts_time)
}

/** What the job left in the output's folder besides the files the test made. */
function leftovers(): string[] {
  return readdirSync(dir).filter((name) => !['clip.mkv', 'local.mkv'].includes(name) && !name.endsWith('.onnx') && !name.startsWith('models-'))
}

/** Keys of jobs the coordinator left in Redis. */
async function redisKeys(): Promise<string[]> {
  const client = new Redis(redis.url, { tls: { ca: readFileSync(redis.caFile!) } })
  try {
    return await client.keys('anime-upscaler:job:*')
  } finally {
    client.disconnect()
  }
}

/** ffmpeg processes whose parent is one of `pids`. */
function ffmpegChildrenOf(pids: number[]): number[] {
  const isFfmpeg = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ffmpeg'
    } catch {
      return false
    }
  }
  return pids.flatMap(childrenOf).filter(isFfmpeg)
}

test('two workers, one killed mid-segment: the job completes and equals the local run in frames and timestamps', async () => {
  const first = worker()
  const second = worker()
  await Promise.all([first.waitFor(/waiting for segments/), second.waitFor(/waiting for segments/)])
  const job = coordinator('killed.mkv')
  await first.waitFor(/Segment \d+ of job/)
  crash(first.child)
  expect(await job.exited).toBe(0)
  expect(job.stderr()).toMatch(/workers: .*segment/)
  // The coordinator's own model only plans: the start line says where the frames go, not its one worker.
  expect(job.stderr()).toMatch(/^anime4k-\w+, segments queued on rediss?:\/\/(:\*\*\*@)?127\.0\.0\.1:\d+ for the workers there, /m)
  expect(frameTimes('killed.mkv')).toEqual(frameTimes('local.mkv'))
  expect(leftovers()).toEqual(['killed.mkv'])
  expect(await redisKeys()).toEqual([])
  rmSync(join(dir, 'killed.mkv'))
}, 90_000)

test('reuse flags travel with the job: the worker makes its segments with them, and the coordinator counts their model work', async () => {
  const one = worker()
  await one.waitFor(/waiting for segments/)
  // Were the flags not carried, the worker's settings (tiles, 8 references) would differ from the job's and it would refuse.
  const job = coordinator('frames.mkv', '--reuse', 'frames', '--reuse-refs', '3', '--json')
  expect(await job.exited).toBe(0)
  expect(one.stderr()).not.toMatch(/Refused/)
  const events = job.stdout().trim().split('\n').map((line) => JSON.parse(line))
  expect(events[0]).toMatchObject({ type: 'start', reuse: { mode: 'frames', references: 3 } })
  // Reusing frames, a kept frame counts whole: model work is the kept frames' share, from the workers' reports.
  const done = events.at(-1)
  expect(done).toMatchObject({ type: 'done', frames: 144 })
  expect(done.modelWork).toBeCloseTo(done.unique / done.frames, 10)
  expect(events.filter((e) => e.type === 'progress').every((e) => e.modelWork >= 0 && e.modelWork <= 1)).toBe(true)
  expect(frameTimes('frames.mkv')).toEqual(frameTimes('local.mkv'))
  expect(leftovers()).toEqual(['frames.mkv'])
  rmSync(join(dir, 'frames.mkv'))
}, 90_000)

test('Redis restarts mid-job: the job completes from its append-only file', async () => {
  const one = worker()
  await one.waitFor(/waiting for segments/)
  const job = coordinator('restarted.mkv')
  await one.waitFor(/Segment \d+ of job \w+ done/)
  await redis.restart(500)
  expect(await job.exited).toBe(0)
  expect(job.stderr()).toMatch(/does not answer/)
  expect(frameTimes('restarted.mkv')).toEqual(frameTimes('local.mkv'))
  expect(leftovers()).toEqual(['restarted.mkv'])
  rmSync(join(dir, 'restarted.mkv'))
}, 90_000)

test('a stop from the coordinator: exit 130, no output, no partial segment, no ffmpeg, nothing in Redis', async () => {
  const one = worker()
  await one.waitFor(/waiting for segments/)
  const job = coordinator('stopped.mkv')
  await one.waitFor(/Segment \d+ of job/)
  job.child.kill('SIGINT')
  expect(await job.exited).toBe(130)
  await one.waitFor(/failed|done/)
  expect(existsSync(join(dir, 'stopped.mkv'))).toBe(false)
  const jobFolder = join(dir, '.stopped.mkv.job')
  const segments = existsSync(jobFolder) ? readdirSync(join(jobFolder, 'segments')) : []
  expect(segments.filter((name) => name.includes('partial'))).toEqual([])
  // ffmpeg runs in the worker's work process, the child of bin.js.
  expect(childrenOf(one.child.pid!)).toHaveLength(1)
  expect(ffmpegChildrenOf(childrenOf(one.child.pid!))).toEqual([])
  expect(await redisKeys()).toEqual([])
  rmSync(jobFolder, { recursive: true, force: true })
  expect(leftovers()).toEqual([])
}, 90_000)

test("a worker whose model differs from the job's refuses it, saying why; nothing is written", async () => {
  // Two models of the same file name and different content: the coordinator's and the worker's.
  execFileSync('mkdir', ['-p', join(dir, 'models-a'), join(dir, 'models-b')])
  writeFileSync(join(dir, 'models-a', 'mine.onnx'), buildAnime4kOnnx(loadAnime4kWeights('s')))
  writeFileSync(join(dir, 'models-b', 'mine.onnx'), buildAnime4kOnnx(loadAnime4kWeights('l')))
  const one = worker('--model-file', join(dir, 'models-b', 'mine.onnx'))
  await one.waitFor(/waiting for segments/)
  const job = launch('upscale', 'clip.mkv', '-o', 'refused.mkv', '--redis', redis.url, '--segments', '1', '--model', join(dir, 'models-a', 'mine.onnx'), '--preset', 'ultrafast')
  await job.waitFor(/refused this job/)
  // The model file is compared by content: its fingerprint differs.
  expect(one.stderr()).toMatch(/Refused segment \d+ of job \w+: .*other settings .*\(model file \d+:\w+ → file \d+:\w+\)/)
  expect(job.stderr()).toMatch(/Worker [^ ]+ refused this job: .*\(model file /)
  expect(one.stderr().match(/Refused segment/g)).toHaveLength(1)
  job.child.kill('SIGINT')
  expect(await job.exited).toBe(130)
  expect(existsSync(join(dir, 'refused.mkv'))).toBe(false)
  rmSync(join(dir, '.refused.mkv.job'), { recursive: true, force: true })
  expect(await redisKeys()).toEqual([])
}, 90_000)

test.each([
  ['upscale', ['upscale', 'clip.mkv', '-o', 'never.mkv', '--redis', 'redis://127.0.0.1:1']],
  ['worker', ['worker', '--redis', 'redis://127.0.0.1:1']],
])('%s with an unreachable Redis: a clear message within 5 s, exit 2', (_name, args) => {
  // What starting the command costs on this machine now (several seconds on a loaded CI machine) is not the wait for Redis.
  let begun = Date.now()
  spawnSync(process.execPath, [BIN, '--version'], { cwd: dir, env })
  const startup = Date.now() - begun
  begun = Date.now()
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 })
  expect(result.stderr).toContain('error: Cannot use Redis at redis://127.0.0.1:1: nothing listens there (connection refused)')
  expect(result.status).toBe(2)
  expect(Date.now() - begun - startup).toBeLessThan(5000)
  expect(existsSync(join(dir, 'never.mkv'))).toBe(false)
})

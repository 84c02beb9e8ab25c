// A segmented job run as a user runs it: a real CLI process killed with SIGKILL mid-run, then the
// same command again. It finishes from the segments the journal verifies, redoes at most the ones
// in flight (one per worker), and gives the frames and timestamps of an uninterrupted run, with
// nothing left in TMPDIR or beside the output.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { resolveFfmpeg, resolveFfprobe } from '@anime-upscaler/core'
import { crash, processesMentioning } from './helpers'

const BIN = resolve(__dirname, '../dist/bin.js')
const WORKERS = 2
const COMMAND = ['upscale', 'clip.mkv', '-o', 'clip-2x.mkv', '--model', 'anime4k-s', '--preset', 'ultrafast', '--workers', String(WORKERS), '--threads', '1', '--json']
let dir = ''
let env: NodeJS.ProcessEnv = {}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-cli-segments-'))
  // Its own TMPDIR (to see that nothing stays there) and cache folder (the list of interrupted jobs).
  mkdirSync(join(dir, 'tmp'))
  env = { ...process.env, TMPDIR: join(dir, 'tmp'), XDG_CACHE_HOME: join(dir, 'cache') }
  // Six seconds at 24 fps, a keyframe every half second: twelve segments of half a second.
  const args = ['-f', 'lavfi', '-i', 'testsrc2=size=128x72:rate=24:duration=6', '-f', 'lavfi', '-i', 'sine=duration=6']
  execFileSync(resolveFfmpeg(), ['-v', 'error', ...args, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-c:a', 'aac', '-shortest', join(dir, 'clip.mkv')])
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 180_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const jobFolder = () => join(dir, '.clip-2x.mkv.job')

function journal(): { event: string; run: number; segment?: number; index?: number }[] {
  const file = join(jobFolder(), 'journal.jsonl')
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

/** Starts the command and crashes it (SIGKILL, work process included) once the journal has `segments` segments done. */
function killAfter(segments: number, extra: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...COMMAND, ...extra], { cwd: dir, env, stdio: 'ignore' })
    const poll = setInterval(() => {
      if (journal().filter((e) => e.event === 'done').length >= segments) crash(child)
    }, 20)
    child.on('exit', (code, signal) => {
      clearInterval(poll)
      if (signal === 'SIGKILL') done()
      else fail(new Error(`the run ended before the kill (exit ${code})`))
    })
  })
}

async function noProcessesLeft(): Promise<string[]> {
  for (let waited = 0; waited < 10_000 && processesMentioning(dir).length > 0; waited += 100) await new Promise((r) => setTimeout(r, 100))
  return processesMentioning(dir)
}

/** Every frame's time (a segment's first frame also has a line for its side data: x264's settings). */
function frameTimes(file: string): number[] {
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', join(dir, file)]
  const lines = execFileSync(resolveFfprobe(), args, { encoding: 'utf8' }).split('\n')
  return lines.map((line) => Number.parseFloat(line)).filter((time) => Number.isFinite(time))
}

test('kill -9 mid-run, then the same command: it finishes from the verified segments and equals an uninterrupted run', async () => {
  await killAfter(3, ['--segments', '0.5'])
  expect(await noProcessesLeft()).toEqual([])
  const entries = journal()
  const done = new Set(entries.filter((e) => e.event === 'done').map((e) => e.index))
  const started = new Set(entries.filter((e) => e.event === 'start').map((e) => e.segment))
  const inFlight = [...started].filter((index) => !done.has(index))
  expect(done.size).toBeGreaterThanOrEqual(3)
  expect(inFlight.length).toBeLessThanOrEqual(WORKERS)
  expect(existsSync(join(dir, 'clip-2x.mkv'))).toBe(false)

  // Other settings: refused in the flags' words, the folder kept.
  const changed = cli(...COMMAND, '--segments', '0.5', '--crf', '30')
  expect(changed.code).toBe(2)
  expect(changed.stderr).toMatch(/belongs to another job: it was made with other settings \(--crf unset → 30\)\. Use --restart to discard it/)
  expect(existsSync(jobFolder())).toBe(true)
  // Reuse settings too: they decide which frames and tiles a segment upscales.
  const reuse = cli(...COMMAND, '--segments', '0.5', '--reuse', 'frames', '--reuse-refs', '4')
  expect(reuse.code).toBe(2)
  expect(reuse.stderr).toMatch(/other settings \(--reuse tiles → frames, --reuse-refs 8 → 4, --reuse-tile 48 → unset, --reuse-threshold 192 → unset\)/)

  const again = cli(...COMMAND, '--segments', '0.5')
  expect(again.stderr).toContain('Done:')
  expect(again.code).toBe(0)
  const events = again.stdout.trim().split('\n').map((line) => JSON.parse(line))
  // Every segment the killed run finished is kept: only the ones in flight are done again.
  expect(events[0]).toMatchObject({ type: 'start', segments: { count: 12, done: done.size } })
  expect(again.stderr).toContain(`12 segments, ${done.size} done by an earlier run and kept`)
  expect(events.at(-1)).toMatchObject({ type: 'done', frames: 144 })

  // On success the job folder goes; nothing stays in TMPDIR, beside the output or in the list of jobs.
  expect(readdirSync(dir).sort()).toEqual(['cache', 'clip-2x.mkv', 'clip.mkv', 'tmp'])
  expect(readdirSync(join(dir, 'tmp'))).toEqual([])
  expect(readdirSync(join(dir, 'cache', 'anime-upscaler', 'jobs'))).toEqual([])

  const whole = cli(...COMMAND.map((arg) => (arg === 'clip-2x.mkv' ? 'whole-2x.mkv' : arg)))
  expect(whole.code).toBe(0)
  expect(frameTimes('clip-2x.mkv')).toEqual(frameTimes('whole-2x.mkv'))
  expect(frameTimes('clip-2x.mkv')).toHaveLength(144)
}, 300_000)

test('resume flags are worded as flags', () => {
  expect(cli(...COMMAND, '--restart')).toMatchObject({ code: 2, stderr: expect.stringContaining('--restart needs --segments') })
  expect(cli(...COMMAND, '--no-resume')).toMatchObject({ code: 2, stderr: expect.stringContaining('--no-resume needs --segments') })
  expect(cli(...COMMAND, '--segments', '-3')).toMatchObject({ code: 2, stderr: expect.stringContaining("Expected positive number for --segments but received '-3'") })
})

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { extractFrames, type DecodedFrame } from '../src'
import { bytesWritten, childProcesses, expectError, isAlive, makeVideo, sleep, tempDir, waitGone } from './helpers'

const { dir, cleanup } = tempDir()
const video = join(dir, 'bars.mp4')
const FRAMES = 120
const FRAME_BYTES = 160 * 120 * 3

beforeAll(() => {
  makeVideo(video, { frames: FRAMES, size: '160x120' })
})
afterAll(cleanup)

async function until(condition: () => boolean, timeoutMs = 10000): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out')
    await sleep(10)
  }
}

/** Scheduler state of a process: R running, S sleeping (blocked), Z zombie … */
function state(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
}

describe('backpressure with demand', () => {
  test('a demand of 5 emits 5 frames, then ffmpeg is blocked (alive, writing nothing); more credit resumes', async () => {
    const demand = new Subject<number>()
    const frames: DecodedFrame[] = []
    let pid = 0
    let completed = false
    let failure: unknown
    const subscription = extractFrames(video, { demand, onStart: (p) => (pid = p.pid) }).subscribe({
      next: (frame) => frames.push(frame),
      complete: () => (completed = true),
      error: (error: unknown) => (failure = error),
    })
    try {
      demand.next(5)
      await until(() => frames.length >= 5)
      await sleep(400)
      expect(frames.length).toBe(5)
      expect(completed).toBe(false)
      expect(failure).toBeUndefined()
      // ffmpeg is still there, asleep, and has stopped writing: it is blocked on the full pipe.
      expect(isAlive(pid)).toBe(true)
      const before = bytesWritten(pid)
      await sleep(300)
      const after = bytesWritten(pid)
      expect(before).toBeDefined()
      expect(after).toBe(before)
      // It stopped far from the end (120 frames, 6.9 MB): 5 frames taken, plus what the kernel's
      // socket buffer (about 256 KB here) and Node's read buffer (32 KB) hold, plus its log lines.
      expect(before).toBeLessThan(5 * FRAME_BYTES + 512 * 1024)
      expect(state(pid)).toBe('S')

      demand.next(10)
      await until(() => frames.length >= 15)
      await sleep(300)
      expect(frames.length).toBe(15)
      expect(isAlive(pid)).toBe(true)

      demand.next(Number.POSITIVE_INFINITY)
      await until(() => completed)
      expect(failure).toBeUndefined()
      expect(frames.map((f) => f.index)).toEqual(Array.from({ length: FRAMES }, (_, i) => i))
      await waitGone(pid)
    } finally {
      subscription.unsubscribe()
    }
  })

  test('credit granted before ffmpeg starts is honoured, in several small grants', async () => {
    const demand = new Subject<number>()
    const frames: DecodedFrame[] = []
    const subscription = extractFrames(video, { demand }).subscribe((frame) => frames.push(frame))
    demand.next(1)
    demand.next(0)
    demand.next(2)
    await until(() => frames.length >= 3)
    await sleep(300)
    expect(frames.length).toBe(3)
    subscription.unsubscribe()
  })

  test('an invalid demand emission is an error, and ffmpeg is stopped', async () => {
    const demand = new Subject<number>()
    let pid = 0
    const result = expectError(extractFrames(video, { demand, onStart: (p) => (pid = p.pid) }), 'E_INVALID_ARGUMENT')
    demand.next(2)
    await until(() => pid !== 0)
    demand.next(-3)
    const error = await result
    expect(error.message).toBe('Expected non-negative integer or Infinity for a demand emission but received -3')
    await waitGone(pid)
  })

  test('unsubscribing while ffmpeg is blocked ends it at once', async () => {
    const demand = new Subject<number>()
    let pid = 0
    let count = 0
    const subscription = extractFrames(video, { demand, onStart: (p) => (pid = p.pid) }).subscribe(() => count++)
    demand.next(2)
    await until(() => count === 2)
    await sleep(200)
    expect(isAlive(pid)).toBe(true)
    subscription.unsubscribe()
    const took = await waitGone(pid, 3000)
    expect(took).toBeLessThan(1500)
    expect(childProcesses().filter((p) => p.name === 'ffmpeg')).toEqual([])
  })
})

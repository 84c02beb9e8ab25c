import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Subject, take } from 'rxjs'
import { extractFrames, probe, type DecodedFrame, type MediaInfo } from '../src'
import { childProcesses, collect, expectError, fakeFfmpeg, ffmpeg, isAlive, makeVideo, sleep, tempDir, waitGone } from './helpers'

const { dir, cleanup } = tempDir()
const file = (name: string) => join(dir, name)
let small: MediaInfo // 32x16, 1536 bytes per frame

/** showinfo lines as ffmpeg writes them, for fake ffmpegs. */
const SHOWINFO = (n: number) => `[Parsed_showinfo_0 @ 0x1] [info] n:   ${n} pts:  ${n} pts_time:${n / 24}\\n`
const CONFIG = '[Parsed_showinfo_0 @ 0x1] [info] config in time_base: 1/24, frame_rate: 24/1\\n'

beforeAll(async () => {
  makeVideo(file('long.mp4'), { frames: 240, size: '320x240' })
  makeVideo(file('small.mp4'), { frames: 4, size: '32x16' })
  small = await probe(file('small.mp4'))
  // Truncated files: an MP4 with its index first (the container still announces all 48 frames), and a Matroska file.
  makeVideo(file('whole.mp4'), { frames: 48, extra: ['-movflags', '+faststart'] })
  makeVideo(file('whole.mkv'), { frames: 48 })
  for (const ext of ['mp4', 'mkv']) {
    const bytes = readFileSync(file(`whole.${ext}`))
    writeFileSync(file(`truncated.${ext}`), bytes.subarray(0, Math.floor(bytes.length / 2)))
  }
  writeFileSync(file('not-media.mkv'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)))
  ffmpeg('-f', 'lavfi', '-i', 'sine=d=0.5', '-c:a', 'aac', file('audio.m4a'))
})
afterAll(cleanup)
afterEach(async () => {
  // Whatever a test did, no ffmpeg or ffprobe of ours may outlive it.
  const deadline = Date.now() + 4000
  let left = childProcesses().filter((p) => /ffmpeg|ffprobe|fake/.test(p.name))
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50)
    left = childProcesses().filter((p) => /ffmpeg|ffprobe|fake/.test(p.name))
  }
  expect(left).toEqual([])
})

describe('stopping', () => {
  test('unsubscribing mid-stream kills ffmpeg: no child remains', async () => {
    let pid = 0
    const frames = await collect(extractFrames(file('long.mp4'), { onStart: (p) => (pid = p.pid) }).pipe(take(3)))
    expect(frames).toHaveLength(3)
    await waitGone(pid, 3000)
    expect(isAlive(pid)).toBe(false)
  })

  test('an ffmpeg that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    // The fake says when its SIGTERM handler is in place (a loaded machine may take a while to start node).
    const ready = file('stubborn-ready')
    const stubborn = fakeFfmpeg(dir, `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); process.stderr.write('${CONFIG}'); setInterval(() => {}, 1000)`)
    let pid = 0
    const subscription = extractFrames(file('small.mp4'), { info: small, ffmpegPath: stubborn, killGraceMs: 300, onStart: (p) => (pid = p.pid) }).subscribe()
    const deadline = Date.now() + 20_000
    while (!existsSync(ready) && Date.now() < deadline) await sleep(20)
    expect(isAlive(pid)).toBe(true)
    const start = Date.now()
    subscription.unsubscribe()
    await sleep(150)
    expect(isAlive(pid)).toBe(true) // SIGTERM ignored...
    await waitGone(pid, 3000) // ...then SIGKILL
    expect(Date.now() - start).toBeGreaterThanOrEqual(280)
  })

  test('stop during the first second (while probing, and just after ffmpeg starts): nothing left running', async () => {
    const started: number[] = []
    for (const delay of [0, 20, 60, 150, 400]) {
      const subscription = extractFrames(file('long.mp4'), { onStart: (p) => started.push(p.pid) }).subscribe()
      await sleep(delay)
      subscription.unsubscribe()
      // Whether the stop came while probing (nothing started) or after ffmpeg started, no ffmpeg or ffprobe survives it.
      const deadline = Date.now() + 3000
      while (childProcesses().some((p) => /ffmpeg|ffprobe/.test(p.name)) && Date.now() < deadline) await sleep(20)
      expect(childProcesses().filter((p) => /ffmpeg|ffprobe/.test(p.name))).toEqual([])
    }
    for (const pid of started) expect(isAlive(pid)).toBe(false)
  })

  test('AbortSignal: E_ABORTED, and ffmpeg is gone; an already aborted signal starts nothing', async () => {
    const controller = new AbortController()
    let pid = 0
    const frames: DecodedFrame[] = []
    const error = await expectError(
      new Promise((resolve, reject) =>
        extractFrames(file('long.mp4'), { signal: controller.signal, onStart: (p) => (pid = p.pid) }).subscribe({
          next: (frame) => {
            frames.push(frame)
            if (frames.length === 2) controller.abort()
          },
          error: reject,
          complete: () => resolve(undefined),
        }),
      ),
      'E_ABORTED',
    )
    expect(error.message).toBe('Stopped by the AbortSignal')
    expect(frames.length).toBeGreaterThanOrEqual(2)
    await waitGone(pid, 3000)
    let started = false
    await expectError(extractFrames(file('long.mp4'), { signal: AbortSignal.abort(), onStart: () => (started = true) }), 'E_ABORTED')
    expect(started).toBe(false)
  })
})

describe('ffmpeg failures', () => {
  test('ffmpeg killed mid-run: E_FFMPEG naming the signal', async () => {
    const demand = new Subject<number>()
    let pid = 0
    const result = expectError(extractFrames(file('long.mp4'), { demand, onStart: (p) => (pid = p.pid) }), 'E_FFMPEG')
    demand.next(2)
    const start = Date.now()
    while (!pid && Date.now() - start < 5000) await sleep(10)
    await sleep(200)
    process.kill(pid, 'SIGKILL')
    const error = await result
    expect(error.message).toMatch(/^ffmpeg was killed by SIGKILL after \d+ frames/)
  })

  test('non-zero exit: E_FFMPEG with ffmpeg\'s last stderr lines in the message and in .stderr', async () => {
    const failing = fakeFfmpeg(dir, `process.stderr.write('[info] Input #0, mov\\n[h264 @ 0x1] [error] Invalid NAL unit size (1949 > 1292).\\n[error] Conversion failed!\\n'); process.exitCode = 1`)
    const error = await expectError(extractFrames(file('small.mp4'), { info: small, ffmpegPath: failing }), 'E_FFMPEG')
    expect(error.message).toBe(`ffmpeg exited with code 1 after 0 frames of '${file('small.mp4')}': [h264 @ 0x1] Invalid NAL unit size (1949 > 1292). | Conversion failed!`)
    expect(error.stderr).toEqual(['Input #0, mov', '[h264 @ 0x1] Invalid NAL unit size (1949 > 1292).', 'Conversion failed!'])
  })

  test('output ending in the middle of a frame: E_SHORT_READ after the whole frames, not a hang', async () => {
    const short = fakeFfmpeg(dir, `process.stderr.write('${CONFIG}${SHOWINFO(0)}${SHOWINFO(1)}'); process.stdout.write(Buffer.alloc(1536 + 768, 7))`)
    const frames: DecodedFrame[] = []
    const error = await expectError(
      new Promise((resolve, reject) => extractFrames(file('small.mp4'), { info: small, ffmpegPath: short }).subscribe({ next: (f) => frames.push(f), error: reject, complete: () => resolve(undefined) })),
      'E_SHORT_READ',
    )
    expect(frames).toHaveLength(1)
    expect(error.message).toBe(`ffmpeg's output of '${file('small.mp4')}' ended 768 bytes into frame 1 (a frame is 1536 bytes: 32x16 rgb24)`)
  })

  test('no frame at all: E_NO_FRAMES; frames without timestamps in the log: E_TIMESTAMPS', async () => {
    const empty = fakeFfmpeg(dir, `process.stderr.write('${CONFIG}')`)
    await expectError(extractFrames(file('small.mp4'), { info: small, ffmpegPath: empty }), 'E_NO_FRAMES')
    const silent = fakeFfmpeg(dir, `process.stdout.write(Buffer.alloc(1536 * 3))`)
    const error = await expectError(extractFrames(file('small.mp4'), { info: small, ffmpegPath: silent }), 'E_TIMESTAMPS')
    expect(error.message).toContain('showinfo output was not recognised')
  })

  test('a missing ffmpeg binary is reported through the observable', async () => {
    const error = await expectError(extractFrames(file('small.mp4'), { ffmpegPath: file('no-ffmpeg') }), 'E_BINARY_NOT_FOUND')
    expect(error.message).toContain('ffmpeg not found at')
  })
})

describe('bad input through extractFrames', () => {
  test('truncated MP4 (index says 48 frames): the frames that decode, then E_TRUNCATED; allowTruncated accepts them', async () => {
    const frames: DecodedFrame[] = []
    const error = await expectError(
      new Promise((resolve, reject) => extractFrames(file('truncated.mp4')).subscribe({ next: (f) => frames.push(f), error: reject, complete: () => resolve(undefined) })),
      'E_TRUNCATED',
    )
    expect(frames.length).toBeGreaterThan(5)
    expect(frames.length).toBeLessThan(48)
    expect(error.message).toMatch(new RegExp(`^Decoded ${frames.length} of 48 frames of '.*truncated\\.mp4': the file looks truncated or damaged`))
    const accepted = await collect(extractFrames(file('truncated.mp4'), { allowTruncated: true }))
    expect(accepted).toHaveLength(frames.length)
  })

  test('truncated Matroska (no frame count in the file): E_TRUNCATED against the duration', async () => {
    const error = await expectError(extractFrames(file('truncated.mkv')), 'E_TRUNCATED')
    expect(error.message).toMatch(/^Decoded \d+ of about 48 frames/)
  })

  test('the complete files pass the same checks', async () => {
    expect(await collect(extractFrames(file('whole.mp4')))).toHaveLength(48)
    expect(await collect(extractFrames(file('whole.mkv')))).toHaveLength(48)
  })

  test('not media, audio-only, missing: the probe errors', async () => {
    await expectError(extractFrames(file('not-media.mkv')), 'E_NOT_MEDIA')
    const audio = await expectError(extractFrames(file('audio.m4a')), 'E_NO_VIDEO')
    expect(audio.message).toContain('has no video stream')
    await expectError(extractFrames(file('missing.mp4')), 'E_NOT_FOUND')
  })
})

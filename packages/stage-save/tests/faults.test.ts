import * as path from 'node:path'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { from, concat, throwError, type Subscription } from 'rxjs'
import { saveFrames, SaveError } from '../src'
import type { FrameToSave, SaveEvent } from '../src'
import { collect, framesOf, isRunning, lavfi, partials, probe, rawFrames, tempDir, waitFor, withCredits } from './helpers'

let t: ReturnType<typeof tempDir>
let pictures: Uint8Array[]
const W = 320
const H = 240

beforeAll(async () => {
  t = tempDir()
  pictures = (await rawFrames(lavfi(`testsrc2=s=${W}x${H}:r=24`), W, H, 12)) as Uint8Array[]
})
afterAll(() => t.remove())

/** Many frames (pictures repeat), 24 fps: more than any test lets through. */
async function* endless(): AsyncGenerator<FrameToSave> {
  for (let index = 0; index < 600; index++) {
    yield { index, pts: index / 24, image: { data: pictures[index % pictures.length], width: W, height: H, channels: 3 } }
  }
}

interface Run {
  events: SaveEvent[]
  pid: () => number
  subscription: Subscription
  done: Promise<{ error?: SaveError; completed?: boolean }>
}

/** Starts saving `frames`; `onEvent` may act on the run (kill, abort, unsubscribe). */
function start(frames: AsyncIterable<FrameToSave> | Iterable<FrameToSave>, options: Parameters<typeof saveFrames>[0], onEvent?: (e: SaveEvent, run: Run) => void): Run {
  const run = { events: [] as SaveEvent[] } as Run
  run.pid = () => (run.events.find((e) => e.type === 'started') as Extract<SaveEvent, { type: 'started' }>).pid
  run.done = new Promise((resolve) => {
    run.subscription = withCredits(frames, saveFrames(options), 4).subscribe({
      next: (e) => {
        run.events.push(e)
        onEvent?.(e, run)
      },
      error: (error: SaveError) => resolve({ error }),
      complete: () => resolve({ completed: true }),
    })
  })
  return run
}

const writtenCount = (events: SaveEvent[]) => events.filter((e) => e.type === 'written').length

describe('stopping', () => {
  test('unsubscribing mid-stream kills ffmpeg and removes the temporary file', async () => {
    const dir = path.join(t.dir, 'unsubscribe')
    const output = path.join(dir, 'out.mkv')
    let stopped!: () => void
    const stoppedAt = new Promise<void>((r) => (stopped = r))
    const run = start(endless(), { output, frameRate: 24, preset: 'ultrafast' }, (e, r) => {
      if (e.type === 'written' && e.index === 10) {
        setImmediate(() => {
          r.subscription.unsubscribe()
          stopped()
        })
      }
    })
    await stoppedAt
    const pid = run.pid()
    expect(await waitFor(() => !isRunning(pid))).toBe(true)
    expect(await waitFor(() => partials(dir).length === 0)).toBe(true)
    expect(existsSync(output)).toBe(false)
  })

  test('an AbortSignal stops cleanly: E_ABORTED once ffmpeg is gone and nothing is left', async () => {
    const dir = path.join(t.dir, 'abort')
    const output = path.join(dir, 'out.mkv')
    const controller = new AbortController()
    const run = start(endless(), { output, frameRate: 24, preset: 'ultrafast', signal: controller.signal }, (e) => {
      if (e.type === 'written' && e.index === 8) controller.abort()
    })
    const { error } = await run.done
    expect(error?.code).toBe('E_ABORTED')
    expect(error?.message).toContain('was stopped; nothing was left at the destination')
    expect(isRunning(run.pid())).toBe(false)
    expect(partials(dir)).toEqual([])
    expect(existsSync(output)).toBe(false)
  })

  test('stop during the first second, before ffmpeg even started', async () => {
    const output = path.join(t.dir, 'early', 'out.mkv')
    const controller = new AbortController()
    const run = start(endless(), { output, frameRate: 24, signal: controller.signal })
    controller.abort()
    const { error } = await run.done
    expect(error?.code).toBe('E_ABORTED')
    expect(existsSync(output)).toBe(false)
    const alreadyAborted = await collect(from([]).pipe(saveFrames({ output, signal: AbortSignal.abort() }))).catch((e: SaveError) => e)
    expect((alreadyAborted as SaveError).code).toBe('E_ABORTED')
  })

  test('keepPartial: an abort finalises a playable file with every frame ffmpeg accepted', async () => {
    const dir = path.join(t.dir, 'partial')
    const output = path.join(dir, 'out.mp4')
    const controller = new AbortController()
    const run = start(endless(), { output, frameRate: 24, preset: 'ultrafast', signal: controller.signal, keepPartial: true }, (e) => {
      if (e.type === 'written' && e.index === 11) controller.abort()
    })
    const { completed } = await run.done
    expect(completed).toBe(true)
    const finished = run.events.at(-1) as Extract<SaveEvent, { type: 'finished' }>
    expect(finished).toMatchObject({ type: 'finished', output, partial: true })
    expect(finished.frames).toBe(writtenCount(run.events))
    const info = await probe(output, 'stream=nb_read_frames', ['-count_frames'])
    expect(Number(info.streams[0].nb_read_frames)).toBe(finished.frames)
    expect(partials(dir)).toEqual([])
  })

  test('keepPartial: an upstream error finalises what was written, then the error passes through', async () => {
    const output = path.join(t.dir, 'upstream-error.mkv')
    const upstream = new Error('decoder failed')
    async function* sixThenFail(): AsyncGenerator<FrameToSave> {
      yield* framesOf(pictures.slice(0, 6), W, H)
      await new Promise((r) => setTimeout(r, 300))
      throw upstream
    }
    const run = start(sixThenFail(), { output, frameRate: 24, preset: 'ultrafast', keepPartial: true })
    const { error } = await run.done
    expect(error).toBe(upstream)
    expect(run.events.at(-1)).toEqual({ type: 'finished', output, frames: 6, partial: true })
    const info = await probe(output, 'stream=nb_read_frames', ['-count_frames'])
    expect(info.streams[0].nb_read_frames).toBe('6')
  })

  test('without keepPartial an upstream error leaves nothing', async () => {
    const output = path.join(t.dir, 'upstream-error-2.mkv')
    const upstream = new Error('upscaler failed')
    await expect(
      collect(concat(from(framesOf(pictures.slice(0, 3), W, H)), throwError(() => upstream)).pipe(saveFrames({ output, frameRate: 24 }))),
    ).rejects.toBe(upstream)
    expect(existsSync(output)).toBe(false)
    expect(partials(t.dir)).toEqual([])
  })
})

describe('ffmpeg failing', () => {
  test('an encoder error is a SaveError with ffmpeg\'s last stderr lines; no process, no temp', async () => {
    const dir = path.join(t.dir, 'encoder-error')
    const output = path.join(dir, 'out.mkv')
    // x264 refuses the baseline profile for 4:4:4 when it opens the encoder.
    const run = start(endless(), { output, frameRate: 24, pixFmt: 'yuv444p', extraArgs: ['-profile:v', 'baseline'] })
    const { error } = await run.done
    expect(error).toBeInstanceOf(SaveError)
    expect(error?.code).toBe('E_FFMPEG')
    expect(error?.message).toMatch(/^ffmpeg exited with code 1 while encoding .*out\.mkv:\n/)
    expect(error?.message).toContain("baseline profile doesn't support 4:4:4")
    expect(error?.stderr).toContain('Error')
    expect(isRunning(run.pid())).toBe(false)
    expect(partials(dir)).toEqual([])
    expect(existsSync(output)).toBe(false)
  })

  test('ffmpeg killed mid-run (a broken pipe while writing) is reported, and cleaned up', async () => {
    const dir = path.join(t.dir, 'killed')
    const output = path.join(dir, 'out.mkv')
    const run = start(endless(), { output, frameRate: 24, preset: 'ultrafast' }, (e, r) => {
      if (e.type === 'written' && e.index === 5) process.kill(r.pid(), 'SIGKILL')
    })
    const { error } = await run.done
    expect(error?.code).toBe('E_FFMPEG')
    expect(error?.message).toMatch(/^ffmpeg was killed by SIGKILL while encoding/)
    expect(partials(dir)).toEqual([])
    expect(existsSync(output)).toBe(false)
  })

  test('a missing ffmpeg binary', async () => {
    const output = path.join(t.dir, 'no-ffmpeg.mkv')
    const error = await collect(from(framesOf(pictures.slice(0, 2), W, H)).pipe(saveFrames({ output, frameRate: 24, ffmpegPath: '/nonexistent/ffmpeg' }))).catch(
      (e: SaveError) => e,
    )
    expect((error as SaveError).code).toBe('E_FFMPEG_NOT_FOUND')
    expect((error as SaveError).message).toBe("ffmpeg not found at '/nonexistent/ffmpeg' (given as ffmpegPath): no executable file there")
    expect(partials(t.dir)).toEqual([])
  })

  const canMount = process.getuid?.() === 0
  ;(canMount ? test : test.skip)('the output disk full (1 MB tmpfs): E_NO_SPACE, nothing partial left', async () => {
    const dir = path.join(t.dir, 'tiny disk')
    mkdirSync(dir)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' })
    } catch (error) {
      // eslint-disable-next-line no-console
      console.warn(`stage-save: disk-full test skipped: cannot mount a tmpfs (${(error as Error).message.split('\n')[0]})`)
      return
    }
    try {
      const output = path.join(dir, 'out.mkv')
      const run = start(endless(), { output, frameRate: 24, codec: 'ffv1' })
      const { error } = await run.done
      expect(error?.code).toBe('E_NO_SPACE')
      expect(error?.message).toContain('The output disk is full')
      expect(partials(dir)).toEqual([])
      expect(existsSync(output)).toBe(false)
      expect(isRunning(run.pid())).toBe(false)
    } finally {
      execFileSync('umount', [dir])
    }
  })
})

describe('the destination', () => {
  test('an existing output is refused without overwrite, and replaced with it', async () => {
    const output = path.join(t.dir, 'exists.mkv')
    writeFileSync(output, 'keep me')
    const frames = () => from(framesOf(pictures.slice(0, 3), W, H))
    const error = await collect(frames().pipe(saveFrames({ output, frameRate: 24 }))).catch((e: SaveError) => e)
    expect((error as SaveError).code).toBe('E_OUTPUT_EXISTS')
    expect((error as SaveError).message).toBe(`Output '${output}' already exists: use overwrite: true to replace it`)
    expect(readFileSync(output, 'utf8')).toBe('keep me')
    await collect(frames().pipe(saveFrames({ output, frameRate: 24, overwrite: true, preset: 'ultrafast' })))
    const info = await probe(output, 'stream=codec_name')
    expect(info.streams[0].codec_name).toBe('h264')
  })

  test('folders are created; spaces and unicode in paths are fine', async () => {
    const output = path.join(t.dir, 'new folder', 'サブ dir', 'épisode 01.mkv')
    await collect(from(framesOf(pictures.slice(0, 3), W, H)).pipe(saveFrames({ output, frameRate: 24, preset: 'ultrafast' })))
    expect(existsSync(output)).toBe(true)
  })
})

describe('frames that cannot be saved', () => {
  const output = () => path.join(t.dir, `bad-${Math.random().toString(36).slice(2)}.mkv`)
  const img = (i: number) => ({ data: pictures[i], width: W, height: H, channels: 3 as const })
  const failWith = async (frames: FrameToSave[], options: Partial<Parameters<typeof saveFrames>[0]> = {}) => {
    const out = output()
    const error = (await collect(from(frames).pipe(saveFrames({ output: out, frameRate: 24, ...options }))).catch((e: SaveError) => e)) as SaveError
    expect(existsSync(out)).toBe(false)
    expect(partials(t.dir)).toEqual([])
    return error
  }

  test('a missing index when the input completes', async () => {
    const error = await failWith([{ index: 0, image: img(0) }, { index: 2, image: img(1) }, { index: 3, image: img(2) }])
    expect(error.code).toBe('E_MISSING_FRAME')
    expect(error.message).toBe('The input completed but frame 1 never came (2 later frames waiting: 2, 3)')
  })

  test('more early frames than the reorder buffer holds', async () => {
    const frames = [4, 3, 2, 1].map((index) => ({ index, image: img(index) }))
    const error = await failWith(frames, { reorderCapacity: 3 })
    expect(error.code).toBe('E_REORDER_OVERFLOW')
    expect(error.message).toContain('Reorder buffer full: 3 frames are waiting for frame 0 (reorderCapacity 3) and frame 1 came')
  })

  test('a duplicate of a frame that left the cache, or never came', async () => {
    const evicted = await failWith(
      [{ index: 0, image: img(0) }, { index: 1, image: img(1) }, { index: 2, image: img(2) }, { index: 3, duplicateOf: 0 }],
      { duplicateCacheSize: 2 },
    )
    expect(evicted.code).toBe('E_DUPLICATE_MISSING')
    expect(evicted.message).toBe(
      "Frame 3 repeats frame 0, which is no longer in the duplicate cache (it keeps the 2 most recent kept frames; frame 0 is 3 kept frames back): raise duplicateCacheSize to at least 3, as many as the kept frames the detector compares with (stage-detect's references)",
    )
    const never = await failWith([{ index: 0, duplicateOf: 5 }])
    expect(never.message).toBe('Frame 0 repeats frame 5, which never came before it: duplicateOf must name an earlier frame')
  })

  test('no frames at all', async () => {
    const error = await failWith([])
    expect(error.code).toBe('E_NO_FRAMES')
    expect(error.message).toMatch(/^No frames to save to .*: the input completed empty$/)
  })

  test('variable rate needs every pts, increasing', async () => {
    const noPts = await failWith([{ index: 0, image: img(0) }], { frameRate: undefined })
    expect(noPts.message).toBe('Frame 0 has no pts: give every frame its pts, or set frameRate for a constant-rate output')
    const back = await failWith(
      [{ index: 0, pts: 0.5, image: img(0) }, { index: 1, pts: 0.25, image: img(1) }],
      { frameRate: undefined },
    )
    expect(back.code).toBe('E_INVALID_FRAME')
    expect(back.message).toBe("Frame 1's pts 0.25 s is not after the previous frame's 0.5 s: timestamps must increase with the index")
  })
})

describe('flow control', () => {
  test('written comes only once ffmpeg has taken the frame from the pipe (a slow-starting ffmpeg holds it back)', async () => {
    const { FFMPEG } = await import('./helpers')
    const slow = path.join(t.dir, 'slow-ffmpeg.sh')
    writeFileSync(slow, `#!/bin/sh\nsleep 0.7\nexec "${FFMPEG}" "$@"\n`, { mode: 0o755 })
    // 640x360 RGB is 691 kB: far more than a pipe holds, so nothing is "written" before ffmpeg reads.
    const big = (await rawFrames(lavfi('testsrc2=s=640x360'), 640, 360, 3)) as Uint8Array[]
    const output = path.join(t.dir, 'slow.mkv')
    const at: Record<string, number> = {}
    const events = await new Promise<SaveEvent[]>((resolve, reject) => {
      const seen: SaveEvent[] = []
      from(framesOf(big, 640, 360))
        .pipe(saveFrames({ output, frameRate: 24, preset: 'ultrafast', ffmpegPath: slow }))
        .subscribe({
          next: (e) => {
            seen.push(e)
            at[e.type] ??= Date.now()
          },
          error: reject,
          complete: () => resolve(seen),
        })
    })
    expect(events.map((e) => e.type)).toEqual(['started', 'written', 'written', 'written', 'finished'])
    expect(at.written - at.started).toBeGreaterThanOrEqual(500)
  })
})
